// dns-records (checklist 9.1), the DNS side: what a resolver answers for each served name (every
// A/AAAA record must reach the Docker host) and which CAs the CAA records in force let issue.
import { describe, expect, it } from "vitest";
import type { StackContext } from "../../policies/lib/stack-context";
import { baselineLater, DOMAIN, mutate, production } from "./baseline-later";
import { analyze, of, type TestResource } from "./harness";

const DNS = "cloudflare:index/dnsRecord:DnsRecord";
const withHost: StackContext = {
  ...production,
  config: { "jewelry-shop:domain": DOMAIN, "jewelry-shop:cloudflare": JSON.stringify({ hostIpv4: "203.0.113.10" }) },
};
const problems = async (resources: readonly TestResource[]) =>
  of(await analyze(resources, withHost, ["dns-records"]), "dns-records").map((f) => f.message.split("\n").pop());
const record = (name: string, props: Record<string, unknown>): TestResource => ({ type: DNS, name, props: { zoneId: "z", ttl: 1, ...props } });

describe("dns-records: every address and CAA record in force", () => {
  it("accepts the host's address for every served name and Let's Encrypt only", async () => {
    expect(await problems(baselineLater())).toEqual([]);
  });
  it("refuses a stale second A record next to the host's", async () => {
    const stale = [...baselineLater(), record("dns-www-old", { name: `www.${DOMAIN}`, type: "A", content: "198.51.100.7", proxied: true })];
    expect(await problems(stale)).toEqual([`www.${DOMAIN} has an A record 198.51.100.7, not the Docker host's 203.0.113.10: resolvers hand it out to part of the visitors.`]);
  });
  it("refuses an AAAA record when the host has no IPv6 address", async () => {
    const v6 = [...baselineLater(), record("dns-apex-v6", { name: DOMAIN, type: "AAAA", content: "2001:db8::1" })];
    expect(await problems(v6)).toEqual([`${DOMAIN} has an AAAA record 2001:db8::1 but the host has no IPv6 address configured: IPv6 visitors go elsewhere.`]);
  });
  it("follows a CNAME inside the zone", async () => {
    const cname = mutate("dns-www", (p) => { p.type = "CNAME"; p.content = DOMAIN; });
    expect(await problems(cname)).toEqual([]);
    const dangling = mutate("dns-www", (p) => { p.type = "CNAME"; p.content = `shop.${DOMAIN}`; });
    expect(await problems(dangling)).toEqual([`no A/AAAA record answers for www.${DOMAIN}.`]);
  });
  it.each([
    ["another CA may issue", (p: Record<string, unknown>) => { p.data = { flags: 0, tag: "issue", value: "digicert.com; account=1" }; }, /lets digicert.com issue, besides letsencrypt.org/],
    ["no CA may issue", (p: Record<string, unknown>) => { p.data = { flags: 0, tag: "issue", value: ";" }; }, /forbids every CA, Let's Encrypt included/],
  ])("refuses CAA where %s", async (_what, change, message) => {
    const found = await problems(mutate("dns-caa-issue", change));
    expect(found).toHaveLength(2); // the apex and www (covered by the apex's records)
    expect(found[0]).toMatch(message);
  });
  it("refuses a critical unknown CAA tag, which makes every CA refuse", async () => {
    const critical = [...baselineLater(), record("dns-caa-x", { name: DOMAIN, type: "CAA", data: { flags: 128, tag: "tbs", value: "x" } })];
    expect((await problems(critical))[0]).toMatch(/marks the unknown tag tbs critical/);
  });
  it("refuses issuewild for another CA and no CAA at all", async () => {
    expect((await problems(mutate("dns-caa-issuewild", (p) => { p.data = { flags: 0, tag: "issuewild", value: "sectigo.com" }; })))[0]).toMatch(/issuewild for jewelry-shop.com lets sectigo.com issue wildcard/);
    expect(await problems(baselineLater().filter((r) => !r.name.startsWith("dns-caa")))).toEqual([
      `no CAA record covers ${DOMAIN}: any CA may issue for it.`, `no CAA record covers www.${DOMAIN}: any CA may issue for it.`,
    ]);
  });
});

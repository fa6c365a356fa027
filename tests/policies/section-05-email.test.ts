import { describe, expect, it } from "vitest";
import { baselineLater, findings, mutate, setEnv, setSecretFile } from "./baseline-later";
import { UNKNOWN } from "./harness";
import { mutate as mutateResource } from "./baseline";

describe("email-provider-configured", () => {
  it("accepts sendgrid with its API key", async () => {
    expect(await findings(baselineLater(), "email-provider-configured")).toEqual([]);
  });
  it("refuses an unsupported EMAIL_PROVIDER", async () => {
    const found = await findings(mutate("app-web", (p) => setEnv(p, "EMAIL_PROVIDER", "console")), "email-provider-configured");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/EMAIL_PROVIDER "console"/);
  });
  it("refuses a provider without its credential", async () => {
    const found = await findings(mutate("app-web", (p) => setSecretFile(p, "SENDGRID_API_KEY", undefined)), "email-provider-configured");
    expect(found.map((f) => f.level)).toEqual(["mandatory"]);
    expect(found[0].message).toMatch(/lacks SENDGRID_API_KEY/);
  });
  it("decides at preview from the secret file's path while its content is unknown", async () => {
    const unknown = mutate("app-web", (p) => setSecretFile(p, "SENDGRID_API_KEY", UNKNOWN));
    expect(await findings(unknown, "email-provider-configured")).toEqual([]);
  });
  it("accepts the credential as an env entry too", async () => {
    const asEnv = mutate("app-web", (p) => { setSecretFile(p, "SENDGRID_API_KEY", undefined); setEnv(p, "SENDGRID_API_KEY", "SG.abcdefghijklmnop"); });
    expect(await findings(asEnv, "email-provider-configured")).toEqual([]);
  });
  it("cannot decide at preview when the credential may hide in an env entry unknown as a whole", async () => {
    const found = await findings(mutate("app-web", (p) => { setSecretFile(p, "SENDGRID_API_KEY", undefined); (p.envs as string[]).push(UNKNOWN); }), "email-provider-configured");
    expect(found[0].level).toBe("advisory");
    expect(found[0].message).toMatch(/can't run/);
  });
});

describe("default-from-email-valid", () => {
  it("accepts a display name with an address on a real domain", async () => {
    expect(await findings(baselineLater(), "default-from-email-valid")).toEqual([]);
  });
  it("refuses a placeholder domain", async () => {
    const found = await findings(mutate("app-web", (p) => setEnv(p, "DEFAULT_FROM_EMAIL", "webmaster@localhost")), "default-from-email-valid");
    expect(found).toHaveLength(1);
  });
});

describe("mail-dns-records", () => {
  it("accepts SPF, DKIM and a quarantining DMARC", async () => {
    expect(await findings(baselineLater(), "mail-dns-records")).toEqual([]);
  });
  it("refuses DMARC with p=none", async () => {
    const found = await findings(mutate("dns-dmarc", (p) => { p.content = "v=DMARC1; p=none"; }), "mail-dns-records");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/p=none/);
  });
  it("refuses a missing DKIM record", async () => {
    const found = await findings(baselineLater().filter((r) => r.name !== "dns-dkim"), "mail-dns-records");
    expect(found[0].message).toMatch(/No DKIM record/);
  });

  const DNS = "cloudflare:index/dnsRecord:DnsRecord";
  const last = (found: { message: string }[]) => found.map((f) => f.message.split("\n").pop());
  const withTxt = (name: string, content: string) => [...baselineLater(), { type: DNS, name: `dns-extra-${content.length}`, props: { zoneId: "z", name, type: "TXT", content, ttl: 3600 } }];
  it.each([
    ["two SPF records (permerror)", withTxt("jewelry-shop.com", "v=spf1 include:servers.mcsv.net ~all"), /2 SPF records at jewelry-shop.com: receivers return permerror/],
    ["SPF ending in ?all", mutate("dns-spf", (p) => { p.content = "v=spf1 include:sendgrid.net ?all"; }), /ends in \?all: unlisted senders get neutral/],
    ["SPF with no all at all", mutate("dns-spf", (p) => { p.content = "v=spf1 include:sendgrid.net"; }), /has no all: unlisted senders get neutral/],
    ["SPF ending in +all", mutate("dns-spf", (p) => { p.content = "v=spf1 include:sendgrid.net +all"; }), /ends in \+all: it vouches for every server/],
    ["SPF without the provider", mutate("dns-spf", (p) => { p.content = "v=spf1 include:mailgun.org -all"; }), /does not authorize sendgrid \(include:sendgrid.net\)/],
    ["SPF over 10 lookups", mutate("dns-spf", (p) => { p.content = `v=spf1 include:sendgrid.net ${Array.from({ length: 10 }, (_, i) => `include:s${i}.example.net`).join(" ")} -all`; }), /11 terms need DNS lookups, more than the limit of 10/],
    ["DMARC applied to 10% (pct=10)", mutate("dns-dmarc", (p) => { p.content = "v=DMARC1; p=quarantine; pct=10; rua=mailto:dmarc@jewelry-shop.com"; }), /pct=10: the policy applies to 10% of failing mail only/],
    ["DMARC sp=none", mutate("dns-dmarc", (p) => { p.content = "v=DMARC1; p=reject; sp=none; rua=mailto:dmarc@jewelry-shop.com"; }), /sp=none: mail forged from any subdomain/],
    ["DMARC rua that is not a mailto: URI", mutate("dns-dmarc", (p) => { p.content = "v=DMARC1; p=reject; rua=dmarc@jewelry-shop.com"; }), /rua has "dmarc@jewelry-shop.com", not mailto: addresses/],
    ["DMARC at another name", mutate("dns-dmarc", (p) => { p.name = "_dmarc.www.jewelry-shop.com"; }), /No DMARC record at _dmarc.jewelry-shop.com \(_dmarc.www.jewelry-shop.com covers other names/],
    ["two DMARC records", withTxt("_dmarc.jewelry-shop.com", "v=DMARC1; p=none"), /2 DMARC records at _dmarc.jewelry-shop.com: receivers then apply no DMARC policy/],
    ["a revoked DKIM key (empty p=)", mutate("dns-dkim", (p) => { p.type = "TXT"; p.content = "v=DKIM1; k=rsa; p="; }), /empty p=: the key is revoked/],
    ["DKIM pointing away from the provider", mutate("dns-dkim", (p) => { p.content = "s1.domainkey.example.net"; }), /points to s1.domainkey.example.net, not to sendgrid's keys under sendgrid.net/],
  ])("refuses %s", async (_what, resources, message) => {
    expect(last(await findings(resources, "mail-dns-records"))).toEqual([expect.stringMatching(message)]);
  });
  it("refuses SPF with a typo: a permerror, and the provider is no longer authorized", async () => {
    expect(last(await findings(mutate("dns-spf", (p) => { p.content = "v=spf1 inlcude:sendgrid.net -all"; }), "mail-dns-records")))
      .toEqual([expect.stringMatching(/permerror: "inlcude:sendgrid.net" is not an SPF mechanism/), expect.stringMatching(/does not authorize sendgrid/)]);
  });
  it("accepts ~all when DMARC enforces on all mail, not otherwise", async () => {
    expect(await findings(mutate("dns-spf", (p) => { p.content = "v=spf1 include:sendgrid.net ~all"; }), "mail-dns-records")).toEqual([]);
    const weakDmarc = mutateResource(mutate("dns-spf", (p) => { p.content = "v=spf1 include:sendgrid.net ~all"; }), "dns-dmarc", (p) => { p.content = "v=DMARC1; p=quarantine; pct=50"; });
    expect(last(await findings(weakDmarc, "mail-dns-records"))).toEqual([expect.stringMatching(/ends in ~all \(softfail\) while DMARC/), expect.stringMatching(/pct=50/)]);
  });
  it("judges every domain the app containers send as", async () => {
    const second = mutate("app-collectstatic", (p) => setEnv(p, "DEFAULT_FROM_EMAIL", "alerts@mail.jewelry-shop.com"));
    // DMARC falls back to the organizational domain's record and DKIM aligns relaxed with its keys; SPF has no fallback.
    expect(last(await findings(second, "mail-dns-records"))).toEqual(["No SPF record at mail.jewelry-shop.com."]);
    const noSubdomainPolicy = mutateResource(second, "dns-dmarc", (p) => { p.content = "v=DMARC1; p=quarantine; sp=none; rua=mailto:dmarc@jewelry-shop.com"; });
    expect(last(await findings(noSubdomainPolicy, "mail-dns-records"))).toEqual([
      expect.stringMatching(/^DMARC at _dmarc.jewelry-shop.com has sp=none/), "No SPF record at mail.jewelry-shop.com.",
      expect.stringMatching(/^mail From mail.jewelry-shop.com falls back to _dmarc.jewelry-shop.com, whose subdomain policy is none/),
    ]);
  });
});

// The DNS check against a real DNS server (dnsmasq) serving the zone the program declares: every
// record passes; one record changed on the server is caught as its own checklist item and nothing else.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { dns } from "../../verify/checks/outside/network";
import type { VerifyContext } from "../../verify/checks/context";
import type { StackIntent } from "../../verify/intent";
import type { DeclaredRecord } from "../../verify/intent/dns";
import { DnsProbe } from "../../verify/probes/dns";
import { failingIds } from "../../verify/report";
import { startDnsServer, type DnsServer } from "./dns-server";
import { productionIntent } from "./fixture";

describe("the DNS check against dnsmasq serving the declared zone", () => {
  let intent: StackIntent;
  let server: DnsServer | undefined;
  beforeAll(async () => {
    intent = await productionIntent();
  }, 120_000);
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  const run = async (records: readonly DeclaredRecord[]) => {
    server = await startDnsServer(records);
    return dns.run({ intent, dns: new DnsProbe(server.address) } as VerifyContext);
  };

  it("passes every declared record: addresses behind Cloudflare in its ranges, CAA, SPF, DKIM and DMARC as declared", async () => {
    const results = await run(intent.records);
    expect(results.filter((r) => r.verdict !== "pass")).toEqual([]);
    expect(results.map((r) => r.subject)).toEqual(expect.arrayContaining(["A goldleaf-jewelry.com", "CAA goldleaf-jewelry.com", "TXT _dmarc.goldleaf-jewelry.com", "CNAME s1._domainkey.goldleaf-jewelry.com"]));
  });

  it("catches a changed DMARC record as 5.6 and nothing else", async () => {
    const changed = intent.records.map((r) => (r.type === "TXT" && r.name.startsWith("_dmarc.") ? { ...r, content: r.content.replace("p=quarantine", "p=none") } : r));
    const results = await run(changed);
    expect(failingIds(results)).toEqual(["5.6"]);
    expect(results.find((r) => r.verdict === "fail")).toMatchObject({ subject: "TXT _dmarc.goldleaf-jewelry.com", evidence: expect.stringContaining("p=none") });
  });

  it("catches an address record pointing at the origin while the zone declares it proxied as 9.1 and nothing else", async () => {
    const unproxied = intent.records.map((r) => (r.type === "A" && r.name === "www.goldleaf-jewelry.com" ? { ...r, proxied: false } : r));
    const results = await run(unproxied);
    expect(failingIds(results)).toEqual(["9.1"]);
  });

  it("reports a resolver that does not answer as unreachable, not as a wrong record", async () => {
    const results = await dns.run({ intent, dns: new DnsProbe("127.0.0.1:9", 300) } as VerifyContext);
    expect(new Set(results.map((r) => r.verdict))).toEqual(new Set(["unreachable"]));
  });
});

// Exemptions as the real pack applies them over gRPC: an exemption that runs too long, names a
// resource the stack lacks or one its policy does not judge exempts nothing and is a mandatory
// violation; an exemption in force reports what it silences under the exempted policy's own name, so
// it reaches every report even with `policy-exemptions` disabled (the harness disables every policy
// but the ones a test names, as --policy-pack-config would).
import { describe, expect, it } from "vitest";
import { EXEMPTIONS_POLICY } from "../../policies/lib/pack";
import { baseline, mutate, stackContext } from "../policies/baseline";
import { analyze, of, type TestResource } from "../policies/harness";

const valid = { policy: "resource-limits", resource: "app-web", reason: "sizing under review, OPS-142", expires: "2025-02-01" };
const entries = [
  valid,
  { ...valid, resource: "app-webb" },
  { ...valid, resource: "database-database" },
  { ...valid, resource: "redis-container", expires: "2026-01-16" },
  { ...valid, resource: "edge-nginx", expires: "2025-06-30 00:00:00 +0000 UTC" },
  { policy: "no-public-ports", reason: "load balancer trial, OPS-7", expires: "2025-03-31" },
];
// Judged on 2025-01-15: the longest exemption allowed runs to 2026-01-15.
const ctx = stackContext({}, { "jewelry-shop:policyExemptions": JSON.stringify(entries) });
const stackResource: TestResource = { type: "pulumi:pulumi:Stack", name: "jewelry-shop-production", props: {} };
const unlimitedWeb = mutate(baseline(), "app-web", (p) => { delete p.memory; });
const line = (e: { policy: string; resource?: string; expires: string; reason: string }) =>
  `exemption in force: ${e.policy}${e.resource ? ` on ${e.resource}` : ""} until ${e.expires}: ${e.reason}`;

describe("exemptions the pack refuses", () => {
  it("refuses, mandatory, an exemption beyond 365 days, one naming a missing resource, one its policy does not judge, and an unquoted date", async () => {
    const findings = of(await analyze([stackResource, ...baseline()], ctx, [EXEMPTIONS_POLICY]), EXEMPTIONS_POLICY);
    expect(findings.map((f) => [f.level, f.message.split("\n").pop()])).toEqual([
      ["mandatory", "policyExemptions[3] (resource-limits) expires on 2026-01-16, more than 365 days after 2025-01-15: an exemption runs at most 365 days, then it is reviewed again; set \"expires\" to 2026-01-15 or earlier"],
      ["mandatory", "policyExemptions[4] (resource-limits) has \"expires\" unquoted in the stack file, so YAML reads it as a timestamp and Pulumi hands on \"2025-06-30 00:00:00 +0000 UTC\": write expires: \"2025-06-30\""],
      ["mandatory", "policyExemptions[1] (resource-limits) names resource \"app-webb\", which is not in this stack, so it exempts nothing: give a resource's logical name or URN, or remove the entry"],
      ["mandatory", "policyExemptions[2] (resource-limits) names \"database-database\", a postgresql:index/database:Database, which resource-limits does not judge: it exempts nothing; remove the entry"],
    ]);
  });

  it("applies no exemption when JEWELRY_SHOP_POLICY_DATE is malformed, and says why instead of crashing", async () => {
    const badDay = stackContext({ today: "2025-13-01" }, { "jewelry-shop:policyExemptions": JSON.stringify([valid]) });
    const findings = await analyze(unlimitedWeb, badDay, [EXEMPTIONS_POLICY, "resource-limits"]);
    expect(of(findings, EXEMPTIONS_POLICY).map((f) => f.message.split("\n").pop())).toEqual([
      'JEWELRY_SHOP_POLICY_DATE must be a date YYYY-MM-DD, got "2025-13-01": fix it, or unset it to judge exemptions as of today (UTC); until then no exemption applies',
    ]);
    expect(of(findings, "resource-limits").map((f) => f.level)).toEqual(["mandatory"]);
  });
});

describe("exemptions in force, with policy-exemptions disabled", () => {
  it("reports each result it silences as advisory, under the exempted policy, with the exemption", async () => {
    const findings = of(await analyze(unlimitedWeb, ctx, ["resource-limits"]), "resource-limits");
    expect(findings).toEqual([
      expect.objectContaining({ level: "advisory", message: expect.stringMatching(new RegExp(`\\n${line(valid).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`)) }),
    ]);
    expect(findings[0].message.split("\n")[0]).toMatch(/memory/);
  });

  it("announces an exemption that silences nothing on its resource, and a whole-stack one on the stack", async () => {
    const findings = await analyze([stackResource, ...baseline()], ctx, ["resource-limits", "no-public-ports"]);
    expect(of(findings, "resource-limits").map((f) => [f.level, f.message, f.urn?.split("::").pop()])).toEqual([["advisory", line(valid), "app-web"]]);
    expect(of(findings, "no-public-ports").map((f) => [f.level, f.message, f.urn?.split("::").pop()])).toEqual([["advisory", line(entries[5]), "jewelry-shop-production"]]);
  });
});

import { describe, expect, it } from "vitest";
import { checklistFramework } from "../../policies/lib/framework";
import { buildPolicies, EXEMPTIONS_POLICY } from "../../policies/lib/pack";
import { deploymentEnvironment, readStackContext } from "../../policies/lib/stack-context";
import { checklistRules } from "../../policies/rules";
import { baseline, mutate, stackContext } from "./baseline";
import { analyze, messagesOf, of, urnOf } from "./harness";

const exemptions = (...entries: object[]) => ({ "jewelry-shop:policyExemptions": JSON.stringify(entries) });
const openRedisPort = mutate(baseline(), "redis-container", (p) => { p.ports = [{ internal: 6379, external: 6379 }]; });
const unlimitedWeb = mutate(baseline(), "app-web", (p) => { delete p.memory; });

describe("checklistFramework", () => {
  it("cites the ids and the checklist's own text", () => {
    expect(checklistFramework("3.6", "3.7")).toEqual({
      name: "production-deployment-checklist",
      version: "1.0.0",
      reference: "3.6, 3.7",
      specification: "3.6 PgBouncer configured for connection pooling; 3.7 `USE_PGBOUNCER=True` in production",
    });
  });
  it("refuses an id the checklist does not have", () => {
    expect(() => checklistFramework("3.99")).toThrow(/3\.99/);
  });
});

describe("stack context", () => {
  it("reads config and stack name as the CLI hands them to the pack", () => {
    const ctx = readStackContext({ PULUMI_CONFIG: JSON.stringify({ "jewelry-shop:environment": "staging" }), PULUMI_NODEJS_STACK: "shop-staging" }, new Date("2025-03-01T12:00:00Z"));
    expect(ctx).toMatchObject({ stack: "shop-staging", environment: "staging", today: "2025-03-01" });
  });
  it("judges production when the environment is unset on the production stack, or misspelt", () => {
    expect(deploymentEnvironment(undefined, "production")).toBe("production");
    expect(deploymentEnvironment("prodution", "dev")).toBe("production");
    expect(deploymentEnvironment(undefined, "dev")).toBe("development");
  });
});

describe("enforcement levels", () => {
  const levels = (environment: "production" | "staging") =>
    Object.fromEntries(buildPolicies(checklistRules, stackContext({ environment })).map((p) => [p.name, p.enforcementLevel]));
  it("makes every policy mandatory in production", () => {
    expect(new Set(Object.values(levels("production")))).toEqual(new Set(["mandatory"]));
  });
  it("keeps only alwaysMandatory rules mandatory in staging", () => {
    const staging = levels("staging");
    expect(staging["resource-limits"]).toBe("advisory");
    for (const name of ["image-pinned", "no-public-ports", "no-plaintext-secrets", EXEMPTIONS_POLICY]) expect(staging[name]).toBe("mandatory");
  });
  it("refuses two rules with one name", () => {
    expect(() => buildPolicies([...checklistRules, checklistRules[0]], stackContext())).toThrow(/used twice/);
  });
});

describe("exemptions", () => {
  const valid = { policy: "resource-limits", resource: "app-web", reason: "sizing under review, OPS-142", expires: "2025-02-01" };
  // The pack reads its exemptions once, at start-up: cases share a pack where no other exemption in
  // its list could silence what the case looks at. Each exempts a different policy here.
  const byUrnWholePolicyAndStackPolicy = stackContext({}, exemptions(
    { ...valid, resource: urnOf({ type: "docker:index/container:Container", name: "app-web" }) },
    { ...valid, policy: "no-public-ports", resource: undefined },
    { ...valid, policy: "network-isolation", resource: "redis-container" },
  ));

  it("silences an exempted policy on the named resource only", async () => {
    const ctx = stackContext({}, exemptions(valid));
    expect(await messagesOf("resource-limits", unlimitedWeb, ctx)).toEqual([]);
    const otherResource = mutate(baseline(), "redis-container", (p) => { delete p.memory; });
    expect(await messagesOf("resource-limits", otherResource, ctx)).toHaveLength(1);
  });
  it("matches a resource by URN too, and a whole policy without resource", async () => {
    expect(await messagesOf("resource-limits", unlimitedWeb, byUrnWholePolicyAndStackPolicy)).toEqual([]);
    expect(await messagesOf("no-public-ports", openRedisPort, byUrnWholePolicyAndStackPolicy)).toEqual([]);
  });
  it("filters a stack policy's violations by the resource they name", async () => {
    const exposed = mutate(baseline(), "redis-container", (p) => { p.networksAdvanced.push({ name: "jewelry-edge" }); });
    expect(await messagesOf("network-isolation", exposed, byUrnWholePolicyAndStackPolicy)).toEqual([]);
  });
  it("lists every exemption in force as an advisory of the exempted policy", async () => {
    const findings = of(await analyze(baseline(), stackContext({}, exemptions(valid)), ["resource-limits"]), "resource-limits");
    expect(findings).toEqual([expect.objectContaining({ level: "advisory", message: "exemption in force: resource-limits on app-web until 2025-02-01: sizing under review, OPS-142" })]);
  });
  const invalid = [
    ["without a reason", { ...valid, reason: " " }, /has no reason/],
    ["expired", { ...valid, expires: "2025-01-14" }, /expired on 2025-01-14/],
    ["with an impossible date", { ...valid, expires: "2025-02-30" }, /needs "expires"/],
    ["naming an unknown policy", { ...valid, policy: "resource-limit" }, /names no policy/],
  ] as const;
  // One list of every invalid entry: one message each; app-web's missing memory limit, which three of
  // them name, is still a violation, so none of them exempts it.
  const allInvalid = stackContext({}, exemptions(...invalid.map(([, entry]) => entry)));
  it.each(invalid)("rejects an exemption %s, mandatory, and exempts nothing", async (_what, entry, message) => {
    const messages = await messagesOf(EXEMPTIONS_POLICY, baseline(), allInvalid);
    expect(messages).toHaveLength(invalid.length);
    expect(messages.filter((m) => message.test(m))).toHaveLength(1);
    if (entry.policy === "resource-limits") expect(await messagesOf("resource-limits", unlimitedWeb, allInvalid)).toHaveLength(1);
  });
  it("rejects exemptions that are not a JSON list", async () => {
    expect(await messagesOf(EXEMPTIONS_POLICY, baseline(), stackContext({}, { "jewelry-shop:policyExemptions": "{nope" }))).toEqual(["policyExemptions is not valid JSON"]);
  });
  it("stays mandatory in staging", async () => {
    const ctx = stackContext({ environment: "staging" }, exemptions({ ...valid, reason: "" }));
    expect(await messagesOf(EXEMPTIONS_POLICY, baseline(), ctx)).toHaveLength(1);
  });
});

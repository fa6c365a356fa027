// One start of the real pack under run-policy-pack (as the CLI does), driven over gRPC with the
// check's analyzer client: metadata, levels, a violation, an unknown, and exemption reporting.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnalyzerClient, type AnalyzerResource } from "../../check/analyzer-client";
import type { JsonObject } from "../../check/json";
import { startPolicyPack, type PolicyPackProcess } from "../../check/policy-pack-process";
import { baseline, mutate, stackContext } from "./baseline";
import { urnOf, type TestResource } from "./harness";

// The pack judges exemptions as of today: this one ends within the 365 days an exemption may run.
const exemption = { policy: "resource-limits", resource: "app-web", reason: "web sizing under review", expires: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10) };
const ctx = stackContext({}, { "jewelry-shop:policyExemptions": JSON.stringify([exemption, { policy: "healthcheck-configured", reason: "", expires: "2999-01-01" }]) });

const toAnalyzer = (r: TestResource, all: readonly TestResource[]): AnalyzerResource => ({
  type: r.type, name: r.name, urn: urnOf(r), properties: r.props as JsonObject,
  options: { protect: false, ignoreChanges: [], additionalSecretOutputs: [], aliases: [], customTimeouts: { create: 0, update: 0, delete: 0 } },
  dependencies: [],
  propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies ?? {}).map(([k, names]) =>
    [k, names.map((n) => urnOf(all.find((x) => x.name === n) ?? { type: "?", name: n }))])),
});

let pack: PolicyPackProcess;
let client: AnalyzerClient;

beforeAll(async () => {
  pack = await startPolicyPack(path.resolve(__dirname, "../../policies"), { project: "jewelry-shop", stack: ctx.stack, organization: "organization", config: ctx.config });
  // Printed so the suite's log shows the cost of ts-node's type-checking start.
  console.log(`policy pack started in ${pack.startMs} ms`);
  client = new AnalyzerClient(pack.address);
  await client.waitForReady(10_000);
}, 120_000);

afterAll(async () => {
  client?.close();
  await pack?.stop();
});

describe("the pack over gRPC", () => {
  it("runs, as the check starts it, with a young generation of 16 MB (semi-spaces of 8 MB: check/policy-pack-process.ts)", () => {
    expect(fs.readFileSync(`/proc/${pack.pid}/cmdline`, "utf8").split("\0")).toContain("--max-semi-space-size=8");
  });

  it("describes every policy with severity, remediation and checklist framework", async () => {
    const info = await client.getAnalyzerInfo();
    expect(info.name).toBe("jewelry-shop-production-checklist");
    const mine = info.policies.filter((p) => p.name !== "policy-exemptions");
    for (const p of mine) {
      expect([p.name, p.enforcementLevel, p.severity !== undefined, p.framework?.name, (p.remediationSteps ?? "") !== ""])
        .toEqual([p.name, "mandatory", true, "production-deployment-checklist", true]);
    }
    expect(info.policies.find((p) => p.name === "no-public-ports")?.framework?.specification).toBe("11.8 Networks for service isolation configured");
  });

  it("reports a mandatory violation for a published data port, and 'can't run' for an unknown that decides", async () => {
    const all = baseline({ secretsKnown: false });
    // Without its `user default` line, redis.conf leaves the verdict to the include, unknown at a first preview.
    const open = mutate(all, "redis-container", (p) => {
      p.ports = [{ internal: 6379, external: 6379 }];
      p.uploads[0].content = p.uploads[0].content.replace(/^user default .*$/m, "");
    }).find((r) => r.name === "redis-container")!;
    const diagnostics = await client.analyze(toAnalyzer(open, all));
    expect(diagnostics.filter((d) => d.policyName === "no-public-ports").map((d) => d.enforcementLevel)).toEqual(["mandatory"]);
    expect(diagnostics.filter((d) => d.policyName === "redis-auth-required")).toEqual([
      expect.objectContaining({ enforcementLevel: "advisory", message: expect.stringMatching(/can't run policy 'redis-auth-required'/) }),
    ]);
  });

  it("decides redis-auth-required at a first preview from the known redis.conf", async () => {
    const all = baseline({ secretsKnown: false });
    const diagnostics = await client.analyze(toAnalyzer(all.find((r) => r.name === "redis-container")!, all));
    expect(diagnostics.filter((d) => d.policyName === "redis-auth-required")).toEqual([]);
  });

  it("lists exemptions in force as advisories and rejects a broken one as mandatory", async () => {
    const all = baseline({ secretsKnown: false });
    await client.configure({});
    const diagnostics = (await client.analyzeStack(all.map((r) => toAnalyzer(r, all)))).filter((d) => d.policyName === "policy-exemptions");
    expect(diagnostics.map((d) => [d.enforcementLevel, d.message.split("\n").pop()])).toEqual([
      ["mandatory", "policyExemptions[1] (healthcheck-configured) has no reason"],
    ]);
    const web = (await client.analyze(toAnalyzer(all.find((r) => r.name === "app-web")!, all))).filter((d) => d.policyName === "resource-limits");
    expect(web.map((d) => [d.enforcementLevel, d.message])).toEqual([
      ["advisory", `exemption in force: resource-limits on app-web until ${exemption.expires}: web sizing under review`],
    ]);
  });
});

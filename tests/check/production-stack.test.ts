// The shipped production stack, judged by the real pack over gRPC exactly as `npm run check` does:
// no mandatory violation, nothing downgraded for being unknown at preview, exemptions listed.
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./run-cli";

interface JsonReport {
  exitCode: number;
  violations: { policy: string; checklistIds: string[]; enforcementLevel: string; notDecidableAtPreview: boolean; message: string }[];
  offlineFindings: { level: string }[];
  exemptions: { policy: string; resource?: string }[];
  policyErrors: unknown[];
  policies: { name: string; enforcementLevel: string }[];
}

let report: JsonReport;
let code: number | null;
beforeAll(async () => {
  const result = await runCli(["--stack", "production", "--format", "json"]);
  code = result.code;
  report = JSON.parse(result.stdout) as JsonReport;
}, 120_000);

describe("the shipped production stack", () => {
  it("has no mandatory violation, no policy error and no mandatory offline finding (exit 0)", () => {
    const mandatory = report.violations.filter((v) => v.enforcementLevel === "mandatory");
    expect(mandatory.map((v) => `${v.policy}: ${v.message.split("\n").pop()}`)).toEqual([]);
    expect(report.policyErrors).toEqual([]);
    expect(report.offlineFindings.filter((f) => f.level === "mandatory")).toEqual([]);
    expect(code).toBe(0);
    expect(report.exitCode).toBe(0);
  });

  it("has no policy downgraded because a value it reads is unknown at preview", () => {
    expect(report.violations.filter((v) => v.notDecidableAtPreview).map((v) => `${v.policy}: ${v.message.split("\n").pop()}`)).toEqual([]);
  });

  it("judges every policy as mandatory in production", () => {
    expect(report.policies.length).toBeGreaterThanOrEqual(55);
    for (const policy of report.policies) expect(policy.enforcementLevel, policy.name).toBe("mandatory");
  });

  it("lists the exemptions the stack file declares", () => {
    expect(report.exemptions).toEqual(expect.arrayContaining([
      expect.objectContaining({ policy: "non-root-user", resource: "monitoring-docker-socket-proxy" }),
      expect.objectContaining({ policy: "non-root-user", resource: "backups-container" }),
    ]));
    expect(report.exemptions).toHaveLength(2);
  });
});

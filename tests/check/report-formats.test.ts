// Every format tells the whole truth about one failing stack: two resources breaking the same policy
// with the same words, a result an exemption silences, and a violation of no checklist item. The
// report is built from the diagnostics as the pack sends them (string form: description, then the
// message; exempted results: the message, then the "exemption in force" line).
import { describe, expect, it } from "vitest";
import type { AnalyzerInfo, Diagnostic } from "../../check/analyzer-client";
import { renderJson } from "../../check/formats/json";
import { renderMarkdown } from "../../check/formats/markdown";
import { renderSarif } from "../../check/formats/sarif";
import { renderText } from "../../check/formats/text";
import { buildReport } from "../../check/report";
import type { StackConfig } from "../../check/stack-config";
import { traceability } from "../../policies/traceability";
import { repoRoot, reportSchemaValidator, sarifValidator } from "./run-cli";

const rootUrn = "urn:pulumi:production::jewelry-shop::";
const container = (name: string) => `${rootUrn}docker:index/container:Container::${name}`;
const framework = (reference: string) => ({ name: "production-deployment-checklist", version: "1.0.0", reference, specification: "" });
const nonRoot = "Every container runs as a non-root user.";
const info: AnalyzerInfo = {
  name: "jewelry-shop-production-checklist",
  version: "1.0.0",
  initialConfig: {},
  policies: [
    { name: "non-root-user", description: nonRoot, enforcementLevel: "mandatory", severity: "high", policyType: "resource", tags: [], framework: framework("11.3") },
    { name: "policy-exemptions", description: "Exemptions are valid.", enforcementLevel: "mandatory", severity: "high", policyType: "stack", tags: [] },
  ],
};
const diagnostic = (d: Partial<Diagnostic> & Pick<Diagnostic, "policyName" | "message" | "enforcementLevel">): Diagnostic =>
  ({ policyPackName: info.name, policyPackVersion: info.version, description: nonRoot, severity: "high", ...d });
const exemptionLine = "exemption in force: non-root-user on backups-container until 2027-03-31: cron must start as root (platform team)";
const stackConfig: StackConfig = {
  project: "jewelry-shop", stack: "production", rootDir: repoRoot, main: repoRoot, stackFile: "Pulumi.production.yaml",
  config: {}, secretKeys: [], undecryptableKeys: [], environment: "production",
};

const report = buildReport({
  stackConfig, stackFile: "Pulumi.production.yaml", programFile: "index.ts", info, sdkVersion: "1.21.0",
  configuredLevels: {}, resourceCount: 3, offlineFindings: [], policyErrors: [],
  timings: { programMs: 1, packStartMs: 1, analyzeMs: 1, totalMs: 3 },
  diagnostics: [
    diagnostic({ policyName: "non-root-user", enforcementLevel: "mandatory", urn: container("app-web"), message: `${nonRoot}\nruns as root` }),
    diagnostic({ policyName: "non-root-user", enforcementLevel: "mandatory", urn: container("app-worker"), message: `${nonRoot}\nruns as root` }),
    diagnostic({ policyName: "non-root-user", enforcementLevel: "advisory", urn: container("backups-container"), message: `runs as root\n${exemptionLine}` }),
    diagnostic({
      policyName: "policy-exemptions", enforcementLevel: "mandatory", description: "Exemptions are valid.", urn: `${rootUrn}pulumi:pulumi:Stack::jewelry-shop-production`,
      message: 'Exemptions are valid.\npolicyExemptions[2] (non-root-user) names resource "app-webb", which is not in this stack',
    }),
  ],
});

describe("the report of a failing stack with an exemption in force", () => {
  it("keeps a silenced result out of the violations, with its exemption", () => {
    expect(report.violations.map((v) => [v.policy, v.resourceName])).toEqual([
      ["non-root-user", "app-web"], ["non-root-user", "app-worker"], ["policy-exemptions", "jewelry-shop-production"],
    ]);
    expect(report.exemptedViolations).toEqual([
      expect.objectContaining({ policy: "non-root-user", resourceName: "backups-container", message: "runs as root", exemption: report.exemptions[0] }),
    ]);
    expect(report.exemptions).toEqual([{ policy: "non-root-user", resource: "backups-container", expires: "2027-03-31", reason: "cron must start as root (platform team)", text: exemptionLine.slice("exemption in force: ".length) }]);
    expect(report.counts).toMatchObject({ mandatory: 3, advisory: 0, exemptions: 1, exemptedViolations: 1 });
  });

  it("writes SARIF whose results for different resources differ in message, location and fingerprint, and whose silenced result carries its suppression", () => {
    const validate = sarifValidator();
    const sarif = JSON.parse(renderSarif(report));
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);

    const results = sarif.runs[0].results.filter((r: { ruleId: string }) => r.ruleId === "non-root-user");
    expect(results.map((r: { message: { text: string } }) => r.message.text)).toEqual([
      "app-web (docker:index/container:Container): runs as root",
      "app-worker (docker:index/container:Container): runs as root",
      "backups-container (docker:index/container:Container): runs as root",
    ]);
    const urns = results.map((r: { locations: { logicalLocations: { fullyQualifiedName: string }[] }[] }) => r.locations[0].logicalLocations[0].fullyQualifiedName);
    expect(urns).toEqual([container("app-web"), container("app-worker"), container("backups-container")]);
    expect(new Set(results.map((r: { partialFingerprints: { primaryLocationLineHash: string } }) => r.partialFingerprints.primaryLocationLineHash)).size).toBe(3);
    expect(results.map((r: { suppressions?: unknown }) => r.suppressions)).toEqual([
      undefined, undefined,
      [{ kind: "inSource", status: "accepted", justification: "cron must start as root (platform team) (exemption until 2027-03-31)", location: expect.any(Object) }],
    ]);
    expect(results[2].level).toBe("error");
    expect(sarif.runs[0].invocations).toEqual([expect.objectContaining({ executionSuccessful: true, exitCode: 1 })]);
  });

  it("writes markdown naming each violating resource and message, and the exemption beside its item", () => {
    const markdown = renderMarkdown({ report, traceability });
    const row = markdown.split("\n").find((l) => l.startsWith("| 11.3 |")) ?? "";
    expect(row).toContain("| violated |");
    expect(row).toContain("**mandatory** `non-root-user` on `app-web`: runs as root");
    expect(row).toContain("**mandatory** `non-root-user` on `app-worker`: runs as root");
    expect(row).toContain("**exempted** `non-root-user` on `backups-container` until 2027-03-31: cron must start as root (platform team) (silences on `backups-container`: runs as root)");
    expect(markdown).toContain("## Findings outside the checklist items\n\n- **mandatory** `policy-exemptions` on `jewelry-shop-production`: policyExemptions[2] (non-root-user) names resource \"app-webb\"");
  });

  it("writes JSON that satisfies the report schema, and text that lists what the exemption silences", () => {
    const validate = reportSchemaValidator();
    expect(validate(JSON.parse(renderJson(report))), JSON.stringify(validate.errors)).toBe(true);
    const text = renderText(report);
    expect(text).toContain(`  ${exemptionLine.slice("exemption in force: ".length)}\n    silences non-root-user docker:index/container:Container "backups-container": runs as root`);
    expect(text).toMatch(/1 exemptions \(1 result silenced\)/);
  });
});

// End to end: the CLI runs the fixture program under mocks and drives the fixture pack over
// gRPC. One run per stack or config, started together in beforeAll and shared by the assertions.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checklistItems } from "../../policies/checklist";
import { renderMarkdown } from "../../check/formats/markdown";
import { renderSarif } from "../../check/formats/sarif";
import { renderText } from "../../check/formats/text";
import type { Report } from "../../check/report";
import { traceability } from "../fixtures/check-demo/policies/traceability";
import { fixturePack, fixtureRoot, packProcesses, runCli, reportSchemaValidator, sarifValidator, type CliResult } from "./run-cli";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "check-cli-"));
const configFile = (name: string, content: unknown) => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
};
const check = (...args: string[]) => runCli(["--root", fixtureRoot, ...args]);

let production: CliResult;
let dev: CliResult;
let leaky: CliResult;
let devAdvisoryCrash: CliResult;
let broken: CliResult;
const report = (r: CliResult) => JSON.parse(r.stdout) as Report;

beforeAll(async () => {
  [production, dev, leaky, devAdvisoryCrash, broken] = await Promise.all([
    check("--format", "json"),
    check("--stack", "dev", "--format", "json"),
    check("--stack", "leaky", "--format", "json"),
    // All advisory, and a pattern that makes one policy throw: two configs, one run.
    check(
      "--stack", "dev", "--format", "json",
      "--policy-pack-config", configFile("config.json", { all: "advisory", "container-name-pattern": { pattern: "(" } }),
    ),
    check("--stack", "broken"),
  ]);
}, 120_000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("the check over the pack's gRPC interface", () => {
  it("passes production (exit 0) with its advisory violation, exemption and unverified secret", () => {
    expect(production.stderr).toBe("");
    expect(production.code).toBe(0);
    const r = report(production);
    expect(r.counts).toMatchObject({ mandatory: 0, advisory: 1, exemptions: 1, policyErrors: 0 });
    expect(r.violations).toContainEqual(
      expect.objectContaining({
        policy: "remote-image-pinned",
        enforcementLevel: "advisory",
        severity: "medium",
        checklistIds: ["11.2"],
        resourceType: "docker:index/remoteImage:RemoteImage",
        resourceName: "web-image",
        message: 'image "nginx:1.27-alpine" is not pinned by digest',
      }),
    );
    expect(r.exemptions).toEqual([
      expect.objectContaining({ policy: "container-resource-limits", resource: "web", expires: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), reason: expect.any(String) }),
    ]);
    expect(r.undecryptableSecrets).toEqual(["check-demo:apiToken"]);
  });

  it("carries each policy's metadata from GetAnalyzerInfo", () => {
    const policies = report(production).policies;
    expect(policies.map((p) => p.name)).toHaveLength(7);
    expect(policies.find((p) => p.name === "containers-on-isolated-network")).toMatchObject({
      policyType: "stack",
      enforcementLevel: "mandatory",
      severity: "medium",
      checklistIds: ["11.8", "10.1"],
      remediationSteps: expect.stringContaining("networksAdvanced"),
      framework: expect.objectContaining({ reference: "11.8, 10.1" }),
    });
  });

  it("flags a mandatory policy that read an unknown value as not decidable at preview", () => {
    const r = report(production);
    const undecided = r.violations.filter((v) => v.notDecidableAtPreview);
    expect(undecided).toEqual([
      expect.objectContaining({ policy: "container-env-no-debug-flag", enforcementLevel: "advisory", resourceName: "web" }),
    ]);
    expect(r.policies.find((p) => p.name === "container-env-no-debug-flag")?.enforcementLevel).toBe("mandatory");
    expect(r.counts.notDecidableAtPreview).toBe(1);
  });

  it("fails dev (exit 1) on a mandatory resource policy and a mandatory stack policy", () => {
    expect(dev.code).toBe(1);
    const mandatory = report(dev).violations.filter((v) => v.enforcementLevel === "mandatory");
    expect(mandatory.map((v) => [v.policy, v.resourceName])).toEqual(
      expect.arrayContaining([
        ["container-restart-policy", "web"],
        ["containers-on-isolated-network", "web"],
      ]),
    );
    expect(report(dev).offlineFindings).toEqual([
      expect.objectContaining({ kind: "plaintext-secret-env", subject: "SMTP_PASSWORD", level: "advisory" }),
    ]);
  });

  it("fails a production environment (exit 1) on plaintext secrets no policy can see", () => {
    expect(leaky.code).toBe(1);
    const r = report(leaky);
    expect(r.counts.mandatory).toBe(0);
    expect(r.offlineFindings.map((f) => [f.kind, f.subject, f.level])).toEqual([
      ["plaintext-secret-env", "SMTP_PASSWORD", "mandatory"],
      ["plaintext-secret-file", "/etc/app/tls.key", "mandatory"],
    ]);
  });

  it("applies --policy-pack-config: all advisory turns dev's mandatory stack violation advisory", () => {
    const r = report(devAdvisoryCrash);
    expect(r.policies.every((p) => p.configuredLevel === "advisory")).toBe(true);
    expect(r.violations).toContainEqual(
      expect.objectContaining({ policy: "containers-on-isolated-network", enforcementLevel: "advisory" }),
    );
    expect(r.counts.mandatory).toBe(0);
  });

  it("reports an exception inside a policy as a policy error and fails (exit 1)", () => {
    expect(devAdvisoryCrash.code).toBe(1);
    const { policyErrors } = report(devAdvisoryCrash);
    expect(policyErrors).toEqual([
      expect.objectContaining({ method: "Analyze", urn: expect.stringMatching(/::web$/), message: expect.stringContaining("container-name-pattern") }),
    ]);
    expect(policyErrors[0].message).toMatch(/Invalid regular expression/);
  });

  it("shows the program's config error without a stack trace (exit 2)", () => {
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('error: check-demo:restart is "sometimes"');
    expect(broken.stderr).not.toMatch(/^\s+at /m);
    expect(broken.stdout).toBe("");
  });

  it("leaves no policy pack process behind", () => {
    expect(packProcesses(fixturePack)).toEqual([]);
  });
});

describe("report formats", () => {
  it("writes JSON that satisfies check/report-schema.json", () => {
    const validate = reportSchemaValidator();
    for (const run of [production, dev, leaky, devAdvisoryCrash]) {
      expect(validate(report(run)), JSON.stringify(validate.errors)).toBe(true);
    }
    expect(validate({ ...report(dev), exitCode: 3 })).toBe(false);
  });

  it("writes SARIF that satisfies the official SARIF 2.1.0 schema", () => {
    const validate = sarifValidator();
    const sarif = JSON.parse(renderSarif(report(dev)));
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...sarif, version: "2.0.0" })).toBe(false);

    const run = sarif.runs[0];
    const restart = run.tool.driver.rules.find((r: { id: string }) => r.id === "container-restart-policy");
    expect(restart.properties).toMatchObject({ "security-severity": "8.0", tags: expect.arrayContaining(["checklist-11.6"]) });
    expect(restart.help.text).toContain("unless-stopped");
    const result = run.results.find((r: { ruleId: string }) => r.ruleId === "container-restart-policy");
    expect(result.level).toBe("error");
    expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe("Pulumi.dev.yaml");
    expect(result.locations[0].logicalLocations[0].fullyQualifiedName).toMatch(/::docker:index\/container:Container::web$/);
    expect(run.results.find((r: { ruleId: string }) => r.ruleId === "remote-image-pinned").level).toBe("warning");
  });

  it("writes markdown that lists every checklist item with a status", () => {
    const markdown = renderMarkdown({ report: report(dev), traceability });
    for (const item of checklistItems) expect(markdown).toContain(`| ${item.id} |`);
    expect(markdown).toContain("| 11.6 | violated |");
    expect(markdown).toContain("| 11.5 | exempted |");
    expect(markdown).toContain("| 11.2 | advisory |");
    expect(markdown).toContain("| 1.6 | not decidable at preview |");
    expect(markdown).toContain("| P.1 | verified after deployment |");
    expect(markdown).toContain("## 11. Docker Configuration");
  });

  it("writes text grouped by checklist section with a summary line", () => {
    const text = renderText(report(dev));
    expect(text).toContain("11. Docker Configuration (3 findings, 2 mandatory)");
    expect(text.trimEnd().split("\n").pop()).toMatch(/^FAILED: 2 mandatory, 1 advisory, 1 not decidable at preview/);
  });
});

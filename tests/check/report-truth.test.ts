// The shipped stack's exemptions reach every format even when a policy pack config disables
// `policy-exemptions`; a config error reads as one (no usage text) and still leaves a valid report;
// the README's machine-readable commands print nothing but the report.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderMarkdown } from "../../check/formats/markdown";
import { renderSarif } from "../../check/formats/sarif";
import type { Report } from "../../check/report";
import { traceability } from "../../policies/traceability";
import { fixtureRoot, repoRoot, runCli, runCommand, type CliResult } from "./run-cli";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "report-truth-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The shipped production stack in a folder of its own, one line replaced. */
function productionWith(name: string, from: RegExp, to: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: jewelry-shop\nmain: ${path.join(repoRoot, "index.ts")}\nruntime: nodejs\n`);
  const stack = fs.readFileSync(path.join(repoRoot, "Pulumi.production.yaml"), "utf8");
  expect(stack).toMatch(from);
  fs.writeFileSync(path.join(dir, "Pulumi.production.yaml"), stack.replace(from, to));
  return dir;
}

const npm = (args: readonly string[]) => runCommand("npm", args);

let withoutAudit: CliResult;
let badEnvironment: CliResult;
let silentNpm: CliResult;
let plainNpm: CliResult;
const errorSarif = path.join(tmp, "error.sarif");

beforeAll(async () => {
  const config = path.join(tmp, "no-audit.json");
  fs.writeFileSync(config, JSON.stringify({ "policy-exemptions": "disabled" }));
  const badEnv = productionWith("bad-env", /environment: production/, "environment: prod");
  [withoutAudit, badEnvironment, silentNpm, plainNpm] = await Promise.all([
    runCli(["--format", "json", "--policy-pack-config", config]),
    runCli(["--root", badEnv, "--policy-pack", path.join(repoRoot, "policies"), "--format", "sarif", "--output", errorSarif]),
    npm(["run", "-s", "check", "--", "--root", fixtureRoot, "--format", "json"]),
    npm(["run", "check", "--", "--root", fixtureRoot, "--format", "json"]),
  ]);
}, 600_000);

describe("exemptions with policy-exemptions disabled", () => {
  it("lists both exemptions and the results they silence in the JSON report", () => {
    expect(withoutAudit.code).toBe(0);
    const report = JSON.parse(withoutAudit.stdout) as Report;
    expect(report.policies.find((p) => p.name === "policy-exemptions")?.configuredLevel).toBe("disabled");
    expect(report.exemptions.map((e) => [e.policy, e.resource])).toEqual(expect.arrayContaining([
      ["non-root-user", "monitoring-docker-socket-proxy"], ["non-root-user", "backups-container"],
    ]));
    expect(report.exemptions).toHaveLength(2);
    expect(report.exemptedViolations.map((v) => [v.policy, v.resourceName, v.exemption.resource])).toEqual(expect.arrayContaining([
      ["non-root-user", "monitoring-docker-socket-proxy", "monitoring-docker-socket-proxy"],
      ["non-root-user", "backups-container", "backups-container"],
    ]));
  });

  it("puts them in SARIF as suppressions and in the markdown beside item 11.3", () => {
    const report = JSON.parse(withoutAudit.stdout) as Report;
    const suppressed = JSON.parse(renderSarif(report)).runs[0].results.filter((r: { suppressions?: unknown[] }) => r.suppressions);
    expect(suppressed.map((r: { ruleId: string; locations: { logicalLocations: { fullyQualifiedName: string }[] }[] }) =>
      [r.ruleId, r.locations[0].logicalLocations[0].fullyQualifiedName.split("::").pop()]).sort()).toEqual([
      ["non-root-user", "backups-container"], ["non-root-user", "monitoring-docker-socket-proxy"],
    ]);
    const row = renderMarkdown({ report, traceability }).split("\n").find((l) => l.startsWith("| 11.3 |")) ?? "";
    expect(row).toContain("**exempted** `non-root-user` on `backups-container` until 2027-03-31");
    expect(row).toContain("**exempted** `non-root-user` on `monitoring-docker-socket-proxy` until 2027-06-30");
  });
});

describe("a config error", () => {
  it("is printed without the CLI's usage, and written to --output as a SARIF notification", () => {
    expect(badEnvironment.code).toBe(2);
    expect(badEnvironment.stderr).toContain('jewelry-shop:environment: Invalid option: expected one of "production"|"staging"|"development"');
    expect(badEnvironment.stderr).not.toContain("usage:");
    const notification = JSON.parse(fs.readFileSync(errorSarif, "utf8")).runs[0].invocations[0].toolExecutionNotifications[0];
    expect(notification.message.text).toContain("jewelry-shop:environment: Invalid option");
  });
});

describe("machine-readable output through npm", () => {
  it("npm run -s prints the report alone; plain npm run puts its banner on stdout (measured with npm 11)", () => {
    expect(() => JSON.parse(silentNpm.stdout)).not.toThrow();
    expect(plainNpm.stdout).toMatch(/^\n> jewelry-shop-infra@1\.0\.0 check\n/);
    expect(() => JSON.parse(plainNpm.stdout)).toThrow();
  });

  it("every README command that sends the check's output to a file or pipe runs npm silently", () => {
    const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");
    const redirected = readme.split("\n").filter((l) => /^\s*npm run\b.*\bcheck\b.*\s(>|\|)\s/.test(l));
    expect(redirected.length).toBeGreaterThan(0);
    for (const line of redirected) expect(line).toMatch(/npm run -s check/);
  });
});

describe("npm's own requests", () => {
  it("npm run asks the registry nothing: the project's .npmrc turns npm's daily update check off", async () => {
    // npm records its update check in its cache folder: a fresh one shows whether it ran. Two other
    // things can skip the check and would hide the project's setting: a user or global npmrc (this
    // machine's ~/.npmrc turns it off), made empty here, and npm's own CI detection (ci-info reads CI,
    // BUILD_ID and vendors' variables), which CI=false turns off. Both runs measure the .npmrc alone.
    const cache = fs.mkdtempSync(path.join(tmp, "npm-cache-"));
    const [userNpmrc, globalNpmrc] = ["user-npmrc", "global-npmrc"].map((name) => path.join(cache, name));
    for (const file of [userNpmrc, globalNpmrc]) fs.writeFileSync(file, "");
    const onlyTheProjectNpmrc = { CI: "false", npm_config_userconfig: userNpmrc, npm_config_globalconfig: globalNpmrc };
    const r = await runCommand("npm", ["run", "-s", "env", "--", "true"], { ...onlyTheProjectNpmrc, npm_config_cache: cache });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(cache, "_update-notifier-last-checked"))).toBe(false);
    // The same run with the check turned back on records it: the test can tell (its request goes to a
    // closed local port, not to the registry).
    const on = await runCommand("npm", ["run", "-s", "env", "--", "true"], {
      ...onlyTheProjectNpmrc,
      npm_config_cache: cache,
      npm_config_update_notifier: "true",
      npm_config_registry: "http://127.0.0.1:9/",
    });
    expect(on.code, on.stderr).toBe(0);
    expect(fs.existsSync(path.join(cache, "_update-notifier-last-checked"))).toBe(true);
  });
});

// Bad input ends with exit 2 and a message, before any program or pack starts.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixturePack, fixtureRoot, runCli, reportSchemaValidator, sarifValidator } from "./run-cli";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "check-input-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.concurrent("check CLI input errors", () => {
  it("rejects an unknown flag with the usage", async () => {
    const r = await runCli(["--bogus"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--bogus'");
    expect(r.stderr).toContain("usage: npm run check -- [options]");
  });

  it("rejects an unknown format", async () => {
    const r = await runCli(["--format", "xml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--format must be one of text, json, sarif, markdown, not "xml"');
  });

  it("names the stacks that exist when the stack does not", async () => {
    const r = await runCli(["--root", fixtureRoot, "--stack", "staging"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no stack "staging"');
    expect(r.stderr).toContain("stacks: broken, dev, leaky, production");
  });

  it("rejects a malformed policy pack config file", async () => {
    const file = path.join(tmp, "bad.json");
    fs.writeFileSync(file, '{"all": "loud"}');
    const r = await runCli(["--root", fixtureRoot, "--policy-pack-config", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: ${file}: "all": "loud" is not an enforcement level (advisory, mandatory, remediate, disabled)\n`);
  });

  it("refuses a --policy-pack folder that is no pack, naming the missing file", async () => {
    const r = await runCli(["--root", fixtureRoot, "--policy-pack", tmp]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: ${tmp} is not a policy pack: it has no PulumiPolicy.yaml\n`);
  });

  it("refuses a pack whose dependencies are not installed, saying where to run npm install, not the resolver's stack trace", async () => {
    // The fixture pack copied out of the repository: nothing above it resolves @pulumi/pulumi.
    const pack = path.join(tmp, "uninstalled-pack");
    fs.cpSync(fixturePack, pack, { recursive: true });
    const r = await runCli(["--root", fixtureRoot, "--policy-pack", pack]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: ${pack}: the policy pack's dependencies are not installed (@pulumi/pulumi cannot be resolved from it): run \`npm install\` in ${pack}\n`,
    );
  });

  it("prints the usage for --help and exits 0", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--policy-pack-config FILE");
  });
});

describe("bad input with --output still writes a valid report", () => {
  const missingStack = (format: string, file: string) => runCli(["--root", fixtureRoot, "--stack", "staging", "--format", format, "--output", file]);

  it("SARIF: the error as a tool execution notification of a failed invocation", async () => {
    const file = path.join(tmp, "error.sarif");
    const r = await missingStack("sarif", file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: no stack "staging"');
    const sarif = JSON.parse(fs.readFileSync(file, "utf8"));
    const validate = sarifValidator();
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    expect(sarif.runs[0].results).toEqual([]);
    expect(sarif.runs[0].invocations).toEqual([{
      executionSuccessful: false,
      exitCode: 2,
      toolExecutionNotifications: [{ level: "error", message: { text: expect.stringContaining('no stack "staging"') }, descriptor: { id: "bad-input" } }],
    }]);
  });

  it("JSON: the error document of check/report-schema.json; markdown and text say why", async () => {
    const [json, markdown, text] = [path.join(tmp, "error.json"), path.join(tmp, "error.md"), path.join(tmp, "error.txt")];
    await Promise.all([missingStack("json", json), missingStack("markdown", markdown), missingStack("text", text)]);
    const validate = reportSchemaValidator();
    const report = JSON.parse(fs.readFileSync(json, "utf8"));
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report).toMatchObject({ stack: "staging", exitCode: 2, error: expect.stringContaining('no stack "staging"') });
    expect(fs.readFileSync(markdown, "utf8")).toContain("The check stopped on bad input (exit 2)");
    expect(fs.readFileSync(text, "utf8")).toContain('no stack "staging"');
  });

  it("refuses --output into a missing folder before the check runs", async () => {
    const r = await runCli(["--root", fixtureRoot, "--output", path.join(tmp, "missing/report.sarif")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: --output ${path.join(tmp, "missing/report.sarif")}: the folder ${path.join(tmp, "missing")} does not exist; create it first (mkdir -p ${path.join(tmp, "missing")})\n`);
  });

  it("refuses a malformed JEWELRY_SHOP_POLICY_DATE up front: one line, no stack trace, no colour codes", async () => {
    const r = await runCli(["--root", fixtureRoot], { JEWELRY_SHOP_POLICY_DATE: "2025-02-30", FORCE_COLOR: "1" });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: JEWELRY_SHOP_POLICY_DATE must be a date YYYY-MM-DD, got "2025-02-30": fix it, or unset it to judge exemptions as of today (UTC)\n');
  });

  it("refuses a JEWELRY_SHOP_CODE_CACHE other than on or off up front, and judges alike with the cache off", async () => {
    const refused = await runCli(["--root", fixtureRoot], { JEWELRY_SHOP_CODE_CACHE: "maybe" });
    const off = await runCli(["--root", fixtureRoot, "--format", "json"], { JEWELRY_SHOP_CODE_CACHE: "off", JEWELRY_SHOP_POLICY_DATE: "2026-12-01" });
    const on = await runCli(["--root", fixtureRoot, "--format", "json"], { JEWELRY_SHOP_CODE_CACHE: "on", JEWELRY_SHOP_POLICY_DATE: "2026-12-01" });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('error: JEWELRY_SHOP_CODE_CACHE must be "on" or "off" (V8\'s code cache of the check and its pack), got "maybe": fix it, or unset it to keep the cache on\n');
    const verdict = (stdout: string) => {
      const { timings: _timings, ...rest } = JSON.parse(stdout) as { timings?: unknown };
      return rest;
    };
    expect(off.code).toBe(on.code);
    expect(verdict(off.stdout)).toEqual(verdict(on.stdout));
  });

  it("refuses a secure value that is no ciphertext, naming the key and the command", async () => {
    const dir = path.join(tmp, "todo");
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(fixtureRoot, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    fs.writeFileSync(path.join(dir, "Pulumi.production.yaml"), fs.readFileSync(path.join(fixtureRoot, "Pulumi.production.yaml"), "utf8").replace(/secure: v1:\S+/, "secure: TODO"));
    const r = await runCli(["--root", dir, "--policy-pack", fixturePack]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('check-demo:apiToken: "secure: TODO" is not a ciphertext of this stack\'s secrets provider');
    expect(r.stderr).toContain("pulumi config set --secret check-demo:apiToken <value>");
  });
});

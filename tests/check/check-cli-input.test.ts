// Bad input ends with exit 2 and a message, before any program or pack starts.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixtureRoot, runCli } from "./run-cli";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "check-input-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.concurrent("check CLI input errors", () => {
  it("rejects an unknown flag with the usage", async () => {
    const r = await runCli(["--bogus"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--bogus'");
    expect(r.stderr).toContain("usage: tsx check/cli.ts");
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

  it("prints the usage for --help and exits 0", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--policy-pack-config FILE");
  });
});

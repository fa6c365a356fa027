// `npm run verify` on bad input: a clear message naming the flag and the fix, exit 2, never a stack
// trace; with --output a valid report of the chosen format saying why.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot, runCommand } from "../check/run-cli";

/** As `npm run verify` starts it (package.json): check/start.cjs's compile cache, then verify/cli.ts. */
const verify = (args: readonly string[], timeoutMs?: number) => runCommand(process.execPath, ["-r", "./check/start.cjs", "verify/cli.ts", ...args], {}, timeoutMs);

describe("verify CLI input errors", () => {
  it.each([
    [["--format", "xml"], /--format must be one of text, json, sarif, markdown, not "xml"/],
    [["--resolve", "shop:443:origin"], /--resolve shop:443:origin: "origin" is not an IP address/],
    [["--skip", "tls,nope"], /--skip nope: no such check; checks: https, /],
    [["--docker-host", "http://host"], /--docker-host http:\/\/host: the scheme must be unix:\/\/, tcp:\/\/ or ssh:\/\//],
    [["--dns-server", "resolver.example"], /--dns-server resolver.example: give an IP address/],
    [["--credentials", "/nonexistent.json"], /--credentials \/nonexistent.json: no such file/],
    [["--stack", "nope"], /no stack "nope"/],
  ])("refuses %j with one message and exit 2", async (args, message) => {
    const result = await verify(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it("refuses a credentials file of the wrong shape, naming the key", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-cli-"));
    const file = path.join(dir, "creds.json");
    fs.writeFileSync(file, JSON.stringify({ postgres: { user: "postgres" } }));
    const json = path.join(dir, "report.json");
    const result = await verify(["--credentials", file, "--format", "json", "--output", json]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--credentials .*creds.json: postgres.password: /);
    expect(JSON.parse(fs.readFileSync(json, "utf8"))).toMatchObject({ exitCode: 2, error: expect.stringMatching(/postgres.password/) });
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});

describe("verify on a program that is not a deployable jewelry-shop", () => {
  // The check's fixture of programs the CLI could not run, with a policy pack: a folder inside the
  // repository (its node_modules resolve the SDK), the pack linked as <root>/policies as the joined
  // report reads it.
  fs.mkdirSync(path.join(repoRoot, ".check-out"), { recursive: true });
  const root = fs.mkdtempSync(path.join(repoRoot, ".check-out", "verify-program-"));
  const fixture = path.join(repoRoot, "tests/check/fixtures/failing-program");
  for (const file of fs.readdirSync(fixture)) fs.copyFileSync(path.join(fixture, file), path.join(root, file));
  fs.symlinkSync(path.join(repoRoot, "tests/fixtures/check-demo/policies"), path.join(root, "policies"));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it("the joined report ends a program that can never finish, saying so, its pack not yet started", async () => {
    const result = await verify(["--root", root, "--stack", "cycle", "--format", "markdown"], 60_000);
    expect(result.signal, "verify did not end").toBeNull();
    expect(result.stderr.trim()).toMatch(/^error: the program cannot finish: it waits on \d+ promises that nothing left running can settle/);
    expect(result.code).toBe(2);
  }, 90_000);

  it("names a stack with no TLS edge to verify as the program's mistake, not an internal error", async () => {
    const result = await verify(["--root", root, "--stack", "none"], 60_000);
    expect(result.stderr.trim()).toMatch(/^error: the program declares no nginx container with a published TLS server that serves a name: there is no edge to verify/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.code).toBe(2);
  }, 90_000);
});

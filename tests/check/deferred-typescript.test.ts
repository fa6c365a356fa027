// TypeScript deferred in the pack the check starts (check/deferred-typescript.cjs): ts-node's
// registration runs for real against recorded answers of TypeScript, which loads only when something
// compiles. Each case runs @pulumi/pulumi's own run-policy-pack in a fresh process, as the CLI starts
// it and with the check's preload (check/pack-code-cache.cjs), on a small pack whose entry compiles
// TypeScript through the ts-node that run-policy-pack registered: the same extensions, source maps,
// compiled code, type errors and config errors either way, whether the answers were recorded or replayed.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = path.resolve(__dirname, "../..");
const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [repo] });
const packPreload = path.join(repo, "check/pack-code-cache.cjs");
const deferral = path.join(repo, "check/deferred-typescript.cjs");
let dir: string;
/** Each test starts run-policy-pack up to four times, and ts-node type-checks in most. */
const RUNS_TIMEOUT_MS = 300_000;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "deferred-typescript-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const strictConfig = { compilerOptions: { strict: true, target: "ES2020", module: "commonjs", moduleResolution: "node", lib: ["es2020"], types: [], skipLibCheck: true } };

/** A pack whose entry reports what ts-node's registration left and compiles three TypeScript files through it. */
function writePack(name: string, tsconfig: unknown): string {
  const pack = path.join(dir, name);
  fs.mkdirSync(pack, { recursive: true });
  fs.writeFileSync(path.join(pack, "package.json"), JSON.stringify({ name, version: "1.0.0", main: "entry.js" }));
  fs.writeFileSync(path.join(pack, "tsconfig.json"), JSON.stringify(tsconfig));
  fs.writeFileSync(path.join(pack, "greet.ts"), 'export function greet(name: string): string {\n  return `hello, ${name}`;\n}\n\nexport function fail(): never {\n  throw new Error("from greet.ts");\n}\n');
  fs.writeFileSync(path.join(pack, "mistyped.ts"), 'const count: number = "three";\nexport { count };\n');
  fs.writeFileSync(path.join(pack, "untyped.ts"), "export function twice(x) {\n  return x * 2;\n}\n");
  fs.writeFileSync(
    path.join(pack, "entry.js"),
    `"use strict";
const { deferredTypeScriptState } = require(${JSON.stringify(deferral)});
const strip = (text) => String(text).split(__dirname).join("<pack>");
const out = { stateAtEntry: deferredTypeScriptState() ?? null };
out.extensions = Object.keys(require.extensions);
out.stackFormatter = typeof Error.prepareStackTrace;
const greet = require("./greet.ts");
out.greeting = greet.greet("pack");
try { greet.fail(); } catch (err) { out.trace = err.stack.split("\\n").slice(0, 2).map(strip); }
for (const file of ["./mistyped.ts", "./untyped.ts"]) {
  try { require(file); out[file] = "compiled"; } catch (err) { out[file] = strip(err.message); }
}
out.stateAfter = deferredTypeScriptState() ?? null;
process.stdout.write(JSON.stringify(out) + "\\n", () => process.exit(0));
`,
  );
  return pack;
}

interface PackRun {
  status: number | null;
  out: Record<string, unknown> | undefined;
  stderr: string;
}

/** run-policy-pack in `pack` as the CLI starts it, or with the check's preload and its caches in `cacheDir`. */
function runPack(pack: string, cacheDir?: string): PackRun {
  const env: NodeJS.ProcessEnv = { ...process.env, TS_NODE_CACHE_DIRECTORY: path.join(dir, "ts-node-cache") };
  delete env.JEWELRY_SHOP_COMPILE_CACHE;
  if (cacheDir) env.JEWELRY_SHOP_COMPILE_CACHE = cacheDir;
  const args = [...(cacheDir ? ["--require", packPreload] : []), runPolicyPack, "127.0.0.1:0", "."];
  const r = spawnSync(process.execPath, args, { cwd: pack, env, encoding: "utf8", timeout: 120_000 });
  const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
  return { status: r.status, out: line ? (JSON.parse(line) as Record<string, unknown>) : undefined, stderr: r.stderr.split(pack).join("<pack>") };
}

/** What the pack sees of the registration, whichever way TypeScript was loaded. */
const behaviour = (run: PackRun) => {
  const { stateAtEntry: _at, stateAfter: _after, ...rest } = run.out ?? {};
  return rest;
};

describe("ts-node's registration in the pack the check starts", () => {
  it("records TypeScript's answers once, then registers without loading TypeScript, and the pack compiles as under the CLI", () => {
    const pack = writePack("replayed", strictConfig);
    const cacheDir = path.join(dir, "cache-replayed");
    const cli = runPack(pack);
    const recorded = runPack(pack, cacheDir);
    const replayed = runPack(pack, cacheDir);

    expect(cli.out, cli.stderr).toBeDefined();
    expect(cli.out!.stateAtEntry).toBeNull();
    expect(recorded.out!.stateAtEntry).toBe("loaded");
    expect(replayed.out!.stateAtEntry).toBe("deferred");
    // The first compile loads it.
    expect(replayed.out!.stateAfter).toBe("loaded");

    expect(cli.out!.greeting).toBe("hello, pack");
    expect(cli.out!.trace).toEqual(["Error: from greet.ts", "    at Object.fail (<pack>/greet.ts:6:9)"]);
    expect(cli.out!["./mistyped.ts"]).toContain("error TS2322");
    expect(cli.out!["./untyped.ts"]).toContain("error TS7006");
    expect(behaviour(recorded)).toEqual(behaviour(cli));
    expect(behaviour(replayed)).toEqual(behaviour(cli));
  }, RUNS_TIMEOUT_MS);

  it("records again when a config file TypeScript read changes, and the pack compiles under the new options", () => {
    // The options live in the file tsconfig.json extends: run-policy-pack hands ts-node only the
    // top file's own, so only the check of what TypeScript read tells the change.
    const { module, moduleResolution, ...baseOptions } = strictConfig.compilerOptions;
    const pack = writePack("changed", { extends: "./base.json", compilerOptions: { module, moduleResolution } });
    const writeBase = (strict: boolean) => fs.writeFileSync(path.join(pack, "base.json"), JSON.stringify({ compilerOptions: { ...baseOptions, strict } }));
    writeBase(false);
    const cacheDir = path.join(dir, "cache-changed");
    runPack(pack, cacheDir);
    const lenient = runPack(pack, cacheDir);
    expect(lenient.out!.stateAtEntry).toBe("deferred");
    expect(lenient.out!["./untyped.ts"]).toBe("compiled");

    writeBase(true);
    const recordedAgain = runPack(pack, cacheDir);
    const replayedAgain = runPack(pack, cacheDir);
    expect(recordedAgain.out!.stateAtEntry).toBe("loaded");
    expect(replayedAgain.out!.stateAtEntry).toBe("deferred");
    expect(recordedAgain.out!["./untyped.ts"]).toContain("error TS7006");
    expect(behaviour(replayedAgain)).toEqual(behaviour(recordedAgain));
  }, RUNS_TIMEOUT_MS);

  it("fails on a config error exactly as under the CLI, every time, and keeps no recording of it", () => {
    const pack = writePack("misconfigured", { compilerOptions: { ...strictConfig.compilerOptions, target: "ES1999" } });
    const cacheDir = path.join(dir, "cache-misconfigured");
    const cli = runPack(pack);
    const withPreload = runPack(pack, cacheDir);
    expect(cli.status).not.toBe(0);
    expect(cli.stderr).toContain("Unable to compile TypeScript");
    expect(cli.stderr).toContain("error TS6046");
    expect(withPreload.status).toBe(cli.status);
    expect(withPreload.stderr).toBe(cli.stderr);
    // Nothing recorded, so the next start asks TypeScript again, and fails as this one did.
    const entries = fs.readdirSync(cacheDir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".js"));
    const recordings = entries.filter((f) => fs.readFileSync(path.join(cacheDir, f), "utf8").includes('"hostCalls"'));
    expect(recordings).toEqual([]);
  }, RUNS_TIMEOUT_MS);
});

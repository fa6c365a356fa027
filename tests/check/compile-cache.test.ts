// The compile cache that loads the check's and the pack's TypeScript (policies/compile-cache.js):
// an output is served only for the exact source, compiler and options it was made from and only
// whole, a warm start compiles nothing, stack traces name the TypeScript lines, and the check judges
// alike through a cold and a warm cache. Each case runs in a fresh Node process, as `npm run check`
// and the pack do.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./run-cli";

const repoRoot = path.resolve(__dirname, "../..");
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "compile-cache-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * The compilers a test process may register, as source. The cache's keys, entries and reuse do not
 * depend on which: esbuild loads in a third of TypeScript's time. The stack-trace test uses
 * TypeScript's inline source maps, as the pack's start.js compiles.
 */
const COMPILERS = {
  esbuild: `const esbuild = require(${JSON.stringify(path.join(repoRoot, "node_modules/esbuild"))});
        const transpile = (source, fileName) => esbuild.transformSync(source, { loader: "ts", format: "cjs", target: "es2022", sourcefile: fileName, sourcemap: "inline" }).code;`,
  typescript: `const ts = require(${JSON.stringify(path.join(repoRoot, "node_modules/typescript"))});
        const transpile = (source, fileName) => ts.transpileModule(source, { fileName, compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, inlineSourceMap: true } }).outputText;`,
};

/** Requires `entry` in a new Node process with the cache registered; prints the compiles it made and the entry's `value`. */
function load(
  entry: string, compilerKey = "test-compiler 1", preamble = "", cacheDir = path.join(dir, "cache"), compiler: keyof typeof COMPILERS = "esbuild",
): { compiles: string[]; value: unknown; stderr: string } {
  const script = `
    ${preamble}
    const path = require("node:path");
    const { registerCompileCache, mapStackTraces } = require(${JSON.stringify(path.join(repoRoot, "policies/compile-cache.js"))});
    const compiles = [];
    const { compiled } = registerCompileCache({
      cacheDir: ${JSON.stringify(cacheDir)},
      compilerKey: ${JSON.stringify(compilerKey)},
      compiler: () => {
        ${COMPILERS[compiler]}
        return { compile: (source, fileName) => {
          compiles.push(path.basename(fileName));
          return transpile(source, fileName);
        } };
      },
    });
    mapStackTraces(compiled);
    let value;
    try { value = require(${JSON.stringify(entry)}).value; } catch (err) { value = String(err.stack); }
    console.log(JSON.stringify({ compiles, value }));`;
  const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return { ...(JSON.parse(r.stdout) as { compiles: string[]; value: unknown }), stderr: r.stderr };
}

/** The entries in a cache folder. */
const cacheFiles = (cacheDir: string): string[] =>
  fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir, { recursive: true, encoding: "utf8" }).map((f) => path.join(cacheDir, f)).filter((f) => f.endsWith(".js")) : [];

describe("the compile cache", () => {
  it("compiles each file once, then serves it without compiling", () => {
    const entry = path.join(dir, "once", "main.ts");
    fs.mkdirSync(path.dirname(entry), { recursive: true });
    fs.writeFileSync(path.join(dir, "once", "part.ts"), "export const part: number = 20;\n");
    fs.writeFileSync(entry, 'import { part } from "./part";\nexport const value: number = part + 1;\n');
    expect(load(entry)).toMatchObject({ compiles: ["main.ts", "part.ts"], value: 21 });
    expect(load(entry)).toMatchObject({ compiles: [], value: 21 });
  });

  it("compiles a file again when its content changes, and never serves the old output", () => {
    const entry = path.join(dir, "changed", "main.ts");
    fs.mkdirSync(path.dirname(entry), { recursive: true });
    fs.writeFileSync(entry, "export const value: string = 'before';\n");
    expect(load(entry).value).toBe("before");
    fs.writeFileSync(entry, "export const value: string = 'after';\n");
    expect(load(entry)).toMatchObject({ compiles: ["main.ts"], value: "after" });
    // The same text as before is the same key again: its output was kept, and is still right.
    fs.writeFileSync(entry, "export const value: string = 'before';\n");
    expect(load(entry)).toMatchObject({ compiles: [], value: "before" });
  });

  it("compiles again for another compiler or other options (another key)", () => {
    const entry = path.join(dir, "compiler", "main.ts");
    fs.mkdirSync(path.dirname(entry), { recursive: true });
    fs.writeFileSync(entry, "export const value = 1;\n");
    load(entry, "test-compiler 1");
    expect(load(entry, "test-compiler 2").compiles).toEqual(["main.ts"]);
  });

  it("compiles again, and rewrites the entry, when a cached file is truncated, altered or another file's", () => {
    const cacheDir = path.join(dir, "corrupt-cache");
    const entry = path.join(dir, "corrupt", "main.ts");
    const other = path.join(dir, "corrupt", "other.ts");
    fs.mkdirSync(path.dirname(entry), { recursive: true });
    fs.writeFileSync(entry, "export const value: string = 'right';\n");
    fs.writeFileSync(other, "export const value: string = 'other';\n");
    expect(load(entry, undefined, "", cacheDir).compiles).toEqual(["main.ts"]);
    const [entryFile] = cacheFiles(cacheDir);
    const whole = fs.readFileSync(entryFile, "utf8");
    const damaged = {
      truncated: whole.slice(0, whole.length - 20),
      altered: whole.replace(/(["'])right\1/, "$1wrong$1"),
      "without its header": whole.slice(whole.indexOf("\n") + 1),
      empty: "",
    };
    for (const [damage, text] of Object.entries(damaged)) {
      expect(text, damage).not.toBe(whole);
      fs.writeFileSync(entryFile, text);
      expect(load(entry, undefined, "", cacheDir), damage).toMatchObject({ compiles: ["main.ts"], value: "right" });
      expect(fs.readFileSync(entryFile, "utf8"), damage).toBe(whole);
    }
    // Another file's whole entry copied over this one's is not this file's output either.
    expect(load(other, undefined, "", cacheDir).value).toBe("other");
    const otherFile = cacheFiles(cacheDir).find((f) => f !== entryFile) as string;
    fs.copyFileSync(otherFile, entryFile);
    expect(load(entry, undefined, "", cacheDir)).toMatchObject({ compiles: ["main.ts"], value: "right" });
    expect(load(entry, undefined, "", cacheDir)).toMatchObject({ compiles: [], value: "right" });
  });

  it("names the TypeScript line of a throw, also after a source-map-support is installed (as run-policy-pack does)", () => {
    const entry = path.join(dir, "trace", "main.ts");
    fs.mkdirSync(path.dirname(entry), { recursive: true });
    // Types and blank lines that the JavaScript drops, so its line numbers differ from the source's.
    fs.writeFileSync(entry, "interface Unused {\n  a: string;\n}\n\ntype Also = number;\n\nexport const value: number = (() => {\n  throw new Error('boom');\n})();\n");
    const plain = load(entry, "test-typescript 1", "", undefined, "typescript").value as string;
    expect(plain).toContain(`${entry}:8:`);
    const withSupport = load(entry, "test-typescript 1", `require(${JSON.stringify(path.join(repoRoot, "node_modules/source-map-support"))}).install();`, undefined, "typescript").value as string;
    expect(withSupport).toContain(`${entry}:8:`);
  });
});

describe("the bound on each cache", () => {
  const { pruneCache, writeKeyedEntry } = require("../../policies/compile-cache") as {
    pruneCache(cacheDir: string, maxBytes: number): number;
    writeKeyedEntry(cacheDir: string, key: string, text: string): void;
  };
  const hour = 60 * 60 * 1000;
  /** A file of `size` bytes written `ageMs` ago. */
  const put = (file: string, size: number, ageMs: number) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.alloc(size, 120));
    const when = new Date(Date.now() - ageMs);
    fs.utimesSync(file, when, when);
  };

  it("removes the least recently written entries beyond the bound, down to half of it, and nothing but the cache's own files", () => {
    const cacheDir = path.join(dir, "bounded");
    // Ten entries of 1 KB, entry 0 the oldest, in the cache's two-hex-digit folders.
    const entries = Array.from({ length: 10 }, (_, i) => path.join(cacheDir, `0${i % 3}`, `${i}.bin`));
    entries.forEach((file, i) => put(file, 1024, (10 - i) * hour));
    const foreign = [path.join(cacheDir, "README"), path.join(cacheDir, "other", "0.bin")];
    for (const file of foreign) put(file, 4096, 20 * hour);

    expect(pruneCache(cacheDir, 6 * 1024)).toBe(7);
    expect(entries.map((f) => fs.existsSync(f))).toEqual([false, false, false, false, false, false, false, true, true, true]);
    for (const file of foreign) expect(fs.existsSync(file)).toBe(true);
  });

  it("leaves a cache within its bound as it is, but removes a writer's temporary file left for over an hour", () => {
    const cacheDir = path.join(dir, "within");
    const entry = path.join(cacheDir, "ab", "ab12.js");
    const staleTemporary = path.join(cacheDir, "ab", "ab34.js.123.tmp");
    const freshTemporary = path.join(cacheDir, "ab", "ab56.js.456.tmp");
    put(entry, 100, 48 * hour);
    put(staleTemporary, 100, 2 * hour);
    put(freshTemporary, 100, 60 * 1000);

    expect(pruneCache(cacheDir, 1024)).toBe(1);
    expect([entry, staleTemporary, freshTemporary].map((f) => fs.existsSync(f))).toEqual([true, false, true]);
  });

  it("is measured by a process that writes an entry: a cache over 256 MB loses its oldest entries", () => {
    const cacheDir = path.join(dir, "over-the-bound");
    // A sparse file: 300 MB to stat, nothing on the disk.
    const old = path.join(cacheDir, "00", "old.bin");
    put(old, 0, 24 * hour);
    fs.truncateSync(old, 300 * 2 ** 20);
    writeKeyedEntry(cacheDir, "ff".repeat(32), "module.exports = 1;\n");
    expect(fs.existsSync(old)).toBe(false);
    expect(fs.readdirSync(path.join(cacheDir, "ff"))).toHaveLength(1);
  });
});

describe("the check and the pack through a cold and a warm compile cache", () => {
  /** `npm run check` of the production stack with its compile caches in `cacheRoot`: exit code and report without timings. */
  async function check(cacheRoot: string) {
    const result = await runCli(["--stack", "production", "--format", "json"], { JEWELRY_SHOP_COMPILE_CACHE: cacheRoot });
    const { timings: _timings, ...report } = JSON.parse(result.stdout) as Record<string, unknown>;
    return { code: result.code, report };
  }
  const entriesWithTimes = (cacheRoot: string) => new Map(cacheFiles(cacheRoot).map((f) => [f, fs.statSync(f).mtimeMs]));

  it("gives the same verdict, and the warm run compiles nothing", async () => {
    const cacheRoot = path.join(dir, "check-cache");
    const cold = await check(cacheRoot);
    const written = entriesWithTimes(cacheRoot);
    // Both the check's modules and the pack's, each in its own folder (another compiler, another key).
    for (const name of ["jewelry-shop-check", "jewelry-shop-policy-pack"]) {
      expect([...written.keys()].filter((f) => f.startsWith(path.join(cacheRoot, name, path.sep))).length, name).toBeGreaterThan(10);
    }
    const warm = await check(cacheRoot);
    expect(warm).toEqual(cold);
    expect(warm.code).toBe(0);
    expect(entriesWithTimes(cacheRoot)).toEqual(written);
  }, 300_000);
});

// The V8 code cache (policies/code-cache.js): a module compiled from it behaves as Node's own loader
// makes it, a second process compiles every module from it, and a changed source or a damaged entry
// is compiled again. Each case runs in fresh Node processes, as the check and the pack start.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const codeCache = path.resolve(__dirname, "../../policies/code-cache.js");
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "code-cache-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * A small program of CommonJS modules that reads everything a module gets from its loader. Four of
 * its six modules may be cached; two import dynamically (an import() call, and the
 * `new Function` that CommonJS packages reach ES modules with) and are left to Node.
 */
function writeProgram(root: string): string {
  fs.mkdirSync(path.join(root, "lib"), { recursive: true });
  fs.writeFileSync(
    path.join(root, "main.js"),
    `"use strict";
const path = require("node:path");
const helper = require("./lib/helper");
const out = {
  helper: helper.describe(),
  thisIsExports: helper.thisIsExports,
  resolved: path.relative(__dirname, require.resolve("./lib/helper")),
  lookupPaths: Array.isArray(require.resolve.paths("x")),
  cached: require.cache[require.resolve("./lib/helper")].exports === helper,
  main: require.main === module,
  extensions: Object.keys(require.extensions).includes(".js"),
  message: require("./lib/message").text,
};
try { helper.fail(); } catch (err) { out.trace = err.stack.split("\\n").slice(0, 2).map((l) => l.replace(__dirname, "<dir>")); }
try { require("./lib/first-line").fail(); } catch (err) { out.firstLineTrace = err.stack.split("\\n")[1].replace(__dirname, "<dir>"); }
Promise.all([require("./lib/esm-loader").load(), require("./lib/function-import").load()]).then(([a, b]) => {
  out.dynamicImport = [a.answer, b.answer];
  console.log(JSON.stringify(out));
});
`,
  );
  fs.writeFileSync(
    path.join(root, "lib", "helper.js"),
    `const thisIsExports = this === module.exports;
exports.describe = () => ({ file: require("node:path").basename(__filename), dir: require("node:path").basename(__dirname) });
exports.thisIsExports = thisIsExports;
exports.fail = () => { throw new Error("from the helper"); };
`,
  );
  fs.writeFileSync(path.join(root, "lib", "first-line.js"), 'exports.fail = () => { throw new Error("on the first line"); };\n');
  fs.writeFileSync(path.join(root, "lib", "message.js"), 'exports.text = "a string may say import(x) // or /* import( */";\n');
  fs.writeFileSync(path.join(root, "lib", "esm-loader.js"), 'exports.load = () => import("./esm.mjs");\n');
  fs.writeFileSync(
    path.join(root, "lib", "function-import.js"),
    'const load = new Function("specifier", "return import(specifier)");\nexports.load = () => load(require("node:path").join(__dirname, "esm.mjs"));\n',
  );
  fs.writeFileSync(path.join(root, "lib", "esm.mjs"), "export const answer = 42;\n");
  return path.join(root, "main.js");
}

interface Run {
  out: Record<string, unknown>;
  stats: { hits: number; misses: number; rejected: number; bypassed: number };
}

/** Runs `main` in a new Node process, through the code cache in `cacheDir` or (undefined) without it. */
function run(main: string, cacheDir: string | undefined): Run {
  const preload = cacheDir
    ? `require(${JSON.stringify(codeCache)}).installCodeCache({ cacheDir: ${JSON.stringify(cacheDir)}, kind: "test" });
       process.on("exit", () => process.stderr.write("STATS " + JSON.stringify(require(${JSON.stringify(codeCache)}).codeCacheStats()) + "\\n"));`
    : "";
  const preloadFile = path.join(dir, `preload-${cacheDir ? "cache" : "plain"}.js`);
  fs.writeFileSync(preloadFile, preload);
  const r = spawnSync(process.execPath, ["--require", preloadFile, main], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${main} exited ${r.status ?? r.signal}: ${r.stderr}${r.stdout}`);
  const stats = /STATS (.*)/.exec(r.stderr)?.[1];
  return { out: JSON.parse(r.stdout) as Record<string, unknown>, stats: stats ? (JSON.parse(stats) as Run["stats"]) : { hits: 0, misses: 0, rejected: 0, bypassed: 0 } };
}

const entries = (cacheDir: string): string[] =>
  fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".bin")).map((f) => path.join(cacheDir, f)) : [];

describe("the code cache", () => {
  it("loads modules as Node does, and a second process compiles every module from it", () => {
    const main = writeProgram(path.join(dir, "same"));
    const cacheDir = path.join(dir, "same-cache");
    const plain = run(main, undefined);
    const cold = run(main, cacheDir);
    const warm = run(main, cacheDir);

    expect(plain.out).toMatchObject({
      helper: { file: "helper.js", dir: "lib" }, thisIsExports: true, resolved: path.join("lib", "helper.js"),
      lookupPaths: true, cached: true, main: true, extensions: true, dynamicImport: [42, 42],
      message: "a string may say import(x) // or /* import( */",
    });
    expect((plain.out.trace as string[])[1]).toMatch(/<dir>\/lib\/helper\.js:4:30\)$/);
    expect(plain.out.firstLineTrace).toMatch(/<dir>\/lib\/first-line\.js:1:30\)$/);
    expect(cold.out).toEqual(plain.out);
    expect(warm.out).toEqual(plain.out);
    expect(cold.stats).toEqual({ hits: 0, misses: 4, rejected: 0, bypassed: 2 });
    expect(warm.stats).toEqual({ hits: 4, misses: 0, rejected: 0, bypassed: 2 });
    expect(entries(cacheDir)).toHaveLength(6);
  });

  it("compiles a changed module again, and a damaged entry anew", () => {
    const main = writeProgram(path.join(dir, "changed"));
    const cacheDir = path.join(dir, "changed-cache");
    run(main, cacheDir);
    fs.appendFileSync(path.join(dir, "changed", "lib", "helper.js"), "exports.more = 1;\n");
    const changed = run(main, cacheDir);
    // Damaged past the header: V8 itself would run the code it holds (Node 20 crashed).
    for (const entry of entries(cacheDir)) {
      const data = fs.readFileSync(entry);
      for (let i = data.indexOf(10) + 16; i < data.length; i += 7) data[i] ^= 0xff;
      fs.writeFileSync(entry, data);
    }
    const damaged = run(main, cacheDir);
    const again = run(main, cacheDir);

    expect(changed.stats).toEqual({ hits: 3, misses: 1, rejected: 0, bypassed: 2 });
    expect(damaged.stats).toEqual({ hits: 0, misses: 4, rejected: 0, bypassed: 2 });
    expect(damaged.out).toEqual(changed.out);
    expect(again.stats).toEqual({ hits: 4, misses: 0, rejected: 0, bypassed: 2 });
  });

  it("reports a module's syntax error as Node does", () => {
    const root = path.join(dir, "syntax");
    fs.mkdirSync(root, { recursive: true });
    fs.writeFileSync(path.join(root, "main.js"), "try { require('./broken'); } catch (err) { console.log(JSON.stringify({ out: err.name + ': ' + err.message + ' ' + err.stack.split('\\n')[0] })); }\n");
    fs.writeFileSync(path.join(root, "broken.js"), "const a = ;\n");
    expect(run(path.join(root, "main.js"), path.join(dir, "syntax-cache")).out).toEqual(run(path.join(root, "main.js"), undefined).out);
  });

  it("writes its entries once no module has loaded for a moment, in a process that a signal ends", async () => {
    const main = writeProgram(path.join(dir, "signal"));
    const cacheDir = path.join(dir, "signal-cache");
    const preloadFile = path.join(dir, "preload-signal.js");
    fs.writeFileSync(preloadFile, `require(${JSON.stringify(codeCache)}).installCodeCache({ cacheDir: ${JSON.stringify(cacheDir)}, kind: "test" });`);
    // Serves like the pack until a signal ends it: no exit handler runs.
    const child = spawn(process.execPath, ["--require", preloadFile, "-e", `require(${JSON.stringify(main)}); setInterval(() => {}, 1000); console.log("up");`], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    const deadline = Date.now() + 10_000;
    while (entries(cacheDir).length < 6 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));

    expect(entries(cacheDir)).toHaveLength(6);
    expect(run(main, cacheDir).stats).toEqual({ hits: 4, misses: 0, rejected: 0, bypassed: 2 });
  });
});

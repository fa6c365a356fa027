// @ts-check
// `npm run check`: runs check/cli.ts in this one Node process. The check engine and the program are
// TypeScript, compiled by esbuild file by file as tsx compiled them, through the pack's compile cache
// (policies/compile-cache.js: keyed by esbuild's version and options, the file and its content). tsx
// itself cost more than a second of CPU on every run (its own process, an ESM loader thread and
// source maps of every module), the half of loading the Pulumi SDK. Stack traces name compiled
// lines: for a debugger or mapped traces, `tsx check/cli.ts` runs the same CLI.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { isMainThread } = require("node:worker_threads");
const { npmDependenciesStale } = require("../scripts/npm-dependencies.cjs");

// npm's dependencies, installed first when missing (`npm run check` on a fresh clone): by
// scripts/ensure-deps.mjs, run only then, so an installed checkout's check is one process. Not again
// in the check's pack thread (check/pack-worker.cjs loads this file for its compile cache).
if (isMainThread && npmDependenciesStale(path.resolve(__dirname, ".."))) {
  const { spawnSync } = require("node:child_process");
  const installed = spawnSync(process.execPath, [path.resolve(__dirname, "../scripts/ensure-deps.mjs")], { stdio: "inherit" });
  if (installed.status !== 0) process.exit(installed.status ?? 1);
}

const { cacheDirFor, registerCompileCache } = require("../policies/compile-cache");

const repoRoot = path.resolve(__dirname, "..");
const esbuildManifest = require.resolve("esbuild/package.json", { paths: [repoRoot] });
// The pack thread (check/pack-worker.cjs loads this file) needs the compile cache alone: its V8 flags
// are the process's, it loads no SDK, and a worker ends without its exit event, so the code cache is
// the main thread's. What it loads before it spawns the pack delays the pack.
if (isMainThread) {
  const { setV8Flags } = require("../policies/v8-flags");
  const { SETTING, codeCacheSetting, installCodeCache } = require("../policies/code-cache");
  const { deferUnusedSdkModules, deferZodLocales } = require("../policies/deferred-sdk-modules");
  if (codeCacheSetting(process.env) === undefined) {
    process.stderr.write(`error: ${SETTING} must be "on" or "off" (V8's code cache of the check and its pack), got "${process.env[SETTING]}": fix it, or unset it to keep the cache on\n`);
    process.exit(2);
  }
  setV8Flags();
  installCodeCache({ kind: "check" });
  // For the SDK the check and the program load, and the zod of the program's config schema.
  deferUnusedSdkModules(__dirname);
  deferZodLocales(__dirname);
}

const tsconfigFile = path.join(repoRoot, "tsconfig.json");
// What tsx gives esbuild for a CommonJS module, but source maps; import() becomes require() so that
// `await import("./x")` loads the TypeScript module as it did under tsx.
/** @type {import("esbuild").TransformOptions} */
const esbuildOptions = {
  loader: "ts",
  format: "cjs",
  platform: "node",
  target: `node${process.versions.node.split(".")[0]}`,
  keepNames: true,
  supported: { "dynamic-import": false },
};

registerCompileCache({
  cacheDir: cacheDirFor(esbuildManifest, "jewelry-shop-check"),
  // This file too: it sets the options the compiler is called with.
  compilerKey: JSON.stringify(["esbuild", JSON.parse(fs.readFileSync(esbuildManifest, "utf8")).version, esbuildOptions, fs.readFileSync(tsconfigFile, "utf8"), fs.readFileSync(__filename, "utf8")]),
  compiler: () => {
    const esbuild = /** @type {typeof import("esbuild")} */ (require(path.dirname(esbuildManifest)));
    const tsconfigRaw = fs.readFileSync(tsconfigFile, "utf8");
    return {
      compile: (source, sourcefile) => esbuild.transformSync(source, { ...esbuildOptions, sourcefile, tsconfigRaw }).code,
    };
  },
});

// `node -r ./check/start.cjs other.ts` (the benchmark) only registers the compile cache.
if (require.main === module) {
  // `npm run check`: the pack's thread boots while the CLI reads its input (check/pack-thread.ts).
  /** @type {{ prestartPackThread(): void }} */ (require(path.join(__dirname, "pack-thread.ts"))).prestartPackThread();
  /** @type {{ main(argv: readonly string[]): Promise<void> }} */
  const cli = require(path.join(__dirname, "cli.ts"));
  void cli.main(process.argv.slice(2));
}

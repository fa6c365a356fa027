// @ts-check
// The pack's entry (package.json "main"), required by @pulumi/pulumi/cmd/run-policy-pack, which both
// `pulumi preview --policy-pack policies` and `npm run check` start. run-policy-pack registers ts-node
// WITH type-checking for every .ts file, which costs seconds on each start with a cold ts-node cache
// (every CI run, every changed file), and no setting of the pack turns it off (it passes
// `typeCheck: true` itself). So the pack compiles its own sources here: file by file with the
// TypeScript that ts-node would use, through a compile cache keyed by content (compile-cache.js),
// without a type-check; `tsc --noEmit` checks the types (`npm run typecheck` here, `npm test` at
// the repository root). Nothing may be printed to stdout before the pack prints its port.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { installCodeCache } = require("./code-cache");
const { cacheDirFor, mapStackTraces, registerCompileCache } = require("./compile-cache");
const { deferUnusedSdkModules } = require("./deferred-sdk-modules");
const { setV8Flags } = require("./v8-flags");
const { watchPackHeap } = require("./heap-watch");

// Both set before anything here loads (`npm run check` sets them before run-policy-pack loads).
setV8Flags();
installCodeCache({ kind: "pack" });

// For the SDK @pulumi/policy loads.
deferUnusedSdkModules(path.dirname(require.resolve("@pulumi/policy/package.json", { paths: [__dirname] })));

const tsconfigFile = path.join(__dirname, "tsconfig.json");
const typescriptManifest = require.resolve("typescript/package.json", { paths: [__dirname] });

const { compiled } = registerCompileCache({
  cacheDir: cacheDirFor(typescriptManifest, "jewelry-shop-policy-pack"),
  // This file too: it sets the options the compiler is called with.
  compilerKey: JSON.stringify(["typescript", JSON.parse(fs.readFileSync(typescriptManifest, "utf8")).version, fs.readFileSync(tsconfigFile, "utf8"), fs.readFileSync(__filename, "utf8")]),
  compiler: () => {
    const ts = /** @type {typeof import("typescript")} */ (require(path.dirname(typescriptManifest)));
    const { config, error } = ts.readConfigFile(tsconfigFile, ts.sys.readFile);
    if (error) throw new Error(`${tsconfigFile}: ${ts.flattenDiagnosticMessageText(error.messageText, "\n")}`);
    const { options, errors } = ts.convertCompilerOptionsFromJson(config.compilerOptions, __dirname, tsconfigFile);
    if (errors.length > 0) throw new Error(`${tsconfigFile}: ${errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, "\n")).join("; ")}`);
    // The source map lets a failing policy's stack trace name its TypeScript lines, as under ts-node.
    const compilerOptions = { ...options, sourceMap: false, inlineSourceMap: true, noEmit: false };
    return {
      compile: (source, fileName) => ts.transpileModule(source, { fileName, compilerOptions, reportDiagnostics: false }).outputText,
    };
  },
});

// run-policy-pack formats stack traces with source-map-support (ts-node's copy), which maps only
// what ts-node compiled: a failing policy's trace names its TypeScript lines all the same.
mapStackTraces(compiled);

require(path.join(__dirname, "index.ts"));
// Collects when the old generation grows while the pack judges a large stack's resources (heap-watch.js).
watchPackHeap();

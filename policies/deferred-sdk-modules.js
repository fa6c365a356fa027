// @ts-check
// @pulumi/pulumi's index loads three things at start that the pack never uses and the check's program
// run uses at most once: its automation API (a driver of the Pulumi CLI); for the closure serializer's
// code-path walker, npm's arborist, with pacote, sigstore and the rest of npm under them (together
// some 520 of the 770 modules a bare `require("@pulumi/pulumi")` loads, over a third of its CPU and
// 23 MB of its memory); and TypeScript (one 9 MB module, ~0.1 s and ~35 MB), which the serializer
// parses a function with, and which the check's parse cache (check/closure-parse-cache.ts) spares
// (the pack gets TypeScript anyway: run-policy-pack loads it for ts-node before the pack's entry).
// They are paid by both processes of every check and by the pack on every `pulumi preview`. Each is
// deferred: its require.cache entry is set, before the SDK loads, to a stand-in whose first use (any
// property read) loads the real module and puts it in the cache in the stand-in's place. A program
// that uses `pulumi.automation`, or serializes a function, gets the real module then.
// Used by the pack's entry (start.js) and by `npm run check` (check/start.cjs).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const Module = require("node:module");

/**
 * The SDK's modules to defer, by how the SDK requires them. Automation and arborist are read through
 * TypeScript's `__importStar`, which hands over a module marked `__esModule` as is, so their stand-ins
 * say they are one: the SDK keeps the stand-in and reads its exports (`automation.LocalWorkspace`,
 * `arborist.Arborist`) only when used. The TypeScript shim is read with a plain `require` and its
 * properties (`ts.createSourceFile`) only when a function is parsed; TypeScript is no ES module, so
 * its stand-in asks the real module about `__esModule` like anything else.
 * @param {string} sdkDir the folder of @pulumi/pulumi's package.json
 * @returns {{ file: string, esModule: boolean }[]}
 */
const deferredModulesOf = (sdkDir) => [
  { file: path.join(sdkDir, "automation", "index.js"), esModule: true },
  { file: require.resolve("@npmcli/arborist", { paths: [path.join(sdkDir, "runtime", "closure")] }), esModule: true },
  { file: path.join(sdkDir, "typescript-shim.js"), esModule: false },
];

/**
 * Puts a stand-in for `file` in require.cache unless the module is loaded already.
 * @param {string} file
 * @param {boolean} esModule whether the stand-in answers `__esModule` itself (true) without loading
 * @returns {boolean} whether a stand-in was set
 */
function deferModule(file, esModule) {
  if (require.cache[file] !== undefined) return false;
  /** @type {Record<string | symbol, unknown> | undefined} */
  let loaded;
  const real = () => {
    if (loaded === undefined) {
      delete require.cache[file];
      loaded = /** @type {Record<string | symbol, unknown>} */ (require(file));
    }
    return loaded;
  };
  const standIn = new Module(file);
  standIn.filename = file;
  standIn.paths = [];
  standIn.loaded = true;
  standIn.exports = new Proxy(
    {},
    {
      get: (_, key) => (esModule && key === "__esModule" ? true : Reflect.get(real(), key)),
      set: (_, key, value) => Reflect.set(real(), key, value),
      has: (_, key) => Reflect.has(real(), key),
      ownKeys: () => Reflect.ownKeys(real()),
      getOwnPropertyDescriptor: (_, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(real(), key);
        // A proxy may report only configurable properties that its own (empty) target lacks.
        return descriptor && { ...descriptor, configurable: true };
      },
    },
  );
  require.cache[file] = standIn;
  return true;
}

/**
 * Defers the SDK's unused start-up modules for the @pulumi/pulumi that `from` resolves. Changes
 * nothing when the SDK is loaded already or has another layout.
 * @param {string} from a folder whose resolution of @pulumi/pulumi is the one to defer in
 * @returns {string[]} the files deferred
 */
function deferUnusedSdkModules(from) {
  let files;
  try {
    const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [from] }));
    if (require.cache[path.join(sdkDir, "index.js")] !== undefined) return [];
    files = deferredModulesOf(sdkDir);
  } catch {
    return [];
  }
  return files.filter(({ file, esModule }) => fs.existsSync(file) && deferModule(file, esModule)).map(({ file }) => file);
}

module.exports = { deferUnusedSdkModules };

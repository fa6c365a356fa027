// @ts-check
// @pulumi/pulumi's index loads two things at start that neither the pack nor the check's program run
// uses: its automation API (a driver of the Pulumi CLI) and, for the closure serializer's code-path
// walker, npm's arborist, with pacote, sigstore and the rest of npm under them: some 520 of the 770
// modules a bare `require("@pulumi/pulumi")` loads, over a third of its CPU and 23 MB of its memory,
// paid by both processes of every check and by the pack on every `pulumi preview`. Each is deferred:
// its require.cache entry is set, before the SDK loads, to a stand-in whose first use (any property
// read) loads the real module and puts it in the cache in the stand-in's place. A program that uses
// `pulumi.automation`, or serializes a function that computes code paths, gets the real module then.
// Used by the pack's entry (start.js) and by `npm run check` (check/start.cjs).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const Module = require("node:module");

/**
 * The SDK's modules to defer, by how the SDK requires them: both are read through TypeScript's
 * `__importStar`, which hands over a module marked `__esModule` as is, so the SDK keeps the
 * stand-in and reads its exports (`automation.LocalWorkspace`, `arborist.Arborist`) only when used.
 * @param {string} sdkDir the folder of @pulumi/pulumi's package.json
 */
const deferredModulesOf = (sdkDir) => [
  path.join(sdkDir, "automation", "index.js"),
  require.resolve("@npmcli/arborist", { paths: [path.join(sdkDir, "runtime", "closure")] }),
];

/**
 * Puts a stand-in for `file` in require.cache unless the module is loaded already.
 * @param {string} file
 * @returns {boolean} whether a stand-in was set
 */
function deferModule(file) {
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
      get: (_, key) => (key === "__esModule" ? true : Reflect.get(real(), key)),
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
  return files.filter((file) => fs.existsSync(file) && deferModule(file));
}

module.exports = { deferUnusedSdkModules };

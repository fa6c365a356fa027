// @ts-check
// @pulumi/pulumi's index loads five things at start that the pack never uses and the check's program
// run uses at most once: its automation API (a driver of the Pulumi CLI); for the closure serializer's
// code-path walker, npm's arborist, with pacote, sigstore and the rest of npm under them (together
// some 520 of the 770 modules a bare `require("@pulumi/pulumi")` loads, over a third of its CPU and
// 23 MB of its memory), and normalize-package-data (31 modules, its SPDX licence tables built as it
// loads: 20-35 ms in each process); OpenTelemetry's API (44 modules), which the SDK reads only to
// pass a trace context along each of its own gRPC calls, none under mocks; and TypeScript (one 9 MB
// module, ~0.1 s and ~35 MB), which the serializer parses a function with, and which the check's
// parse cache (check/closure-parse-cache.ts) spares (under `pulumi preview` the pack gets TypeScript
// anyway: run-policy-pack loads it for ts-node before the pack's entry; the pack the check starts
// defers that load too, check/deferred-typescript.cjs).
// They are paid by both processes of every check and by the pack on every `pulumi preview`. Each is
// deferred: its require.cache entry is set, before the SDK loads, to a stand-in whose first use (any
// property read) loads the real module and puts it in the cache in the stand-in's place. A program
// that uses `pulumi.automation`, or serializes a function, gets the real module then.
// Used by the pack's entry (start.js), by `npm run check` (check/start.cjs) and by the pack the check
// starts, before run-policy-pack loads anything (check/pack-code-cache.cjs).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const Module = require("node:module");

/**
 * How a stand-in answers before its module loads. "esModule": it says it is an ES module (`__esModule`),
 * all else loads the module. "plain": everything loads it. "function": a CommonJS module whose export
 * is a function and which is no ES module; it says so (`__esModule` undefined, as the module's own)
 * and a call, like anything else, loads it.
 * @typedef {"esModule" | "plain" | "function"} StandInKind
 */

/**
 * The module `id` as `from` resolves it, or nothing where it does not resolve.
 * @param {string} id
 * @param {string} from
 * @param {StandInKind} kind
 * @returns {{ file: string, kind: StandInKind }[]}
 */
function optionalModule(id, from, kind) {
  try {
    return [{ file: require.resolve(id, { paths: [from] }), kind }];
  } catch {
    return [];
  }
}

/**
 * The SDK's modules to defer, by how the SDK requires them. Automation and arborist are read through
 * TypeScript's `__importStar`, which hands over a module marked `__esModule` as is, so their stand-ins
 * say they are one: the SDK keeps the stand-in and reads its exports (`automation.LocalWorkspace`,
 * `arborist.Arborist`) only when used; so is OpenTelemetry's API (`opentelemetry.propagation`, read
 * when the SDK makes a gRPC call). normalize-package-data, a function, is read through
 * `__importDefault`, which wraps a module that is no ES module as `{ default: module }` and calls it
 * only when the code-path walker normalizes a package. The TypeScript shim is read with a plain
 * `require` and its properties (`ts.createSourceFile`) only when a function is parsed; TypeScript is
 * no ES module, so its stand-in asks the real module about `__esModule` like anything else.
 * @param {string} sdkDir the folder of @pulumi/pulumi's package.json
 * @returns {{ file: string, kind: StandInKind }[]}
 */
const deferredModulesOf = (sdkDir) => {
  const closureDir = path.join(sdkDir, "runtime", "closure");
  return [
    { file: path.join(sdkDir, "automation", "index.js"), kind: "esModule" },
    { file: require.resolve("@npmcli/arborist", { paths: [closureDir] }), kind: "esModule" },
    // Only where this SDK still requires them: a layout without one defers the rest all the same.
    ...optionalModule("normalize-package-data", closureDir, "function"),
    ...optionalModule("@opentelemetry/api", path.join(sdkDir, "runtime"), "esModule"),
    { file: path.join(sdkDir, "typescript-shim.js"), kind: "plain" },
  ];
};

/**
 * A proxy handler that answers `get` with `get` and hands every other use the real module (loading it).
 * @param {() => object} real the real module's exports, loaded on first call
 * @param {(key: string | symbol) => unknown} get
 * @param {() => void} [onOther] told of any use but `get`
 * @returns {ProxyHandler<object>}
 */
function forwardingHandler(real, get, onOther = () => undefined) {
  return {
    get: (_, key) => get(key),
    set: (_, key, value) => (onOther(), Reflect.set(real(), key, value)),
    has: (_, key) => (onOther(), Reflect.has(real(), key)),
    ownKeys: () => (onOther(), Reflect.ownKeys(real())),
    getOwnPropertyDescriptor: (_, key) => {
      onOther();
      const descriptor = Reflect.getOwnPropertyDescriptor(real(), key);
      // A proxy may report only configurable properties that its own (empty) target lacks.
      return descriptor && { ...descriptor, configurable: true };
    },
  };
}

/**
 * A module object for `file` that require.cache can hold before the module is loaded, with `exports`.
 * @param {string} file
 * @param {unknown} exports
 */
function standInModule(file, exports) {
  const standIn = new Module(file);
  standIn.filename = file;
  standIn.paths = [];
  standIn.loaded = true;
  standIn.exports = exports;
  return standIn;
}

/**
 * Puts a stand-in for `file` in require.cache unless the module is loaded already.
 * @param {string} file
 * @param {StandInKind} kind what the stand-in answers without loading
 * @returns {boolean} whether a stand-in was set
 */
function deferModule(file, kind) {
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
  // An arrow function as the function's target: it has no non-configurable `prototype` for the proxy to honour.
  /** @type {object} */
  const target = kind === "function" ? () => undefined : {};
  const answer = (/** @type {string | symbol} */ key) => (key === "__esModule" && kind !== "plain" ? (kind === "esModule" ? true : undefined) : Reflect.get(real(), key));
  require.cache[file] = standInModule(file, new Proxy(target, {
    ...forwardingHandler(real, answer),
    apply: (_, thisArg, args) => Reflect.apply(/** @type {Function} */ (/** @type {unknown} */ (real())), thisArg, args),
  }));
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
  return files.filter(({ file, kind }) => fs.existsSync(file) && deferModule(file, kind)).map(({ file }) => file);
}

/**
 * Zod's error messages in 48 languages, which zod loads at start (`z.locales`, 48 modules): the
 * program's stack-config schema speaks English, which zod loads on its own. Deferred in the check's
 * process (check/start.cjs) for the zod that `from` resolves, until something reads a locale.
 * @param {string} from
 * @returns {boolean} whether a stand-in was set
 */
function deferZodLocales(from) {
  const [locales] = optionalModule("zod/v4/locales", from, "esModule");
  return locales !== undefined && deferModule(locales.file, locales.kind);
}

module.exports = { deferUnusedSdkModules, deferZodLocales, forwardingHandler, standInModule };

// @ts-check
// V8's compiled code of every CommonJS module a process loads, kept on disk between runs: Node 20
// parses and compiles each module's source on every start (no NODE_COMPILE_CACHE before Node 22), and
// the pack's start alone compiled ~9 MB of TypeScript that way. Each module is compiled here as Node
// compiles a wrapped module (vm.Script over Module.wrap), with the cached code when there is one. The
// code of a module compiled without it is written once no module has loaded for a moment (the CLI
// ends its pack by a signal, which runs no exit handler), and again when the process exits (the check
// and the pack the check starts, which it ends by closing its stdin), so that it holds every function
// the run compiled, not only the eager ones: what a pack's analysis compiles comes after its modules.
// An entry is keyed by the module's path and exact source, Node's and V8's versions and the process
// kind; V8 checks the rest itself (its flags, the source's length) and rejects an entry that does not
// fit, which is then compiled and written again. Nothing but compiled code is kept. A first run
// writes ~13 MB for the check and its pack and takes about a second longer.
// Used by the check's process (check/start.cjs), by the pack as the check starts it
// (check/pack-code-cache.cjs, before run-policy-pack loads TypeScript) and by the pack's entry
// (start.js: what `pulumi preview` loads after it).
"use strict";
const Module = require("node:module");
const path = require("node:path");
const vm = require("node:vm");
const { cacheDirFor, readEntryBytes, sha256, writeEntryBytes } = require("./compile-cache");

/** Bump when what an entry holds changes. */
const FORMAT = "4";
/** How long no module may load before the new entries are written. */
const QUIET_MS = 250;

/** @typedef {{ hits: number, misses: number, rejected: number, bypassed: number }} CodeCacheStats */

/** @type {CodeCacheStats} */
const stats = { hits: 0, misses: 0, rejected: 0, bypassed: 0 };

// import() needs the loader's callback, which Node attaches to the scripts it compiles itself and a
// cached script cannot carry into another process (Node 20 fails the import); code that eval or
// new Function compiles takes its caller's. So a module that may import dynamically is left to Node:
// one with an import() call, or with a string holding "import(" in the arguments of eval or Function
// (the `new Function("s", "return import(s)")` that CommonJS packages use to reach ES modules). Read
// with a tokenizer, as quotes, comments and regular expressions hide it from a text search (TypeScript
// has "import(" in its messages), and only for a source that has "import(" at all: once per new
// source, the answer kept with the entry. Code that builds the text of an import() piece by piece is
// not recognised.
const IMPORT_CALL = /\bimport\s*\(/;

/** True while the tokenizer loads: its own modules are compiled by Node. */
let loadingTokenizer = false;

/** @param {string} source */
function mayImportDynamically(source) {
  // Most modules never spell it: no tokenizer for them.
  if (!IMPORT_CALL.test(source)) return false;
  loadingTokenizer = true;
  let acorn;
  try {
    acorn = /** @type {typeof import("acorn")} */ (require("acorn"));
  } finally {
    loadingTokenizer = false;
  }
  const { tokenizer, tokTypes } = acorn;
  /** @type {(import("acorn").Token & { value?: unknown }) | undefined} */
  let previous;
  let depth = 0;
  /** The parenthesis depth of the arguments of an eval or Function call being read, else -1. */
  let evalArguments = -1;
  try {
    for (const read of tokenizer(source, { ecmaVersion: "latest", allowHashBang: true, allowReturnOutsideFunction: true, allowReserved: true })) {
      const token = /** @type {import("acorn").Token & { value?: unknown }} */ (read);
      if (token.type === tokTypes.parenL) {
        if (previous?.type === tokTypes._import) return true;
        depth++;
        if (evalArguments < 0 && previous?.type === tokTypes.name && (previous.value === "eval" || previous.value === "Function")) evalArguments = depth;
      } else if (token.type === tokTypes.parenR) {
        if (depth === evalArguments) evalArguments = -1;
        depth--;
      } else if (evalArguments >= 0 && (token.type === tokTypes.string || token.type === tokTypes.template) && IMPORT_CALL.test(String(token.value))) {
        return true;
      }
      previous = token;
    }
  } catch {
    return true; // not read through: assume it may
  }
  return false;
}

/** What an entry holds for a module left to Node (a V8 code cache never starts with it). */
const LEFT_TO_NODE = Buffer.from("left to Node: it may import dynamically\n");
// Per process, not per copy of this file: a pack with its own copy, started by the check that
// installed the repository's, must not install a second.
const INSTALLED = Symbol.for("jewelry-shop.code-cache");

const SETTING = "JEWELRY_SHOP_CODE_CACHE";

/**
 * JEWELRY_SHOP_CODE_CACHE: "off" turns the cache off (to measure without it, or to rule it out);
 * unset, empty or "on" leave it on. Anything else is undefined: `npm run check` refuses it.
 * @param {NodeJS.ProcessEnv} env
 * @returns {"on" | "off" | undefined}
 */
function codeCacheSetting(env) {
  const value = env[SETTING];
  if (value === undefined || value === "" || value === "on") return "on";
  return value === "off" ? "off" : undefined;
}

/**
 * Compiles each module this process loads from here on through the code cache in `cacheDir`: by
 * default `jewelry-shop-code-cache` in the .cache of the node_modules this file's packages come from
 * (JEWELRY_SHOP_COMPILE_CACHE moves it). Changes nothing when already installed, or when
 * JEWELRY_SHOP_CODE_CACHE is "off".
 * @param {{ kind: string, cacheDir?: string }} options kind: the process's kind ("check", "pack"), so
 *   that each reads the entries it wrote (V8 rejects code made under other flags, and a pack under the
 *   CLI gets its flags only when its entry runs)
 */
function installCodeCache({ kind, cacheDir = cacheDirFor(require.resolve("acorn/package.json", { paths: [__dirname] }), "jewelry-shop-code-cache") }) {
  const processState = /** @type {Record<symbol, boolean>} */ (/** @type {unknown} */ (process));
  if (processState[INSTALLED] || codeCacheSetting(process.env) === "off") return;
  processState[INSTALLED] = true;
  const Internal = /** @type {ModuleInternals} */ (/** @type {unknown} */ (Module));
  const compile = Internal.prototype._compile;
  /** @type {{ script: vm.Script, file: string, key: string, written: boolean }[]} */
  const compiled = [];
  const prefixLength = Internal.wrapper[0].length;
  /** @param {boolean} again whether to write an entry written already, with what was compiled since */
  const write = (again) => {
    for (const entry of compiled) {
      if (entry.written && !again) continue;
      writeEntryBytes(entry.file, entry.key, entry.script.createCachedData());
      entry.written = true;
    }
  };
  /** @type {NodeJS.Timeout | undefined} */
  let quiet;

  /** @type {(this: ModuleInstance, content: string, filename: string) => unknown} */
  Internal.prototype._compile = function compileThroughCodeCache(content, filename) {
    if (loadingTokenizer) return compile.call(this, content, filename);
    // A hashbang must open the source (the wrapper would put it after the function head); a module
    // that is not a file has no stable key.
    if (typeof content !== "string" || content.startsWith("#!") || !path.isAbsolute(filename)) return leaveToNode(this, content, filename);
    const key = sha256(`${FORMAT}\0${kind}\0${process.version}\0${process.versions.v8}\0${filename}\0`, content);
    const file = path.join(cacheDir, key.slice(0, 2), `${key}.bin`);
    // V8 does not check a cached code's integrity (a damaged one crashed Node 20 in a test): each
    // entry carries the digest of its code, as the compile cache's entries do.
    const cachedData = readEntryBytes(file, key);
    if (cachedData?.equals(LEFT_TO_NODE)) return leaveToNode(this, content, filename);
    // An entry is written only for a source read through; a new or damaged one is read again.
    if (cachedData === undefined && mayImportDynamically(content)) {
      writeEntryBytes(file, key, LEFT_TO_NODE);
      return leaveToNode(this, content, filename);
    }
    let script;
    try {
      script = new vm.Script(Internal.wrap(content), {
        filename,
        cachedData,
        // Stack traces name the module's own columns on its first line too.
        columnOffset: -prefixLength,
      });
    } catch {
      // A syntax error: Node compiles it again and reports it its own way.
      return compile.call(this, content, filename);
    }
    if (cachedData !== undefined && script.cachedDataRejected && mayImportDynamically(content)) {
      writeEntryBytes(file, key, LEFT_TO_NODE);
      return leaveToNode(this, content, filename);
    }
    if (cachedData === undefined) stats.misses++;
    else if (script.cachedDataRejected) stats.rejected++;
    else stats.hits++;
    if (cachedData === undefined || script.cachedDataRejected) {
      compiled.push({ script, file, key, written: false });
      clearTimeout(quiet);
      quiet = setTimeout(() => write(false), QUIET_MS).unref();
    }
    const moduleFunction = /** @type {ModuleFunction} */ (script.runInThisContext({ displayErrors: true }));
    return moduleFunction.call(this.exports, this.exports, requireFor(this), this, filename, path.dirname(filename));
  };
  const leaveToNode = (/** @type {ModuleInstance} */ module, /** @type {string} */ content, /** @type {string} */ filename) => {
    stats.bypassed++;
    return compile.call(module, content, filename);
  };

  process.once("exit", () => write(true));
}

/**
 * The `require` a module gets, as Node makes it (lib/internal/modules/helpers.js).
 * @param {ModuleInstance} module
 */
function requireFor(module) {
  const Internal = /** @type {ModuleInternals} */ (/** @type {unknown} */ (Module));
  /** @param {string} id */
  const require = (id) => module.require(id);
  require.resolve = Object.assign(
    (/** @type {string} */ request, /** @type {{ paths?: string[] } | undefined} */ options) => Internal._resolveFilename(request, module, false, options),
    { paths: (/** @type {string} */ request) => Internal._resolveLookupPaths(request, module) },
  );
  require.main = process.mainModule;
  require.extensions = Internal._extensions;
  require.cache = Internal._cache;
  return require;
}

/** How many modules this process compiled from the cache, without one, against a rejected one, and left to Node. */
const codeCacheStats = () => ({ ...stats });

/**
 * @typedef {(exports: unknown, require: NodeJS.Require, module: ModuleInstance, filename: string, dirname: string) => unknown} ModuleFunction
 * @typedef {{ exports: unknown, require(id: string): unknown }} ModuleInstance
 * @typedef {{
 *   prototype: { _compile(this: ModuleInstance, content: string, filename: string): unknown },
 *   wrap(content: string): string,
 *   wrapper: readonly string[],
 *   _resolveFilename(request: string, parent: ModuleInstance, isMain: boolean, options?: { paths?: string[] }): string,
 *   _resolveLookupPaths(request: string, parent: ModuleInstance): string[] | null,
 *   _extensions: NodeJS.RequireExtensions,
 *   _cache: NodeJS.Dict<NodeJS.Module>,
 * }} ModuleInternals
 */

module.exports = { SETTING, codeCacheSetting, codeCacheStats, installCodeCache };

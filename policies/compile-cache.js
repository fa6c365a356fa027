// @ts-check
// Loads TypeScript modules through a compile cache on disk: each .ts file is compiled on its own
// (no type-check: `tsc --noEmit` does that, in `npm test` and CI) and the JavaScript is kept under
// a key made of everything the output depends on: the compiler's name, version and options, the
// file's path and its exact content. A changed file, compiler or option is a new key, so a stale
// output can never be loaded; an entry is served only when its first line names its own key and the
// digest of the JavaScript under it, so a truncated, corrupt or misplaced file is compiled again and
// rewritten. Each cache is bounded (pruneCache, below). Nothing else is cached (no verdict, no
// state). Plain JavaScript, so that it runs before anything can compile TypeScript. Used by the
// policy pack's entry (start.js, with TypeScript, as ts-node compiled it) and by `npm run check`
// (check/start.cjs, with esbuild, as tsx compiled it).
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const { SourceMap } = require("node:module");
const path = require("node:path");

/** Bump when this file changes what it writes. */
const FORMAT = "2";

/**
 * The sha256 of `parts` one after the other, as of their concatenation: a key's fields and a source
 * are hashed in parts, as joining them would first copy the whole source.
 * @param {...(string | Buffer)} parts
 */
const sha256 = (...parts) => {
  const hash = crypto.createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
};
const headerOf = (/** @type {string} */ key, /** @type {string | Buffer} */ data) => `// compile-cache ${key} ${sha256(data)}\n`;
const entryFile = (/** @type {string} */ cacheDir, /** @type {string} */ key) => path.join(cacheDir, key.slice(0, 2), `${key}.js`);

/**
 * The bytes of an entry (what follows its header line), or undefined when the entry is missing or is
 * not whole and its own: its header must name `key` and the digest of those bytes.
 * @param {string} file
 * @param {string} key
 */
function readEntryBytes(file, key) {
  let bytes;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  const newline = bytes.indexOf(10);
  if (newline < 0) return undefined;
  const data = bytes.subarray(newline + 1);
  return bytes.toString("latin1", 0, newline + 1) === headerOf(key, data) ? data : undefined;
}

/** The JavaScript of a cache entry, as readEntryBytes reads it. */
const readEntry = (/** @type {string} */ file, /** @type {string} */ key) => readEntryBytes(file, key)?.toString("utf8");

/** Stores `data` under `key` in `file` with its header, atomically; a failed write is a miss next time. */
const writeEntryBytes = (/** @type {string} */ file, /** @type {string} */ key, /** @type {Buffer} */ data) =>
  writeAtomically(file, Buffer.concat([Buffer.from(headerOf(key, data), "latin1"), data]));

/**
 * @typedef {object} Compiler
 * @property {(source: string, filename: string) => string} compile The module's JavaScript (CommonJS).
 */

/**
 * Makes `require` load every `.ts` file outside node_modules through `compiler`, cached in `cacheDir`.
 * The compiler is created on the first cache miss only: a warm start loads no compiler at all.
 * @param {{ cacheDir: string, compiler: () => Compiler, compilerKey: string }} options
 *   compilerKey: what identifies the compiler and its options without loading it (version, options).
 * @returns {{ compiled: Map<string, string> }} the JavaScript of each loaded file, by file name
 */
function registerCompileCache(options) {
  const Module = /** @type {any} */ (require("node:module"));
  /** @type {Compiler | undefined} */
  let compiler;
  /** @type {Map<string, string>} */
  const compiled = new Map();
  const previous = Module._extensions[".ts"];

  Module._extensions[".ts"] = function loadTs(/** @type {any} */ module, /** @type {string} */ filename) {
    if (filename.split(path.sep).includes("node_modules")) {
      if (previous) return previous(module, filename);
      throw new Error(`${filename}: TypeScript inside node_modules is not compiled`);
    }
    const source = fs.readFileSync(filename, "utf8");
    const key = sha256(`${FORMAT}\0${options.compilerKey}\0${filename}\0`, source);
    const file = entryFile(options.cacheDir, key);
    let code = readEntry(file, key);
    if (code === undefined) {
      compiler ??= options.compiler();
      code = compiler.compile(source, filename);
      writeAtomically(file, headerOf(key, code) + code);
    }
    compiled.set(filename, code);
    module._compile(code, filename);
  };
  return { compiled };
}

/** Another process may read the same key at the same time: it sees the whole file or none. */
function writeAtomically(/** @type {string} */ file, /** @type {string | Buffer} */ text) {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, file);
  } catch {
    // A read-only or full disk costs a compile next time, nothing else.
    return;
  }
  // Every entry sits in <cache>/<two hex digits>/: its cache is two folders up.
  pruneOnce(path.dirname(path.dirname(file)));
}

// Keys change with every edit of a file, compiler or option, so old entries would pile up for ever:
// each cache is bounded. A process that writes an entry (warm runs write none) then measures the
// cache once, and beyond the bound removes its least recently written entries down to half of it.
// A removed entry still in use is compiled and written again: a cold start once, nothing else.
const MAX_CACHE_BYTES = 256 * 2 ** 20;
/** Left behind by a writer that died between its write and its rename. */
const STALE_TEMPORARY_MS = 60 * 60 * 1000;
/** @type {Set<string>} */
const measured = new Set();

function pruneOnce(/** @type {string} */ cacheDir) {
  if (measured.has(cacheDir)) return;
  measured.add(cacheDir);
  pruneCache(cacheDir, MAX_CACHE_BYTES);
}

/**
 * Removes the least recently written entries of the cache in `cacheDir` while it holds more than
 * `maxBytes`, down to half of that, and temporary files older than an hour. Only a cache's own files
 * (in its two-hex-digit folders) are touched.
 * @param {string} cacheDir
 * @param {number} maxBytes
 * @returns {number} how many files it removed
 */
function pruneCache(cacheDir, maxBytes) {
  /** @type {{ file: string, size: number, mtimeMs: number }[]} */
  const entries = [];
  let total = 0;
  let removed = 0;
  const remove = (/** @type {string} */ file) => {
    try {
      fs.unlinkSync(file);
      removed++;
      return true;
    } catch {
      return false; // another process removed it first
    }
  };
  try {
    for (const folder of fs.readdirSync(cacheDir)) {
      if (!/^[0-9a-f]{2}$/.test(folder)) continue;
      for (const name of fs.readdirSync(path.join(cacheDir, folder))) {
        const file = path.join(cacheDir, folder, name);
        const stat = fs.statSync(file, { throwIfNoEntry: false });
        if (!stat?.isFile()) continue;
        if (name.endsWith(".tmp")) {
          if (Date.now() - stat.mtimeMs > STALE_TEMPORARY_MS) remove(file);
          continue;
        }
        entries.push({ file, size: stat.size, mtimeMs: stat.mtimeMs });
        total += stat.size;
      }
    }
  } catch {
    return removed; // an unreadable cache is left as it is
  }
  if (total <= maxBytes) return removed;
  entries.sort((a, b) => a.mtimeMs - b.mtimeMs);
  for (const entry of entries) {
    if (total <= maxBytes / 2) break;
    if (remove(entry.file)) total -= entry.size;
  }
  return removed;
}

/**
 * The folder `name` under JEWELRY_SHOP_COMPILE_CACHE when set (e.g. a folder a CI cache keeps), else
 * under the .cache of the node_modules that holds `moduleFile`, where other build tools keep theirs.
 */
function cacheDirFor(/** @type {string} */ moduleFile, /** @type {string} */ name) {
  const chosen = process.env.JEWELRY_SHOP_COMPILE_CACHE;
  if (chosen) return path.resolve(chosen, name);
  const nodeModules = moduleFile.slice(0, moduleFile.lastIndexOf(`${path.sep}node_modules${path.sep}`) + `${path.sep}node_modules`.length);
  return path.join(nodeModules, ".cache", name);
}

const inlineSourceMap = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;

/**
 * Stack traces name the source lines of the files in `compiled` (JavaScript with an inline source
 * map, by file name), whatever formats them afterwards (V8, or a source-map-support installed before).
 * @param {ReadonlyMap<string, string>} compiled
 */
function mapStackTraces(compiled) {
  /** @type {Map<string, SourceMap | null>} */
  const maps = new Map();
  const mapOf = (/** @type {string} */ file) => {
    if (!maps.has(file)) {
      const match = inlineSourceMap.exec(compiled.get(file) ?? "");
      maps.set(file, match ? new SourceMap(JSON.parse(Buffer.from(match[1], "base64").toString("utf8"))) : null);
    }
    return maps.get(file) ?? null;
  };
  const format = Error.prepareStackTrace;
  Error.prepareStackTrace = (error, frames) => {
    const mapped = frames.map((frame) => mappedFrame(frame, mapOf));
    return format ? format(error, mapped) : `${error}${mapped.map((f) => `\n    at ${f}`).join("")}`;
  };
}

/**
 * The frame at its source position; every other detail as V8 gives it.
 * @param {NodeJS.CallSite} frame
 * @param {(file: string) => SourceMap | null} mapOf
 * @returns {NodeJS.CallSite}
 */
function mappedFrame(frame, mapOf) {
  const file = frame.getFileName();
  const line = frame.getLineNumber();
  const column = frame.getColumnNumber();
  if (!file || line === null || column === null) return frame;
  const entry = mapOf(file)?.findEntry(line - 1, column - 1);
  if (!entry || !("originalLine" in entry)) return frame;
  const original = { line: entry.originalLine + 1, column: entry.originalColumn + 1 };
  // The methods sit on the copy's prototype, as on a CallSite's (source-map-support clones a frame
  // from its prototype); CallSite methods check their receiver, so each is called on the frame.
  /** @type {Record<string, unknown>} */
  const methods = {};
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(frame))) {
    const member = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (frame))[name];
    if (name !== "constructor" && typeof member === "function") methods[name] = (/** @type {unknown[]} */ ...args) => member.apply(frame, args);
  }
  methods.getLineNumber = () => original.line;
  methods.getColumnNumber = () => original.column;
  methods.toString = () => frame.toString().replace(`${file}:${line}:${column}`, `${file}:${original.line}:${original.column}`);
  return Object.create(methods);
}

/**
 * Another cache's entry in this format (`text` under a header naming its key and digest), for the
 * check's closure parse cache: the text stored under `key`, or undefined when missing or not whole.
 * @param {string} cacheDir
 * @param {string} key a sha256 hex digest of everything the text depends on
 */
const readKeyedEntry = (cacheDir, key) => readEntry(entryFile(cacheDir, key), key);

/**
 * Stores `text` under `key` (see readKeyedEntry), atomically; a failed write is a miss next time.
 * @param {string} cacheDir
 * @param {string} key
 * @param {string} text
 */
const writeKeyedEntry = (cacheDir, key, text) => writeAtomically(entryFile(cacheDir, key), headerOf(key, text) + text);

module.exports = { cacheDirFor, mapStackTraces, pruneCache, readEntryBytes, readKeyedEntry, registerCompileCache, sha256, writeEntryBytes, writeKeyedEntry };

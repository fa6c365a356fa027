// @ts-check
// In the pack the offline check starts, TypeScript is loaded only if something compiles with it.
// run-policy-pack registers ts-node before the pack's entry runs (as `pulumi preview` does), and
// ts-node loads TypeScript for it: a 9 MB module, over half of the pack's start as the check starts
// it (1.02 → 0.46 s, 123 → 80 MB, on a loaded 2-core machine), on the check's critical path. Before
// it registers, run-policy-pack parses tsconfig.json's text with TypeScript (parseConfigFileTextToJson,
// a pure function of that text, answered from a cache of its own). Of TypeScript the registration
// only asks where the project's tsconfig.json is, what it says and what compiler options that makes
// (findConfigFile, readConfigFile, parseJsonConfigFileContent), reads a few enums and creates a
// language service that it uses only when it compiles a file; the pack's entry compiles its own .ts
// files through its compile cache, so on a warm start nothing else does.
//
// The registration itself always runs: ts-node's own code, with its source-map-support install, its
// extension handlers, its cache folder and its config errors. Only TypeScript's answers to it are
// reused. The first registration runs against the real TypeScript and records what ts-node read of it,
// each call and its answer, and each file TypeScript read or looked for on its behalf. A later
// registration with the same inputs (the TypeScript and ts-node, the options, cwd, the TS_NODE_* and
// NODE_ENV variables) whose files still say the same gets the recorded answers; the language service
// is created for real on its first use. Anything else it reads of TypeScript, any answer that differs
// or any call not recorded loads the real TypeScript and asks it, so a divergence costs the time
// saved, never a different answer. Only a registration that succeeded is recorded: a config error
// comes from TypeScript itself every time. The one host answer not checked again is the project's
// file list (readDirectory, for tsconfig's "include"): ts-node uses it only with its `files` option,
// and with it the registration is never replayed.
//
// Only for the ts-node the SDK ships (vendor/ts-node@7.0.1, the one run-policy-pack uses when the
// project has none) and the TypeScript that both the SDK and it resolve; any other layout registers as
// before. Under `pulumi preview` run-policy-pack runs before any code of the pack and loads TypeScript.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const Module = require("node:module");
const { readKeyedEntry, writeKeyedEntry, sha256 } = require("../policies/compile-cache");
const { forwardingHandler, standInModule } = require("../policies/deferred-sdk-modules");

/** Bump when what a recording holds changes. */
const FORMAT = "1";
/** TypeScript's functions whose answers are recorded and replayed. */
const REPLAYED = new Set(["findConfigFile", "readConfigFile", "parseJsonConfigFileContent"]);
/**
 * Pure functions of their arguments (and of TypeScript), answered from a cache of their own wherever
 * they are called: run-policy-pack parses tsconfig.json's text with one before it registers ts-node.
 */
const PURE = new Set(["parseConfigFileTextToJson"]);
/** Created for real on first use: creating it asks nothing of the host that could differ (cwd). */
const LAZY_RESULT = "createLanguageService";
/** The project's file list: used by ts-node only with `files`, under which nothing is replayed. */
const UNCHECKED_HOST_CALL = "readDirectory";

/**
 * What a host call (ts.sys) answered, as this process sees the file system now; undefined for a
 * call whose answer cannot be checked again.
 * @type {Record<string, ((...args: unknown[]) => Json) | undefined>}
 */
const HOST_OBSERVERS = {
  readFile: (file) => {
    try {
      return sha256(fs.readFileSync(String(file)));
    } catch {
      return null;
    }
  },
  fileExists: (file) => fs.statSync(String(file), { throwIfNoEntry: false })?.isFile() === true,
  directoryExists: (dir) => fs.statSync(String(dir), { throwIfNoEntry: false })?.isDirectory() === true,
  getCurrentDirectory: () => process.cwd(),
};

/** @typedef {import("./json").JsonValue} Json */
/**
 * A member of TypeScript (or of its `sys`) as the registration read it: data is kept as JSON.
 * @typedef {{ kind: "data", json: Json } | { kind: "function" } | { kind: "host", members: Record<string, Member> }} Member
 */
/**
 * @typedef {object} Recording
 * @property {Record<string, Member>} members
 * @property {{ member: string, args: string, argsAfter?: string, result: Json }[]} calls the
 *   arguments as JSON before the call and, when the call changed them, after it
 * @property {{ call: string, args: Json, answer: Json }[]} hostCalls
 */

const undefinedTag = "$deferred-typescript-undefined";

/**
 * JSON of a plain value (undefined kept as a tag); throws for anything JSON would not give back as it
 * was (a function, a symbol, a Map, a class instance, a number JSON does not carry).
 * @param {unknown} value
 * @returns {Json}
 */
function toJson(value) {
  if (value === undefined) return { [undefinedTag]: true };
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value) || Object.is(value, -0)) throw new Error("a number JSON does not carry");
    return value;
  }
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype && Object.getOwnPropertySymbols(value).length === 0) {
    /** @type {{ [key: string]: Json }} */
    const json = {};
    for (const key of Object.keys(value)) json[key] = toJson(/** @type {Record<string, unknown>} */ (value)[key]);
    return json;
  }
  throw new Error(`not plain data: ${typeof value}`);
}

/**
 * @param {Json} json
 * @returns {unknown}
 */
function fromJson(json) {
  if (Array.isArray(json)) return json.map(fromJson);
  if (json === null || typeof json !== "object") return json;
  if (undefinedTag in json) return undefined;
  /** @type {Record<string, unknown>} */
  const value = {};
  for (const key of Object.keys(json)) value[key] = fromJson(json[key]);
  return value;
}

/**
 * Makes the plain data `target` equal `json` in place (keys added, replaced and removed); a host
 * function or the host (a role in the JSON) is left as it is.
 * @param {unknown} target
 * @param {Json} json
 */
function syncInto(target, json) {
  if (target === null || typeof target !== "object" || json === null || typeof json !== "object" || "$host" in json) return;
  const record = /** @type {Record<string, unknown>} */ (target);
  const entries = /** @type {Record<string, Json>} */ (json);
  if (Array.isArray(target) && Array.isArray(json)) target.length = json.length;
  for (const key of Object.keys(record)) if (!(key in entries)) delete record[key];
  for (const key of Object.keys(entries)) {
    const current = record[key];
    const wanted = entries[key];
    const bothContainers = current !== null && typeof current === "object" && wanted !== null && typeof wanted === "object" && !(undefinedTag in wanted) && Array.isArray(current) === Array.isArray(wanted);
    if (bothContainers) syncInto(current, wanted);
    else record[key] = fromJson(wanted);
  }
}

/**
 * The shared forwarding handler (policies/deferred-sdk-modules.js), deleting and defining properties
 * forwarded too: a recording is told of those as of any use but `get`.
 * @param {() => object} real
 * @param {(key: string | symbol) => unknown} get
 * @param {() => void} [onOther]
 * @returns {ProxyHandler<object>}
 */
function forwardingEverything(real, get, onOther = () => undefined) {
  return {
    ...forwardingHandler(real, get, onOther),
    deleteProperty: (_, key) => (onOther(), Reflect.deleteProperty(real(), key)),
    defineProperty: (_, key, descriptor) => (onOther(), Reflect.defineProperty(real(), key, descriptor)),
  };
}

/**
 * The TypeScript and ts-node run-policy-pack would use with the SDK in `sdkDir`, when they are the
 * layout this handles: TypeScript resolvable from the SDK and from its vendored ts-node alike, and no
 * ts-node of the project's own.
 * @param {string} sdkDir
 */
function layoutOf(sdkDir) {
  const tsutils = path.join(sdkDir, "tsutils.js");
  const tsNodeFile = path.join(sdkDir, "vendor", "ts-node@7.0.1", "index.js");
  if (!fs.existsSync(tsutils) || !fs.existsSync(tsNodeFile)) return undefined;
  const fromSdk = Module.createRequire(tsutils);
  try {
    fromSdk.resolve("ts-node");
    return undefined; // the project's own ts-node: registered as is
  } catch {
    // the vendored one, as tsutils falls back to it
  }
  try {
    const tsFile = fromSdk.resolve("typescript");
    if (Module.createRequire(tsNodeFile).resolve("typescript") !== tsFile) return undefined;
    const packageDir = tsFile.slice(0, tsFile.lastIndexOf(`${path.sep}node_modules${path.sep}typescript${path.sep}`) + `${path.sep}node_modules${path.sep}typescript`.length);
    const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8"));
    if (typeof manifest.version !== "string") return undefined;
    const stat = fs.statSync(tsFile);
    return { tsFile, tsNodeFile, version: /** @type {string} */ (manifest.version), identity: [tsFile, manifest.version, stat.size, stat.mtimeMs, stat.ino] };
  } catch {
    return undefined;
  }
}

/**
 * Defers TypeScript's load in this process past ts-node's registration, for the SDK in `sdkDir`
 * (see the top of this file). Call before run-policy-pack loads anything.
 * @param {string} sdkDir the folder of @pulumi/pulumi's package.json
 * @param {string} cacheDir where recordings are kept (a keyed cache of policies/compile-cache.js)
 * @returns {{ state(): "waiting" | "replaying" | "recording" | "deferred" | "loaded" } | undefined}
 *   undefined when this layout registers as before
 */
function deferTypeScriptRegistration(sdkDir, cacheDir) {
  const layout = layoutOf(sdkDir);
  if (!layout || require.cache[layout.tsFile] !== undefined || require.cache[layout.tsNodeFile] !== undefined) return undefined;
  const { tsFile, tsNodeFile, version } = layout;

  // Its exports, the `ts` proxy below, are set once the proxy is made.
  const standIn = standInModule(tsFile, undefined);
  /** @type {"waiting" | "replaying" | "recording" | "deferred" | "loaded"} */
  let state = "waiting";
  /** @type {Record<string | symbol, unknown> | undefined} */
  let loaded;
  const real = (pure = false) => {
    // Loaded for anything but a pure call (which leaves the registration to be recorded), or read
    // while replaying: the registration goes on against the real TypeScript.
    if (!pure && (state === "replaying" || state === "deferred" || (state === "waiting" && loaded === undefined))) state = "loaded";
    if (loaded === undefined) {
      delete require.cache[tsFile];
      try {
        loaded = /** @type {Record<string | symbol, unknown>} */ (require(tsFile));
      } finally {
        // The stand-in stays the module's export, now forwarding: what ts-node requires during a
        // recorded registration is read through it, and every holder sees one TypeScript.
        require.cache[tsFile] = standIn;
      }
    }
    return loaded;
  };
  const realSys = () => /** @type {Record<string | symbol, unknown>} */ (real().sys);

  /** @type {Recording} */
  let recording = { members: {}, calls: [], hostCalls: [] };
  let replayable = true;
  const notReplayable = () => {
    if (state === "recording") replayable = false;
  };
  /** @type {Recording | undefined} */
  let replaying;
  let nextCall = 0;

  // Host functions (ts.sys) are handed out as wrappers, one per name, so that a call's arguments name
  // them by role ({ $host: "readFile" }) and the recorded answer can be checked again.
  /** @type {Map<unknown, string>} */
  const hostRoles = new Map();
  /** @type {Map<string, Function>} */
  const hostWrappers = new Map();
  const hostFunction = (/** @type {string} */ name) => {
    let wrapper = hostWrappers.get(name);
    if (!wrapper) {
      wrapper = function hostCall(/** @type {unknown[]} */ ...args) {
        const answer = /** @type {Function} */ (realSys()[name]).apply(realSys(), args);
        if (state === "recording") {
          const observe = HOST_OBSERVERS[name];
          try {
            if (observe) recording.hostCalls.push({ call: name, args: toJson(args), answer: observe(...args) });
            else if (name === UNCHECKED_HOST_CALL) recording.hostCalls.push({ call: name, args: toJson(args), answer: null });
            else replayable = false;
          } catch {
            replayable = false;
          }
        }
        return answer;
      };
      hostWrappers.set(name, wrapper);
      hostRoles.set(wrapper, name);
    }
    return wrapper;
  };

  /** The members of `sys` recorded so far. */
  const recordedHostMembers = () => {
    const member = (recording.members.sys ??= { kind: "host", members: {} });
    if (member.kind !== "host") throw new Error("sys recorded as no host");
    return member.members;
  };

  /** @type {Map<string, unknown>} */
  const dataCopies = new Map();
  /**
   * A member of `members` as recorded (replaying or deferred), else the real one.
   * @param {Record<string, Member> | undefined} members
   * @param {string | symbol} key
   * @param {(key: string) => unknown} fromReal
   * @param {string} scope
   * @returns {unknown}
   */
  const recordedOr = (members, key, fromReal, scope) => {
    const member = typeof key === "string" ? members?.[key] : undefined;
    if (loaded !== undefined || member === undefined || typeof key !== "string") return fromReal(/** @type {string} */ (key));
    if (member.kind === "data") {
      const id = `${scope}.${key}`;
      if (!dataCopies.has(id)) dataCopies.set(id, fromJson(member.json));
      return dataCopies.get(id);
    }
    if (member.kind === "host") return sys;
    return fromReal(key);
  };

  /** @type {Record<string | symbol, unknown>} */
  const sys = new Proxy({}, forwardingEverything(realSys, (key) => {
    const members = replaying?.members.sys?.kind === "host" ? replaying.members.sys.members : undefined;
    if (state === "recording" && typeof key === "string") {
      const value = realSys()[key];
      const hostMembers = recordedHostMembers();
      if (typeof value === "function") {
        hostMembers[key] = { kind: "function" };
        return hostFunction(key);
      }
      try {
        hostMembers[key] = { kind: "data", json: toJson(value) };
      } catch {
        replayable = false;
      }
      return value;
    }
    const member = typeof key === "string" ? members?.[key] : undefined;
    if (member?.kind === "function" || (loaded !== undefined && typeof key === "string" && typeof realSys()[key] === "function")) return hostFunction(/** @type {string} */ (key));
    return recordedOr(members, key, (name) => realSys()[name], "sys");
  }, notReplayable));

  /** @type {Map<string, Function>} */
  const functionWrappers = new Map();
  /** A member function of TypeScript, handed out once per name: recorded, replayed or called for real. */
  const tsFunction = (/** @type {string} */ name) => {
    let wrapper = functionWrappers.get(name);
    if (!wrapper) {
      wrapper = function typeScriptCall(/** @type {unknown[]} */ ...args) {
        if (state === "replaying" && REPLAYED.has(name)) {
          const expected = replaying?.calls[nextCall];
          const signature = signatureOf(args);
          if (expected && expected.member === name && expected.args === signature) {
            nextCall++;
            // What the call changed in its arguments (parseJsonConfigFileContent adds defaults to
            // the config it is handed), changed alike.
            if (expected.argsAfter !== undefined) {
              const after = /** @type {Json[]} */ (JSON.parse(expected.argsAfter));
              args.forEach((arg, i) => syncInto(arg, after[i]));
            }
            return fromJson(expected.result);
          }
        }
        if (PURE.has(name)) return pureCall(name, args);
        if (name === LAZY_RESULT && loaded === undefined && (state === "replaying" || state === "deferred")) return lazyResult(() => /** @type {Function} */ (real()[name])(...args));
        const recorded = state === "recording" && REPLAYED.has(name);
        const signature = recorded ? signatureOf(args) : undefined;
        const result = /** @type {Function} */ (real()[name])(...args);
        if (recorded) {
          const after = signatureOf(args);
          try {
            if (signature === undefined || after === undefined) throw new Error("an argument not recorded");
            recording.calls.push({ member: name, args: signature, ...(after === signature ? {} : { argsAfter: after }), result: toJson(result) });
          } catch {
            replayable = false;
          }
        }
        return result;
      };
      functionWrappers.set(name, wrapper);
    }
    return wrapper;
  };

  /**
   * A pure function's answer, kept under its arguments and TypeScript's identity.
   * @param {string} name
   * @param {unknown[]} args
   */
  const pureCall = (name, args) => {
    const signature = signatureOf(args);
    const key = signature === undefined ? undefined : sha256(JSON.stringify([FORMAT, process.version, layout.identity, name, signature]));
    const kept = key === undefined ? undefined : readKeyedEntry(cacheDir, key);
    if (kept !== undefined) {
      try {
        return fromJson(JSON.parse(kept));
      } catch {
        // a damaged entry: asked again
      }
    }
    const result = /** @type {Function} */ (real(true)[name])(...args);
    if (key !== undefined) {
      try {
        writeKeyedEntry(cacheDir, key, JSON.stringify(toJson(result)));
      } catch {
        // an answer JSON does not carry: asked every time
      }
    }
    return result;
  };

  /**
   * The arguments as JSON, host functions and the host itself by role; undefined when one is neither.
   * @param {unknown[]} args
   */
  const signatureOf = (args) => {
    try {
      return JSON.stringify(args.map((arg) => (arg === sys ? { $host: "sys" } : hostRoles.has(arg) ? { $host: hostRoles.get(arg) } : toJson(arg))));
    } catch {
      return undefined;
    }
  };

  const ts = new Proxy({}, forwardingEverything(real, (key) => {
    if (key === "version" && loaded === undefined) return version;
    if (typeof key === "string" && PURE.has(key)) return tsFunction(key);
    if (state === "recording" && typeof key === "string") {
      const value = real()[key];
      if (key === "sys") {
        recordedHostMembers();
        return sys;
      }
      if (typeof value === "function") {
        recording.members[key] = { kind: "function" };
        return tsFunction(key);
      }
      try {
        recording.members[key] = { kind: "data", json: toJson(value) };
      } catch {
        replayable = false;
      }
      return value;
    }
    const members = state === "replaying" || state === "deferred" ? replaying?.members : undefined;
    const member = typeof key === "string" ? members?.[key] : undefined;
    if (loaded === undefined && member?.kind === "function") return tsFunction(/** @type {string} */ (key));
    if (loaded !== undefined && typeof key === "string" && (REPLAYED.has(key) || key === LAZY_RESULT)) return tsFunction(key);
    if (key === "sys") return sys;
    return recordedOr(members, key, (name) => real()[name], "ts");
  }, notReplayable));

  standIn.exports = ts;
  require.cache[tsFile] = standIn;

  const tsNode = /** @type {{ register(options?: Record<string, unknown>): unknown, DEFAULTS: Record<string, unknown> }} */ (require(tsNodeFile));
  const realRegister = tsNode.register;
  // ts-node's own registration, its errors as run-policy-pack prints them: without this wrapper's frame.
  const register = (/** @type {unknown} */ self, /** @type {Record<string, unknown>} */ options) => {
    try {
      return realRegister.call(self, options);
    } catch (err) {
      if (err instanceof Error && typeof err.stack === "string") err.stack = err.stack.split("\n").filter((line) => !line.includes(`${__filename}:`)).join("\n");
      throw err;
    }
  };
  tsNode.register = function registerWithRecordedTypeScript(options = {}) {
    if (state !== "waiting") return register(this, options);
    const key = keyOf(layout.identity, tsNodeFile, options, tsNode.DEFAULTS);
    const kept = key === undefined ? undefined : readKeyedEntry(cacheDir, key);
    /** @type {Recording | undefined} */
    let candidate;
    try {
      candidate = kept === undefined ? undefined : JSON.parse(kept);
    } catch {
      candidate = undefined;
    }
    if (candidate && stillHolds(candidate)) {
      replaying = candidate;
      state = "replaying";
      try {
        return register(this, options);
      } finally {
        if (state === "replaying") state = "deferred";
      }
    }
    real();
    state = "recording";
    recording = { members: {}, calls: [], hostCalls: [] };
    replayable = key !== undefined;
    let result;
    try {
      result = register(this, options);
    } finally {
      state = "loaded";
    }
    if (replayable && key !== undefined) writeKeyedEntry(cacheDir, key, JSON.stringify(recording));
    return result;
  };

  deferral = { state: () => state };
  return deferral;
}

/** @type {{ state(): "waiting" | "replaying" | "recording" | "deferred" | "loaded" } | undefined} */
let deferral;

/** Where the deferral installed in this process stands (undefined: none), for tests and diagnostics. */
const deferredTypeScriptState = () => deferral?.state();

/**
 * The key of a registration's recording: everything TypeScript's answers to it depend on but the
 * files it reads (checked one by one); undefined when the options are not plain data or ask for the
 * project's file list.
 * @param {unknown[]} typescriptIdentity
 * @param {string} tsNodeFile
 * @param {Record<string, unknown>} options
 * @param {Record<string, unknown>} defaults ts-node's defaults, read from TS_NODE_* when it loaded
 */
function keyOf(typescriptIdentity, tsNodeFile, options, defaults) {
  try {
    if ({ ...defaults, ...options }.files) return undefined;
    const environment = Object.entries(process.env).filter(([name]) => name.startsWith("TS_NODE_") || name === "NODE_ENV").sort(([a], [b]) => (a < b ? -1 : 1));
    return sha256(JSON.stringify([FORMAT, process.version, typescriptIdentity, tsNodeFile, sha256(fs.readFileSync(tsNodeFile)), process.cwd(), toJson(options), environment]));
  } catch {
    return undefined;
  }
}

/**
 * Whether every file TypeScript read or looked for when `recording` was made says the same now.
 * @param {Recording} recording
 */
function stillHolds(recording) {
  if (!Array.isArray(recording.hostCalls) || !Array.isArray(recording.calls) || typeof recording.members !== "object") return false;
  return recording.hostCalls.every(({ call, args, answer }) => {
    if (call === UNCHECKED_HOST_CALL) return true;
    const observe = HOST_OBSERVERS[call];
    return observe !== undefined && Array.isArray(args) && JSON.stringify(observe(...args.map(fromJson))) === JSON.stringify(answer);
  });
}

/**
 * An object made by `create` on its first use.
 * @param {() => object} create
 */
function lazyResult(create) {
  /** @type {object | undefined} */
  let made;
  const real = () => (made ??= create());
  return new Proxy({}, forwardingEverything(real, (key) => {
    const value = Reflect.get(real(), key);
    return typeof value === "function" ? value.bind(real()) : value;
  }));
}

module.exports = { deferTypeScriptRegistration, deferredTypeScriptState };

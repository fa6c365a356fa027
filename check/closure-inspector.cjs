// @ts-check
// The SDK's closure serializer reads each captured variable through an inspector session
// (runtime/closure/v8Hooks.js). Opening that session, the SDK enables the Debugger domain for one
// reason: to map a script id to its URL, which only its error messages use ("function 'create':
// provider.ts(12,3)"). Enabling it makes V8 report, and hash, every script loaded so far, and every
// script loaded after: in the check's process 1,100 scripts, ~65 ms, ~90 ms of the program's run
// with the garbage it leaves; in the pack, which run-policy-pack opens the session for before it
// loads anything, ~60 ms of its start. And the SDK attaches its listener only after the enable has
// returned, so the reports of the scripts loaded before are dropped: its map only ever holds the
// scripts parsed after the session opened.
// This session answers exactly as the SDK's does, for less: no Debugger domain, the id of the last
// script parsed before it opened, and the Debugger enabled only once a function from a later script
// is located, which under the check is rare (a module loaded after the first dynamic provider was
// serialized) and in a pack never happens. Its listener is attached first, and keeps the later
// scripts only. And where the SDK asks V8 for a function's properties, inherited ones included, to
// read only its internal ones, it asks for the function's own (postAsTheSdkReads, below). Used by the
// check's program run (check/run-program.ts) and by the pack the check starts
// (check/pack-code-cache.cjs, before run-policy-pack opens the SDK's session).
"use strict";
const inspector = require("node:inspector");
const { promisify } = require("node:util");

/**
 * @pulumi/pulumi/runtime/closure/v8Hooks.js, which v8.js and run-policy-pack call through its exports.
 * @typedef {{
 *   getSessionAsync(): Promise<inspector.Session>,
 *   isInitializedAsync(): Promise<void>,
 *   getScriptUrl(id: string): string | undefined,
 * }} V8HooksModule
 */

/**
 * @typedef {object} HooksSession
 * @property {inspector.Session} session
 * @property {number} lastEarlierScript the id of the last script parsed before the session opened
 * @property {Map<string, string> | undefined} urls URLs of the later scripts, once one was asked for
 *   (the Debugger is on from then)
 */

// One session for the process, as the SDK keeps one: a second check in the same process (the tests)
// asks the same session, whose script ids and object ids stay valid.
/** @type {HooksSession | undefined} */
let opened;

/**
 * Posts to the in-process session, whose callbacks run before post returns.
 * @param {inspector.Session} session
 * @param {string} method
 * @param {object} [params]
 * @returns {any} the method's result
 */
function postNow(session, method, params) {
  /** @type {{ error: Error | null, result?: object } | undefined} */
  let answer;
  session.post(method, params ?? {}, (error, result) => void (answer = { error, result }));
  if (answer === undefined) throw new Error(`the inspector did not answer ${method} synchronously`);
  if (answer.error) throw answer.error;
  return answer.result;
}

/**
 * The session's `post` as the SDK calls it, for less. The SDK asks V8 for a function's properties
 * inherited ones included (`ownProperties: false`) to read only its internal properties
 * ([[FunctionLocation]], [[Scopes]], a bound function's [[BoundArgs]] and the rest), which V8 gives
 * the same either way: for an object the session handed out as a function, its own properties are
 * asked instead, half the cost of the ~300 asks of a check (every property of Function.prototype and
 * Object.prototype described, each time). Other objects (a bound function's arguments, whose values
 * the SDK reads) are asked as the SDK asks. And `util.promisify`, which the SDK applies to `post` on
 * every call, gets its promise form ready-made.
 * @param {inspector.Session} session
 */
function postAsTheSdkReads(session) {
  /** @type {(this: inspector.Session, method: string, params: any, callback?: (error: Error | null, result?: any) => void) => void} */
  const post = /** @type {any} */ (session.post);
  /** Object ids of the functions Runtime.evaluate returned (the SDK evaluates only its functions). */
  const functionIds = new Set();
  /**
   * @this {inspector.Session}
   * @param {string} method
   * @param {any} params
   * @param {(error: Error | null, result?: any) => void} [callback]
   */
  function sdkPost(method, params, callback) {
    if (method === "Runtime.getProperties" && params?.ownProperties === false && functionIds.has(params.objectId)) {
      params = { ...params, ownProperties: true };
    } else if (method === "Runtime.evaluate" && typeof callback === "function") {
      const answer = callback;
      callback = (error, result) => {
        const remote = result?.result;
        if (!error && remote?.objectId !== undefined && (remote.type === "function" || remote.className === "AsyncGeneratorFunction")) {
          functionIds.add(remote.objectId);
        }
        answer(error, result);
      };
    }
    return post.call(this, method, params, callback);
  }
  /**
   * @this {inspector.Session}
   * @param {string} method
   * @param {any} [params]
   */
  const promised = function (method, params) {
    return new Promise((resolve, reject) => sdkPost.call(this, method, params, (error, result) => (error ? reject(error) : resolve(result))));
  };
  Object.defineProperty(sdkPost, promisify.custom, { value: promised });
  session.post = /** @type {any} */ (sdkPost);
}

/** @returns {HooksSession} */
function openSession() {
  const session = new inspector.Session();
  session.connect();
  postAsTheSdkReads(session);
  // A function compiled now lives in the newest script: every script parsed before has a lower id.
  /** @type {inspector.Runtime.EvaluateReturnType} */
  const marker = postNow(session, "Runtime.evaluate", { expression: "(function () {})" });
  const objectId = marker.result.objectId;
  if (objectId === undefined) throw new Error("the inspector returned no object id for a function");
  /** @type {inspector.Runtime.GetPropertiesReturnType} */
  const { internalProperties } = postNow(session, "Runtime.getProperties", { objectId, ownProperties: false });
  postNow(session, "Runtime.releaseObject", { objectId });
  /** @type {{ scriptId?: string } | undefined} */
  const location = internalProperties?.find((property) => property.name === "[[FunctionLocation]]")?.value?.value;
  if (location?.scriptId === undefined) throw new Error("the inspector returned no [[FunctionLocation]] for a function");
  return { session, lastEarlierScript: Number(location.scriptId), urls: undefined };
}

/** @returns {HooksSession} */
function hooksSession() {
  opened ??= openSession();
  return opened;
}

/**
 * @param {string} id a script id, as [[FunctionLocation]] gives it
 * @param {(id: string) => string | undefined} sdkScriptUrl the SDK's own answer, for the scripts
 *   parsed before this session opened: nothing, unless the SDK's session was open then
 * @returns {string | undefined}
 */
function scriptUrl(id, sdkScriptUrl) {
  const hooks = hooksSession();
  if (Number(id) <= hooks.lastEarlierScript) return sdkScriptUrl(id);
  if (hooks.urls === undefined) {
    /** @type {Map<string, string>} */
    const urls = new Map();
    hooks.session.on("Debugger.scriptParsed", ({ params }) => {
      if (Number(params.scriptId) > hooks.lastEarlierScript) urls.set(params.scriptId, params.url);
    });
    postNow(hooks.session, "Debugger.enable");
    hooks.urls = urls;
  }
  return hooks.urls.get(id);
}

/**
 * Makes the SDK's closure serializer, and run-policy-pack's start, use the session above.
 * @param {V8HooksModule} hooks
 * @returns {() => void} the undo
 */
function deferDebuggerUntilNeeded(hooks) {
  const original = { getSessionAsync: hooks.getSessionAsync, isInitializedAsync: hooks.isInitializedAsync, getScriptUrl: hooks.getScriptUrl };
  hooks.getSessionAsync = async () => hooksSession().session;
  hooks.isInitializedAsync = async () => void hooksSession();
  hooks.getScriptUrl = (id) => scriptUrl(id, original.getScriptUrl);
  return () => void Object.assign(hooks, original);
}

module.exports = { deferDebuggerUntilNeeded };

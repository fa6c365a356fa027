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
// scripts only. Used by the check's program run (check/run-program.ts) and by the pack the check
// starts (check/pack-code-cache.cjs, before run-policy-pack opens the SDK's session).
"use strict";
const inspector = require("node:inspector");

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

/** @returns {HooksSession} */
function openSession() {
  const session = new inspector.Session();
  session.connect();
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

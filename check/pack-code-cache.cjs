// @ts-check
// Preloaded into the policy pack the offline check starts (`node --require`), before
// @pulumi/pulumi's run-policy-pack loads anything: the pack's V8 flags (policies/v8-flags.js) and
// its code cache (policies/code-cache.js), so that the TypeScript and ts-node that run-policy-pack
// loads before the pack's entry are compiled from the cache too. The pack's entry (start.js) sets
// the same for `pulumi preview`, from where it is loaded on. And the inspector session that
// run-policy-pack opens first for the closure serializer, without the Debugger domain that would
// report and hash every script the pack loads after it (check/closure-inspector.cjs). And the SDK's
// unused start-up modules deferred (policies/deferred-sdk-modules.js) before run-policy-pack loads
// its runtime settings, which load OpenTelemetry's API: the pack's entry defers them too late for that.
// And TypeScript, which run-policy-pack's ts-node registration loads, deferred until something compiles
// (check/deferred-typescript.cjs).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { setV8Flags } = require("../policies/v8-flags");
const { installCodeCache } = require("../policies/code-cache");
const { deferDebuggerUntilNeeded } = require("./closure-inspector.cjs");
const { deferUnusedSdkModules } = require("../policies/deferred-sdk-modules");
const { deferTypeScriptRegistration } = require("./deferred-typescript.cjs");
const { cacheDirFor } = require("../policies/compile-cache");

setV8Flags();
// Its own entries: V8 accepts cached code only under the flags it was made with, and this pack starts
// with another young generation than the pack the CLI starts (check/policy-pack-process.ts).
installCodeCache({ kind: "check-pack" });
// run-policy-pack (the script this process runs) requires the hooks of its own SDK; an SDK laid out
// otherwise keeps its own session (slower, the same answers).
const sdkDir = path.resolve(path.dirname(process.argv[1]), "../..");
const sdkHooks = path.join(sdkDir, "runtime/closure/v8Hooks.js");
if (fs.existsSync(sdkHooks)) deferDebuggerUntilNeeded(require(sdkHooks));
deferUnusedSdkModules(sdkDir);
// Its recordings of TypeScript's answers beside the code cache.
deferTypeScriptRegistration(sdkDir, cacheDirFor(path.join(sdkDir, "package.json"), "jewelry-shop-ts-node-registrations"));

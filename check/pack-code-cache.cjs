// @ts-check
// Preloaded into the policy pack the offline check starts (`node --require`), before
// @pulumi/pulumi's run-policy-pack loads anything: the pack's V8 flags (policies/v8-flags.js) and
// its code cache (policies/code-cache.js), so that the TypeScript and ts-node that run-policy-pack
// loads before the pack's entry are compiled from the cache too. The pack's entry (start.js) sets
// the same for `pulumi preview`, from where it is loaded on.
"use strict";
const { setV8Flags } = require("../policies/v8-flags");
const { installCodeCache } = require("../policies/code-cache");

setV8Flags();
installCodeCache({ kind: "pack" });

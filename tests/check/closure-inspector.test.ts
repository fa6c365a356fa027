// The closure serializer's inspector session (check/closure-inspector.ts): the check's serializations
// and their error messages are the SDK's own, word for word, and the Debugger domain (V8 reporting and
// hashing every loaded script) is enabled only once a function from a script parsed after the session
// opened is located. Each side runs in a fresh Node process, as `npm run check` runs the program.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const repoRoot = path.resolve(__dirname, "../..");

interface Serializations {
  /** The program's three dynamic providers, serialized as a dynamic resource does. */
  providers: Record<string, string>;
  /** Serializing a function that captures a native function fails: the message names the function. */
  earlyError: string;
  lateError: string;
  /** A bound function with bound arguments and an async generator function, which V8 describes apart. */
  bound: string;
  asyncGenerator: string;
  /** Runtime.getProperties posts that ask for inherited properties too, and all of them. */
  inheritedPropertyAsks: number;
  propertyAsks: number;
  /** Debugger.enable posts: after the providers and the early failure, and at the end. */
  debuggerEnablesBeforeLate: number;
  debuggerEnablesAtEnd: number;
}

/** Serializes in a fresh process, with the check's session (`deferred`) or the SDK's own. */
function serialize(deferred: boolean): Serializations {
  const script = `
    const inspector = require("node:inspector");
    const vm = require("node:vm");
    let debuggerEnables = 0, propertyAsks = 0, inheritedPropertyAsks = 0;
    const post = inspector.Session.prototype.post;
    inspector.Session.prototype.post = function (method, params, ...rest) {
      if (method === "Debugger.enable") debuggerEnables++;
      if (method === "Runtime.getProperties") {
        propertyAsks++;
        if (params.ownProperties === false) inheritedPropertyAsks++;
      }
      return post.call(this, method, params, ...rest);
    };
    const pulumi = require("@pulumi/pulumi");
    if (${deferred}) {
      const { deferDebuggerUntilNeeded } = require("./check/closure-inspector.cjs");
      deferDebuggerUntilNeeded(require("@pulumi/pulumi/runtime/closure/v8Hooks"));
    }
    const providers = {
      rls: require("./components/postgres/rls-provider.ts").tenantIsolationProvider,
      bucket: require("./components/b2/bucket-provider.ts").b2BucketProvider,
      key: require("./components/b2/key-provider.ts").b2KeyProvider,
    };
    const handlerOf = (file) => vm.runInThisContext("(function (native) { return function handler() { return native(); }; })", { filename: file });
    const native = require("node:util").types.isProxy;
    const failure = (handler) => pulumi.runtime.serializeFunction(handler(native)).then(() => "serialized", (e) => e.message);
    const early = handlerOf("/fixture/early.js"); // parsed before the first serialization opens the session
    (async () => {
      const out = { providers: {} };
      for (const [name, provider] of Object.entries(providers)) {
        out.providers[name] = (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
      }
      const carats = (base, extra, factor) => (base + extra) * factor;
      const bound = carats.bind(null, 2, 0.5);
      out.bound = (await pulumi.runtime.serializeFunction(() => bound(3))).text;
      async function* facets() { yield 58; }
      out.asyncGenerator = (await pulumi.runtime.serializeFunction(() => facets)).text;
      out.propertyAsks = propertyAsks;
      out.inheritedPropertyAsks = inheritedPropertyAsks;
      out.earlyError = await failure(early);
      out.debuggerEnablesBeforeLate = debuggerEnables;
      out.lateError = await failure(handlerOf("/fixture/late.js"));
      out.debuggerEnablesAtEnd = debuggerEnables;
      console.log(JSON.stringify(out));
    })();`;
  const r = spawnSync(process.execPath, ["-r", "./check/start.cjs", "-e", script], { cwd: repoRoot, encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Serializations;
}

describe("the closure serializer's inspector session", () => {
  let sdk: Serializations;
  let check: Serializations;
  beforeAll(() => {
    sdk = serialize(false);
    check = serialize(true);
  }, 60_000);

  it("serializes the dynamic providers to the SDK's very text", () => {
    expect(Object.keys(check.providers)).toEqual(["rls", "bucket", "key"]);
    expect(check.providers).toEqual(sdk.providers);
  });

  it("serializes a bound function's arguments and an async generator function as the SDK does", () => {
    expect(sdk.bound).toContain('__pulumi_bound_arg_0: 2, __pulumi_bound_arg_1: 0.5');
    expect(check.bound).toBe(sdk.bound);
    expect(sdk.asyncGenerator).toContain("async function* /*facets*/()");
    expect(check.asyncGenerator).toBe(sdk.asyncGenerator);
  });

  it("asks V8 for a function's own properties only, and for a bound function's arguments as the SDK does", () => {
    // One more: the session's own ask, on opening, for where the newest script is.
    expect(check.propertyAsks).toBe(sdk.propertyAsks + 1);
    expect(sdk.inheritedPropertyAsks).toBe(sdk.propertyAsks);
    expect(sdk.propertyAsks).toBeGreaterThan(100);
    // The only ask left with inherited properties: the bound function's [[BoundArgs]], whose values the SDK reads.
    expect(check.inheritedPropertyAsks).toBe(1);
  });

  it("words a failure as the SDK does: no file for a script parsed before the session, the file for one parsed after", () => {
    expect(sdk.earlyError).toContain("function 'handler': captured");
    expect(sdk.earlyError).not.toContain("early.js");
    expect(sdk.lateError).toContain("function 'handler': late.js(1,");
    expect(check.earlyError).toBe(sdk.earlyError);
    expect(check.lateError).toBe(sdk.lateError);
  });

  it("answers as the SDK for a script parsed while the SDK's own session was open before it", () => {
    const script = `
      const vm = require("node:vm");
      const pulumi = require("@pulumi/pulumi");
      const hooks = require("@pulumi/pulumi/runtime/closure/v8Hooks");
      const native = require("node:util").types.isProxy;
      (async () => {
        await hooks.isInitializedAsync(); // the SDK's session, as run-policy-pack opens it
        const handler = vm.runInThisContext("(function (native) { return function handler() { return native(); }; })", { filename: "/fixture/between.js" });
        require("./check/closure-inspector.cjs").deferDebuggerUntilNeeded(hooks);
        const message = await pulumi.runtime.serializeFunction(handler(native)).then(() => "serialized", (e) => e.message);
        console.log(JSON.stringify(message));
      })();`;
    const r = spawnSync(process.execPath, ["-r", "./check/start.cjs", "-e", script], { cwd: repoRoot, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout) as string).toContain("function 'handler': between.js(1,");
  });

  it("enables the Debugger only when a function from a later script is located", () => {
    expect(sdk.debuggerEnablesBeforeLate).toBe(1);
    expect(check.debuggerEnablesBeforeLate).toBe(0);
    expect(check.debuggerEnablesAtEnd).toBe(1);
  });
});

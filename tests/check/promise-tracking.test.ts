// While the check runs a program, the SDK's promises are tracked for leaks as the SDK tracks them and
// settle in the same microtask turn (so resources register in the same order), without the debug
// properties the SDK defines on each of them.
import { describe, expect, it } from "vitest";
import { trackPromisesWithoutDecorations } from "../../check/promise-tracking";

interface Debuggable {
  debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T>;
  readonly debugPromiseLeaks: boolean;
  /** What the SDK's exit check reports: the candidates and its message. */
  leakedPromises(): [Set<Promise<unknown>>, string];
}
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as Debuggable;
const state = require("@pulumi/pulumi/runtime/state") as { getStore(): { leakCandidates: Set<Promise<unknown>> } };
const sdkDebuggablePromise = debuggable.debuggablePromise;

/** The microtask turn in which a wrapped promise's own handlers run, counted from its creation. */
async function settleTurn(wrap: (p: Promise<number>) => Promise<number>, outcome: "resolve" | "reject"): Promise<number> {
  let turn = 0;
  let settledAt = -1;
  const wrapped = wrap(outcome === "resolve" ? Promise.resolve(1) : Promise.reject(new Error("failed")));
  wrapped.then(
    () => (settledAt = turn),
    () => (settledAt = turn),
  );
  for (let i = 0; i < 20; i++) {
    await null;
    turn++;
  }
  return settledAt;
}

describe("promise tracking while the check runs a program", () => {
  it("settles in the same microtask turn as the SDK's own wrapper, resolved or rejected", async () => {
    const viaSdk = { resolve: await settleTurn((p) => sdkDebuggablePromise(p, "sdk"), "resolve"), reject: await settleTurn((p) => sdkDebuggablePromise(p, "sdk"), "reject") };
    const restore = trackPromisesWithoutDecorations(debuggable, state);
    try {
      debuggable.debuggablePromise(Promise.resolve(0), "the first call is the SDK's");
      const viaCheck = { resolve: await settleTurn((p) => debuggable.debuggablePromise(p, "check"), "resolve"), reject: await settleTurn((p) => debuggable.debuggablePromise(p, "check"), "reject") };
      expect(viaSdk.resolve).toBeGreaterThan(0);
      expect(viaCheck).toEqual(viaSdk);
    } finally {
      restore();
    }
  });

  it("counts a promise as a leak candidate until it settles, marks a rejection with its promise, and defines no debug properties", async () => {
    const restore = trackPromisesWithoutDecorations(debuggable, state);
    const candidates = () => state.getStore().leakCandidates.size;
    try {
      await debuggable.debuggablePromise(Promise.resolve(0), "the first call is the SDK's");
      const before = candidates();
      let resolve: (value: string) => void = () => undefined;
      const pending = new Promise<string>((r) => (resolve = r));
      const tracked = debuggable.debuggablePromise(pending, "pending");
      expect(candidates()).toBe(before + 1);
      expect(Object.getOwnPropertyNames(pending)).toEqual([]);
      resolve("done");
      await expect(tracked).resolves.toBe("done");
      expect(candidates()).toBe(before);

      const failing = Promise.reject(new Error("boom"));
      const error = await debuggable.debuggablePromise(failing, "failing").catch((err: Error & { promise?: unknown }) => err);
      expect(error.promise).toBe(failing);
      expect(candidates()).toBe(before);
    } finally {
      restore();
    }
    expect(debuggable.debuggablePromise).toBe(sdkDebuggablePromise);
  });
});

describe("the SDK's leak check at exit after the check ran a program", () => {
  it("reports a promise the program left pending, as the SDK reports it, and none once it settled", async () => {
    const restore = trackPromisesWithoutDecorations(debuggable, state);
    let resolve: (value: number) => void = () => undefined;
    try {
      await debuggable.debuggablePromise(Promise.resolve(0), "the first call is the SDK's");
      void debuggable.debuggablePromise(new Promise<number>((r) => (resolve = r)), "left pending");
    } finally {
      restore();
    }
    const [leaked, message] = debuggable.leakedPromises();
    expect(leaked.size).toBe(1);
    expect(message).toContain("The Pulumi runtime detected that 1 promise was still active");
    // The check again, after the promise settled: its store starts afresh, as the SDK's does.
    const restoreAgain = trackPromisesWithoutDecorations(debuggable, state);
    try {
      const settling = debuggable.debuggablePromise(new Promise<number>((r) => (resolve = r)), "settles");
      resolve(1);
      await settling;
    } finally {
      restoreAgain();
    }
    expect(debuggable.leakedPromises()[1]).toBe("");
  });
});

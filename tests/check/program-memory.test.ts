// The check's process collects its program's garbage once the program has run, when its heap is
// large, and once a large heap grows while the program's resources register (check/program-memory.ts):
// `npm run check` gives it V8's gc(), a small heap is left alone.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { collectAsRegistrationsComplete } from "../../check/program-memory";

const repoRoot = path.resolve(__dirname, "../..");

/** Runs `script` in a process started as `npm run check` starts the check (V8's gc() exposed); its last line, parsed. */
function inCheckProcess<T>(script: string): T {
  const r = spawnSync(process.execPath, ["-r", "./check/start.cjs", "-e", script], { cwd: repoRoot, encoding: "utf8", timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as T;
}

describe("the program's garbage in the check's process", () => {
  it("is collected when the heap is large, and a small heap is left alone", () => {
    const script = `
      const { releaseProgramGarbage } = require("./check/program-memory.ts");
      const out = { small: releaseProgramGarbage() };
      // Garbage the way a program leaves it: survived into the old space, then dropped.
      let kept = Array.from({ length: 100 }, () => Array.from({ length: 50_000 }, (_, i) => ({ i, text: "x" + i })));
      kept = undefined;
      out.heapTotalBefore = process.memoryUsage().heapTotal;
      out.usedBefore = process.memoryUsage().heapUsed;
      out.large = releaseProgramGarbage();
      out.usedAfter = process.memoryUsage().heapUsed;
      console.log(JSON.stringify(out));`;
    const out = inCheckProcess<Record<string, number | boolean>>(script);
    expect(out.small).toBe(false);
    expect(out.heapTotalBefore as number).toBeGreaterThan(256 * 2 ** 20);
    expect(out.large).toBe(true);
    expect(out.usedAfter as number).toBeLessThan((out.usedBefore as number) / 4);
  }, 120_000);
});

const MB = 2 ** 20;

/** A heap whose size the test sets, and the collections asked of it. */
function fakeHeap(sizeMb: number) {
  const heap = { sizeMb, collections: [] as number[], afterCollectionMb: undefined as number | undefined };
  const watch = {
    bytes: () => heap.sizeMb * MB,
    collect: () => {
      heap.collections.push(heap.sizeMb);
      if (heap.afterCollectionMb !== undefined) heap.sizeMb = heap.afterCollectionMb;
    },
  };
  return { heap, watch };
}

/** Calls the per-registration hook `count` times. */
const register = (hook: () => void, count: number) => {
  for (let i = 0; i < count; i++) hook();
};

describe("the check's collection while the program's resources register", () => {
  it("leaves a heap under 256 MB alone however much it grows", () => {
    const { heap, watch } = fakeHeap(100);
    const hook = collectAsRegistrationsComplete(watch);
    register(hook, 32);
    heap.sizeMb = 250;
    register(hook, 320);
    expect(heap.collections).toEqual([]);
  });

  it("collects once a large heap has grown 16 MB past where it was first seen, and measures again from there", () => {
    const { heap, watch } = fakeHeap(270);
    const hook = collectAsRegistrationsComplete(watch);
    register(hook, 32); // first seen large at 270 MB
    heap.sizeMb = 285;
    register(hook, 64);
    expect(heap.collections).toEqual([]);
    heap.sizeMb = 286;
    heap.afterCollectionMb = 280;
    register(hook, 32);
    expect(heap.collections).toEqual([286]);
    // From the size after the collection: 280 + 16.
    heap.sizeMb = 295;
    register(hook, 32);
    expect(heap.collections).toEqual([286]);
    heap.sizeMb = 296;
    register(hook, 32);
    expect(heap.collections).toEqual([286, 296]);
  });

  it("looks at the heap only every 32 registrations", () => {
    const { heap, watch } = fakeHeap(300);
    let looks = 0;
    const hook = collectAsRegistrationsComplete({ ...watch, bytes: () => (looks++, watch.bytes()) });
    register(hook, 31);
    expect(looks).toBe(0);
    register(hook, 1);
    expect(looks).toBe(1);
    register(hook, 64);
    expect(looks).toBe(3);
    expect(heap.collections).toEqual([]);
  });

  it("collects in the check's process, whose gc() start.cjs exposes", () => {
    const script = `
      const { collectAsRegistrationsComplete } = require("./check/program-memory.ts");
      const hook = collectAsRegistrationsComplete();
      const live = Array.from({ length: 80 }, () => Array.from({ length: 50_000 }, (_, i) => ({ i, text: "x" + i })));
      for (let i = 0; i < 32; i++) hook(); // first seen large (above 256 MB)
      // Garbage the way registrations leave it: survived into the old space, then dropped.
      let dropped = Array.from({ length: 40 }, () => Array.from({ length: 50_000 }, (_, i) => ({ i, text: "y" + i })));
      dropped = undefined;
      const usedBefore = process.memoryUsage().heapUsed;
      for (let i = 0; i < 32; i++) hook();
      console.log(JSON.stringify({ live: live.length, usedBefore, usedAfter: process.memoryUsage().heapUsed }));`;
    const out = inCheckProcess<{ usedBefore: number; usedAfter: number }>(script);
    expect(out.usedAfter).toBeLessThan(out.usedBefore * 0.8);
  }, 120_000);
});

describe("a finished program's resources", () => {
  it("are let go once the program has run: only what its module still exports stays reachable", () => {
    // The fixture keeps exporting one resource's Output, and leaves weak references to a component,
    // that resource and its sibling. Without the check letting go, the SDK's root Stack resource holds
    // all three (verified: every reference stays alive then).
    const script = `
      const path = require("node:path");
      const { runProgram } = require("./check/run-program.ts");
      const { collector } = require("./policies/heap-watch.js");
      const dir = path.resolve("tests/check/fixtures/forgotten-program");
      const stackConfig = { project: "forgotten", stack: "test", rootDir: dir, main: dir, stackFile: path.join(dir, "Pulumi.test.yaml"),
        config: {}, secretKeys: [], undecryptableKeys: [], environment: "test" };
      runProgram({ stackConfig }).then(async (run) => {
        await new Promise((resolve) => setImmediate(resolve));
        collector()();
        const alive = Object.fromEntries(Object.entries(globalThis.forgottenProgram).map(([name, ref]) => [name, ref.deref() !== undefined]));
        console.log(JSON.stringify({ registered: run.resources.map((r) => r.name), alive }));
      });`;
    const out = inCheckProcess<{ registered: string[]; alive: Record<string, boolean> }>(script);
    expect(out.registered).toEqual(["forgotten-test", "box", "exported", "sibling"]);
    expect(out.alive).toEqual({ box: false, exported: true, sibling: false });
  }, 120_000);
});

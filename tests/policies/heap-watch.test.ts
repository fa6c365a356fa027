// The pack collects when its old generation grows while it judges a large stack's resources
// (policies/heap-watch.js); V8's gc() comes from the flags both processes set (policies/v8-flags.js).
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { collectOnceGrown, OLD_GENERATION_GROWTH } = require("../../policies/heap-watch") as typeof import("../../policies/heap-watch");

const MB = 2 ** 20;

/** An old generation whose use the test sets, and the collections asked of it. */
function fakeOldGeneration(usedMb: number) {
  const old = { usedMb, afterCollectionMb: undefined as number | undefined, collections: [] as number[] };
  const look = collectOnceGrown({
    bytes: () => old.usedMb * MB,
    collect: () => {
      old.collections.push(old.usedMb);
      if (old.afterCollectionMb !== undefined) old.usedMb = old.afterCollectionMb;
    },
  }, OLD_GENERATION_GROWTH);
  return { old, look };
}

describe("the pack's old generation", () => {
  it("is collected once it has grown 16 MB past where it was first looked at, then measured from the size after", () => {
    expect(OLD_GENERATION_GROWTH).toBe(16 * MB);
    const { old, look } = fakeOldGeneration(20);
    expect(look()).toBe(false);
    old.usedMb = 35.9;
    expect(look()).toBe(false);
    old.usedMb = 36;
    old.afterCollectionMb = 24;
    expect(look()).toBe(true);
    expect(old.collections).toEqual([36]);
    old.usedMb = 39.9;
    expect(look()).toBe(false);
    old.usedMb = 40;
    expect(look()).toBe(true);
    expect(old.collections).toEqual([36, 40]);
  });

  it("is measured from a lower size when V8 collected it meanwhile", () => {
    const { old, look } = fakeOldGeneration(30);
    look();
    old.usedMb = 18; // V8's own collection
    expect(look()).toBe(false);
    old.usedMb = 34;
    expect(look()).toBe(true);
    expect(old.collections).toEqual([34]);
  });

  it("is collected in a process with the pack's flags once it has grown 16 MB, looked at while the event loop turns, with no gc global in its main context", () => {
    // The process keeps what it allocates, as the pack's old generation grows call by call; V8 may
    // collect by itself meanwhile, so the test waits for a forced collection, which only a call of gc()
    // makes (perf_hooks flags it), and reads how far the old generation had grown from the start.
    const script = `
      const v8 = require("node:v8");
      const { PerformanceObserver, constants } = require("node:perf_hooks");
      require("./policies/v8-flags").setV8Flags();
      const { watchPackHeap } = require("./policies/heap-watch");
      const oldUsed = () => v8.getHeapSpaceStatistics().filter((s) => s.space_name === "old_space" || s.space_name === "large_object_space").reduce((sum, s) => sum + s.space_used_size, 0);
      const start = oldUsed();
      let grownAtForced;
      new PerformanceObserver((list) => {
        if (grownAtForced === undefined && list.getEntries().some((e) => e.detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED)) grownAtForced = oldUsed() - start;
      }).observe({ entryTypes: ["gc"] });
      watchPackHeap();
      const kept = [];
      const started = Date.now();
      const grow = () => {
        if (grownAtForced !== undefined || Date.now() - started > 10_000) {
          console.log(JSON.stringify({ grownAtForced: grownAtForced ?? null, gcGlobal: typeof globalThis.gc }));
          process.exit(0);
        }
        kept.push(Array.from({ length: 5_000 }, (_, i) => ({ i, text: "x" + i })));
        setTimeout(grow, 2);
      };
      grow();`;
    const r = spawnSync(process.execPath, ["-e", script], { cwd: path.resolve(__dirname, "../.."), encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as { grownAtForced: number | null; gcGlobal: string };
    expect(out.grownAtForced).not.toBeNull();
    expect(out.grownAtForced!).toBeGreaterThanOrEqual(OLD_GENERATION_GROWTH);
    expect(out.gcGlobal).toBe("undefined");
  });
});

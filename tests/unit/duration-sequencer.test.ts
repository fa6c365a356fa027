import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { consecutiveGroups, longestFirst, readCommittedDurations, type FileTiming } from "../support/duration-sequencer";

const root = join(__dirname, "../..");

describe("the order of test files", () => {
  it("runs failed files first, then files never timed, then the longest first, ties in the order given", () => {
    const timings: Record<string, FileTiming> = {
      short: { durationMs: 1_000 }, long: { durationMs: 90_000 }, fresh: {}, broke: { durationMs: 5, failed: true },
      middle: { durationMs: 30_000 }, alsoShort: { durationMs: 1_000 },
    };
    expect(longestFirst(Object.keys(timings), (name) => timings[name]!)).toEqual(["broke", "fresh", "long", "middle", "short", "alsoShort"]);
  });

  it("orders the files of parallel projects that share a group's workers as one group, and keeps a serial project apart", () => {
    const files = [
      { name: "a1", project: "main", group: 0 }, { name: "b1", project: "main-shared", group: 0 }, { name: "a2", project: "main", group: 0 },
      { name: "s1", project: "standup", group: 1, serial: true }, { name: "s2", project: "standup", group: 1, serial: true },
      { name: "f1", project: "faults", group: 2, serial: true },
    ];
    const together = (a: (typeof files)[number], b: (typeof files)[number]) =>
      a.project === b.project || (!a.serial && !b.serial && a.group === b.group);
    expect(consecutiveGroups(files, together).map((g) => g.map((f) => f.name))).toEqual([["a1", "b1", "a2"], ["s1", "s2"], ["f1"]]);
  });

  it("has a committed duration for every file it names, and names only test files that exist", () => {
    const committed = readCommittedDurations(root);
    expect(committed.size).toBeGreaterThan(50);
    const missing = [...committed.keys()].map((key) => key.slice(key.indexOf(":") + 1)).filter((path) => !existsSync(join(root, path)));
    expect(missing, "stale entries: rerun scripts/record-test-durations.mjs after npm test").toEqual([]);
    expect([...committed.values()].every((ms) => Number.isFinite(ms) && ms > 0)).toBe(true);
  });
});

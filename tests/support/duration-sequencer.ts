// The order vitest runs test files in, longest first, also in a fresh clone.
//
// Why: project main runs ~100 files on two workers, and a run ends when its last file does. vitest
// orders files by the durations in its own results cache, longest first, which keeps the long files
// off the end of the run; but CI runs in a fresh clone, which has no cache, and then vitest orders by
// file size, which put the broken-stack files (short files that run the whole check ~230 times) last:
// they were the run's last 150 s. So where the cache knows no duration, the durations committed in
// tests/support/file-durations.json (written by scripts/record-test-durations.mjs from a run's caches)
// stand in. Only projects that run files in parallel are reordered: in a project that runs one file
// at a time the order changes nothing in its time, and the stand-up's files keep vitest's order.
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

export interface FileTiming {
  /** Milliseconds, from this machine's cache or the committed file; undefined for a file never timed. */
  durationMs?: number;
  /** The file failed in the cached run: it runs first, as vitest's own order has it. */
  failed?: boolean;
}

/**
 * Failed first, then files never timed (they may be long), then longest first; ties keep the order
 * they came in. Pure, so the order is testable without vitest.
 */
export function longestFirst<T>(files: readonly T[], timingOf: (file: T) => FileTiming): T[] {
  const rank = (t: FileTiming): [number, number] => [t.failed ? 0 : t.durationMs === undefined ? 1 : 2, -(t.durationMs ?? 0)];
  return files
    .map((file, index) => ({ file, index, rank: rank(timingOf(file)) }))
    .sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1] || a.index - b.index)
    .map(({ file }) => file);
}

/** Consecutive files that `together` says share workers, as one group each; pure, for the same reason. */
export function consecutiveGroups<T>(files: readonly T[], together: (a: T, b: T) => boolean): T[][] {
  const groups: T[][] = [];
  for (const file of files) {
    const last = groups.at(-1);
    if (last && together(last[0]!, file)) last.push(file);
    else groups.push([file]);
  }
  return groups;
}

export const COMMITTED_DURATIONS = "tests/support/file-durations.json";

/** "project:path/from/root" → milliseconds, as committed. */
export function readCommittedDurations(root: string): Map<string, number> {
  const parsed = JSON.parse(readFileSync(join(root, COMMITTED_DURATIONS), "utf8")) as { files: Record<string, number> };
  return new Map(Object.entries(parsed.files).map(([key, seconds]) => [key, seconds * 1000]));
}

export default class DurationSequencer extends BaseSequencer {
  async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const byVitest = await super.sort(files);
    const root = this.ctx.config.root;
    const committed = readCommittedDurations(root);
    const keyOf = (spec: TestSpecification) => `${spec.project.name}:${relative(root, spec.moduleId)}`;
    const timingOf = (spec: TestSpecification): FileTiming => {
      const cached = this.ctx.cache.getFileTestResults(keyOf(spec));
      return cached ? { durationMs: cached.duration, failed: cached.failed } : { durationMs: committed.get(keyOf(spec)) };
    };
    // vitest's order groups files by groupOrder and project; reorder inside each parallel group only.
    // Parallel projects of one groupOrder share the workers (main and main-shared): one order for both.
    // vitest resolves fileParallelism: false to one worker.
    const parallel = (spec: TestSpecification) => spec.project.config.maxWorkers !== 1;
    const sameGroup = (a: TestSpecification, b: TestSpecification) =>
      a.project === b.project || (parallel(a) && parallel(b) && a.project.config.sequence.groupOrder === b.project.config.sequence.groupOrder);
    return consecutiveGroups(byVitest, sameGroup).flatMap((group) => (parallel(group[0]!) ? longestFirst(group, timingOf) : group));
  }
}

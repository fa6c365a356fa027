import { defineConfig } from "vitest/config";
import DurationSequencer from "./tests/support/duration-sequencer";
import { FAULT_TESTS, IMAGE_TESTS, ISOLATED_TESTS, MAIN_SHARED, STANDUP_TESTS } from "./tests/support/test-projects";

// The stand-up tests (tests/standup/*.test.ts) share ONE stand-up of the whole stack, started by
// their global set-up in the background; they run one file at a time, after the image-build test
// (which runs while the stand-up comes up), and the tests that restart and kill containers or inject
// faults (faults.test.ts, verify-faults.test.ts) run last (groupOrder). `npm test`
// (scripts/run-tests.mjs) runs project main, the stand-up's images' tests and the stand-up's projects
// in three vitest processes at the same time; a plain `vitest run` runs them one group after another.

const standUpProject = (name: string, include: string[], exclude: string[], groupOrder: number) => ({
  extends: true as const,
  test: {
    name, include, exclude, globalSetup: ["tests/standup/global-setup.ts"], sequence: { groupOrder }, fileParallelism: false,
    // Waiting for the stand-up and for containers to restart takes minutes, not seconds.
    testTimeout: 300_000, hookTimeout: 900_000,
  },
});

// Each of run-tests.mjs's processes keeps its own results cache (file durations, for the order).
const shard = process.env.JEWELRY_SHOP_TEST_SHARD;

export default defineConfig({
  ...(shard ? { cacheDir: `node_modules/.vite/shard-${shard}` } : {}),
  test: {
    // Real servers and the policy pack are child processes: give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
    // Longest first, also in a fresh clone (tests/support/duration-sequencer.ts).
    sequence: { sequencer: DurationSequencer },
    projects: [
      { extends: true, test: { name: "main", include: ISOLATED_TESTS } },
      // One module graph per worker (tests/support/test-projects.ts says which files may share one).
      { extends: true, test: { name: "main-shared", ...MAIN_SHARED, isolate: false } },
      // Builds every image from nothing on a fresh machine (its beforeAll has its own timeout).
      { extends: true, test: { name: "standup-images", include: IMAGE_TESTS, sequence: { groupOrder: 0 } } },
      standUpProject("standup", [STANDUP_TESTS], FAULT_TESTS, 1),
      standUpProject("standup-faults", FAULT_TESTS, [], 2),
    ],
  },
});

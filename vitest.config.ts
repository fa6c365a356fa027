import { defineConfig } from "vitest/config";
import DurationSequencer from "./tests/support/duration-sequencer";

// The stand-up tests (tests/standup/*.test.ts) share ONE stand-up of the whole stack, started by
// their global set-up in the background; they run one file at a time, after the image-build test
// (which runs while the stand-up comes up), and the tests that restart and kill containers or inject
// faults (faults.test.ts, verify-faults.test.ts) run last (groupOrder). `npm test`
// (scripts/run-tests.mjs) runs project main, the stand-up's images' tests and the stand-up's projects
// in three vitest processes at the same time; a plain `vitest run` runs them one group after another.
const STANDUP_TESTS = "tests/standup/*.test.ts";
// The files that need the stand-up's images but not the stand-up: on a fresh machine they wait minutes
// for the images to be built, which in project main would hold one of its two CPU-bound workers idle.
const IMAGE_TESTS = ["tests/standup/images/image-build.test.ts", "tests/standup/cloud/s3-standin.test.ts"];
// The files that need a module graph of their own (vitest's per-file isolation): they run the program
// under Pulumi's mocks, whose runtime state is process-wide and whose modules register resources only
// when first required (tests/program, tests/check, the stand-up's declared stack), or set the mocks
// themselves (the B2 providers). The
// rest of project main shares one module graph per worker (project main-shared): vitest's isolation
// re-loaded @pulumi/pulumi, the providers and the pack's modules for every file, 2.6 CPU-seconds a file,
// and those files hold no process-wide state.
const ISOLATED_TESTS = ["tests/program/**/*.test.ts", "tests/check/**/*.test.ts", "tests/standup/program/*.test.ts", "tests/b2/**/*.test.ts"];
const FAULT_TESTS = ["tests/standup/faults.test.ts", "tests/standup/verify-faults.test.ts"];
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
      // One module graph per worker: half of a file's CPU was loading the same modules afresh.
      { extends: true, test: { name: "main-shared", include: ["tests/**/*.test.ts"], exclude: [STANDUP_TESTS, ...IMAGE_TESTS, ...ISOLATED_TESTS], isolate: false } },
      // Builds every image from nothing on a fresh machine (its beforeAll has its own timeout).
      { extends: true, test: { name: "standup-images", include: IMAGE_TESTS, sequence: { groupOrder: 0 } } },
      standUpProject("standup", [STANDUP_TESTS], FAULT_TESTS, 1),
      standUpProject("standup-faults", FAULT_TESTS, [], 2),
    ],
  },
});

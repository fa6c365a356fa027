import { defineConfig } from "vitest/config";

// The stand-up tests (tests/standup/*.test.ts) share ONE stand-up of the whole stack, started by
// their global set-up in the background; they run one file at a time, after the docker-engine files
// (which run while the stand-up comes up), and the tests that restart and kill containers or inject
// faults (faults.test.ts, verify-faults.test.ts) run last (groupOrder). `npm test`
// (scripts/run-tests.mjs) runs these projects in one vitest process and project main in another, at
// the same time; a plain `vitest run` runs them after main.
const STANDUP_TESTS = "tests/standup/*.test.ts";
// Files that mostly wait on the Docker engine rather than the CPU: the image-build test, the S3
// stand-in's and the engine's runtime model. They run two at a time beside the stand-up coming up.
const DOCKER_ENGINE_TESTS = ["tests/standup/images/image-build.test.ts", "tests/standup/cloud/s3-standin.test.ts", "tests/servers/docker-runtime.test.ts"];
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
    projects: [
      { extends: true, test: { name: "main", include: ["tests/**/*.test.ts"], exclude: [STANDUP_TESTS, ...DOCKER_ENGINE_TESTS] } },
      // The image-build test builds every image from nothing on a fresh machine (its beforeAll has its own timeout).
      { extends: true, test: { name: "docker-engine", include: DOCKER_ENGINE_TESTS, sequence: { groupOrder: 0 } } },
      standUpProject("standup", [STANDUP_TESTS], FAULT_TESTS, 1),
      standUpProject("standup-faults", FAULT_TESTS, [], 2),
    ],
  },
});

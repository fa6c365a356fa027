import { defineConfig } from "vitest/config";

// The stand-up tests (tests/standup/*.test.ts) share ONE stand-up of the whole stack, started by
// their global set-up in the background; they run after every other test file (groupOrder), while
// the stand-up has been coming up alongside them, one file at a time; the tests that restart and
// kill containers or inject faults (faults.test.ts, verify-faults.test.ts) run last.
const STANDUP_TESTS = "tests/standup/*.test.ts";
const FAULT_TESTS = ["tests/standup/faults.test.ts", "tests/standup/verify-faults.test.ts"];
const standUpProject = (name: string, include: string[], exclude: string[], groupOrder: number) => ({
  extends: true as const,
  test: {
    name, include, exclude, globalSetup: ["tests/standup/global-setup.ts"], sequence: { groupOrder }, fileParallelism: false,
    // Waiting for the stand-up and for containers to restart takes minutes, not seconds.
    testTimeout: 300_000, hookTimeout: 900_000,
  },
});

export default defineConfig({
  test: {
    // Real servers and the policy pack are child processes: give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: "main", include: ["tests/**/*.test.ts"], exclude: [STANDUP_TESTS] } },
      standUpProject("standup", [STANDUP_TESTS], FAULT_TESTS, 1),
      standUpProject("standup-faults", FAULT_TESTS, [], 2),
    ],
  },
});

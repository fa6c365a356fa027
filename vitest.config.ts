import { defineConfig } from "vitest/config";

// The stand-up tests (tests/standup/*.test.ts) share ONE stand-up of the whole stack, started by
// their global set-up in the background; they run after every other test file (groupOrder), while
// the stand-up has been coming up alongside them.
const STANDUP_TESTS = "tests/standup/*.test.ts";

export default defineConfig({
  test: {
    // Real servers and the policy pack are child processes: give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: "main", include: ["tests/**/*.test.ts"], exclude: [STANDUP_TESTS] } },
      {
        extends: true,
        test: {
          name: "standup",
          include: [STANDUP_TESTS],
          globalSetup: ["tests/standup/global-setup.ts"],
          sequence: { groupOrder: 1 },
          // Waiting for the stand-up and for containers to restart takes minutes, not seconds.
          testTimeout: 300_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});

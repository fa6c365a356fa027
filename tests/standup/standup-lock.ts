// One stand-up per machine (fixed container names and subnets, and each run sweeps earlier ones).
// The live stand-up holds this lock from before its sweep until its tear-down, so a second one (a
// test run, or `vitest list`, which runs the global set-up too) waits for it instead of sweeping it
// away under the tests that use it. A lock whose owner died is taken over, and the sweep then
// removes what that owner left.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { acquirePidLock } from "./images/build-lock";

export const STANDUP_LOCK_DIR = join(tmpdir(), "jewelry-standup-live.lock");

/** Takes the lock, waiting at most `timeoutMs` for a running stand-up to end; returns its release. */
export function acquireStandUpLock(timeoutMs: number, log: (line: string) => void): Promise<() => void> {
  return acquirePidLock(STANDUP_LOCK_DIR, timeoutMs, (owner) => log(`waiting for the running stand-up of pid ${owner} to end (${STANDUP_LOCK_DIR}; \`cli.ts down\` removes every stand-up)`));
}

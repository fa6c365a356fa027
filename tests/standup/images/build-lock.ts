// One image build at a time on this machine: test files run in parallel worker processes, and two
// of them asking for the images must not build the same tags twice. The lock is a folder (mkdir is
// atomic) holding its owner's pid; a lock whose owner died is taken over. Each engine has its own
// lock: builds in an engine DOCKER_HOST chooses never wait for the default engine's.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chosenDockerSocket } from "./docker-daemon";

export const BUILD_LOCK_DIR = join(tmpdir(), "jewelry-standup-images.lock");

/** The lock of the engine DOCKER_HOST chooses (BUILD_LOCK_DIR for the default engine). */
export function engineBuildLockDir(env: NodeJS.ProcessEnv = process.env): string {
  const socket = chosenDockerSocket(env);
  if (!socket) return BUILD_LOCK_DIR;
  return join(tmpdir(), `jewelry-standup-images-${createHash("sha256").update(socket).digest("hex").slice(0, 12)}.lock`);
}

/** The pid holding a lock folder; -1 while its pid is not written yet; undefined when its owner is gone. */
export function liveOwner(lockDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(lockDir, "pid"), "utf8"));
  } catch {
    // Created a moment ago, pid not yet written: treat as alive.
    return -1;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/**
 * Takes a lock folder (mkdir is atomic; it holds the owner's pid), taking over one whose owner died;
 * waits for a live owner at most `timeoutMs` (`waiting` is told once, with its pid). Returns the release.
 */
export async function acquirePidLock(lockDir: string, timeoutMs: number, waiting: (ownerPid: number) => void): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, "pid"), String(process.pid));
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = liveOwner(lockDir);
      if (owner === undefined) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another process (pid ${owner}) has held ${lockDir} for over ${Math.round(timeoutMs / 1000)} s`);
      if (!announced) waiting(owner);
      announced = true;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** Runs `work` holding the lock; waits for another holder at most `timeoutMs`. */
export async function withBuildLock<T>(work: () => Promise<T>, timeoutMs: number, log: (line: string) => void, lockDir = engineBuildLockDir()): Promise<T> {
  const release = await acquirePidLock(lockDir, timeoutMs, () => log(`waiting for another image build (${lockDir})`));
  try {
    return await work();
  } finally {
    release();
  }
}

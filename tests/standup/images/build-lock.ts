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

export function ownerAlive(lockDir: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(lockDir, "pid"), "utf8"));
  } catch {
    // Created a moment ago, pid not yet written: treat as alive.
    return true;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs `work` holding the lock; waits for another holder at most `timeoutMs`. */
export async function withBuildLock<T>(work: () => Promise<T>, timeoutMs: number, log: (line: string) => void, lockDir = engineBuildLockDir()): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, "pid"), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (!ownerAlive(lockDir)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another process has held ${lockDir} for over ${Math.round(timeoutMs / 1000)} s`);
      if (!announced) log(`waiting for another image build (${lockDir})`);
      announced = true;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

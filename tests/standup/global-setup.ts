// vitest global set-up of the stand-up tests: starts ONE stand-up for the whole run in a child
// process (tests/standup/cli.ts hold), so the minutes it takes overlap the image-build test and the
// other test files (`npm test` runs project main in a process of its own alongside), and the Pulumi
// SDK's process-wide state stays out of vitest's own process. The test files wait for its info file (fixture.ts); the
// teardown ends the child, which removes everything it created. Both stand-up projects list this
// file: whichever runs first starts the stand-up, the other finds it started.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, openSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { SKIP_ENV } from "./docker/docker-engine";
import { STANDUP_INFO_FILE, STANDUP_LOG_FILE, STANDUP_RUN_DIR } from "./run-files";

const ROOT = resolve(__dirname, "../..");
const STOP_TIMEOUT_MS = 180_000;
/** Set to 1 to run stand-up tests against the stand-up held by `cli.ts hold --info <STANDUP_INFO_FILE>`. */
const HELD_ENV = "JEWELRY_SHOP_STANDUP_HELD";
const started = Symbol.for("jewelry-shop.standup.started");

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((done) => {
    const timer = setTimeout(() => done(false), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      done(true);
    });
  });
}

export default function setup(): (() => Promise<void>) | undefined {
  const state = globalThis as { [started]?: boolean };
  if (process.env[SKIP_ENV] === "1" || state[started]) return undefined;
  // A stand-up the developer holds (cli.ts hold) serves the run as it is: nothing is started or torn down.
  if (process.env[HELD_ENV] === "1") {
    if (!existsSync(STANDUP_INFO_FILE)) {
      throw new Error(`${HELD_ENV}=1 but no stand-up is held: start one with \`npx tsx tests/standup/cli.ts hold --info ${STANDUP_INFO_FILE}\`, or unset ${HELD_ENV}`);
    }
    return undefined;
  }
  state[started] = true;
  mkdirSync(STANDUP_RUN_DIR, { recursive: true, mode: 0o700 });
  rmSync(STANDUP_INFO_FILE, { force: true });
  const logFd = openSync(STANDUP_LOG_FILE, "w", 0o600);
  const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "cli.ts"), "hold", "--info", STANDUP_INFO_FILE], {
    cwd: ROOT,
    stdio: ["pipe", logFd, logFd],
    detached: true,
  });
  return async () => {
    // Closing stdin asks the child to tear down; a signal if it does not listen any more.
    child.stdin?.end();
    if (!(await exited(child, STOP_TIMEOUT_MS))) {
      child.kill("SIGTERM");
      if (!(await exited(child, 30_000)) && child.pid) process.kill(-child.pid, "SIGKILL");
    }
    rmSync(STANDUP_INFO_FILE, { force: true });
  };
}

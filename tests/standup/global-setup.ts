// vitest global set-up of the stand-up tests: starts ONE stand-up for the whole run in a child
// process (tests/standup/cli.ts hold), so the minutes it takes overlap the other test files (the
// stand-up project runs after them: sequence.groupOrder), and the Pulumi SDK's process-wide state
// stays out of vitest's own process. The test files wait for its info file (fixture.ts); the
// teardown ends the child, which removes everything it created.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";
import { SKIP_ENV } from "./docker/docker-engine";

declare module "vitest" {
  export interface ProvidedContext {
    standUpInfoFile: string;
    standUpLogFile: string;
    standUpSkipped: boolean;
  }
}

const ROOT = resolve(__dirname, "../..");
const STOP_TIMEOUT_MS = 180_000;

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

export default function setup(project: TestProject): (() => Promise<void>) | undefined {
  const skipped = process.env[SKIP_ENV] === "1";
  project.provide("standUpSkipped", skipped);
  const dir = mkdtempSync(join(tmpdir(), "jewelry-standup-"));
  const infoFile = join(dir, "info.json");
  const logFile = join(dir, "standup.log");
  project.provide("standUpInfoFile", infoFile);
  project.provide("standUpLogFile", logFile);
  if (skipped) return undefined;
  const logFd = openSync(logFile, "a", 0o600);
  const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "cli.ts"), "hold", "--info", infoFile], {
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
    rmSync(infoFile, { force: true });
  };
}

// Helpers shared by the tests that run pgBackRest for real: commands as the postgres user with an
// explicit environment (as cron or the TLS server would give them), and folders owned by postgres.
import { spawn } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { userIds } from "./fixtures";

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout then stderr. */
  readonly output: string;
}

/** Runs argv as postgres with exactly PATH plus `env` (setpriv without --reset-env), in `cwd`. */
export function runAsPostgres(argv: string[], opts: { env?: Record<string, string>; cwd: string }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", ...argv], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...opts.env },
      cwd: opts.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code: code ?? -1, stdout, stderr, output: stdout + stderr }));
  });
}

/** Creates `path` (and parents) owned by postgres with `mode`. */
export function ownedDir(path: string, mode = 0o700): string {
  mkdirSync(path, { recursive: true, mode });
  const { uid, gid } = userIds("postgres");
  chownSync(path, uid, gid);
  return path;
}

/** Every file below `dir`, recursively; none when it does not exist. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

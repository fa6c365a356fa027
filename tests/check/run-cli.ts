// Runs `tsx check/cli.ts` as `npm run check` does and captures exit code and output.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export const repoRoot = path.resolve(__dirname, "../..");
export const fixtureRoot = path.join(repoRoot, "tests/fixtures/check-demo");
export const fixturePack = path.join(fixtureRoot, "policies");
const tsxCli = path.join(repoRoot, "node_modules/tsx/dist/cli.mjs");

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsxCli, "check/cli.ts", ...args], { cwd: repoRoot });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** PIDs of run-policy-pack processes whose working directory is packDir. */
export function packProcesses(packDir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmdline.includes("run-policy-pack") && fs.readlinkSync(`/proc/${entry}/cwd`) === packDir) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

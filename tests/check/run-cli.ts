// Runs `node check/start.cjs` as `npm run check` does and captures exit code and output.
import { spawn } from "node:child_process";
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import * as fs from "node:fs";
import * as path from "node:path";

export const repoRoot = path.resolve(__dirname, "../..");
export const fixtureRoot = path.join(repoRoot, "tests/fixtures/check-demo");
export const fixturePack = path.join(fixtureRoot, "policies");

export interface CliResult {
  readonly code: number | null;
  /** The signal that ended the command: SIGKILL when it outlived `timeoutMs`. */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command in the repository and captures exit code and output; killed after `timeoutMs` if given. */
export function runCommand(command: string, args: readonly string[], env: Readonly<Record<string, string>> = {}, timeoutMs?: number): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: repoRoot, env: { ...process.env, ...env }, timeout: timeoutMs, killSignal: "SIGKILL" });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export const runCli = (args: readonly string[], env: Readonly<Record<string, string>> = {}, timeoutMs?: number): Promise<CliResult> =>
  runCommand(process.execPath, ["check/start.cjs", ...args], env, timeoutMs);

/** A validator of check/report-schema.json, the JSON format's schema. */
export function reportSchemaValidator(): ValidateFunction {
  return addFormats(new Ajv({ allErrors: true })).compile(JSON.parse(fs.readFileSync(path.join(repoRoot, "check/report-schema.json"), "utf8")));
}

/** A validator of the official SARIF 2.1.0 schema (draft-04; its only draft-04 keyword in use is `id`). */
export function sarifValidator(): ValidateFunction {
  const file = path.join(repoRoot, "node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");
  const { $schema: _draft, id, ...official } = JSON.parse(fs.readFileSync(file, "utf8"));
  return addFormats(new Ajv({ allErrors: true, strict: false, unicodeRegExp: false })).compile({ $id: id, ...official });
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

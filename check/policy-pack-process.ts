// Starts a Node policy pack exactly as the Pulumi CLI does: `node run-policy-pack <engine> .`
// in the pack folder, reads the port from the first stdout line, and ends the whole process
// group afterwards (the CLI's shim runs node as a child, so a plain kill would orphan it).
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { UserInputError } from "./errors";
import type { StackConfig } from "./stack-config";

export interface PolicyPackEnv {
  readonly project: string;
  readonly stack: string;
  readonly organization: string;
  readonly config: Readonly<Record<string, string>>;
  /** More variables for the pack process, e.g. JEWELRY_SHOP_POLICY_DATE or PULUMI_CONFIG_SECRET_KEYS. */
  readonly extraEnv?: Readonly<Record<string, string>>;
}

export interface PolicyPackProcess {
  /** "127.0.0.1:<port>" of the pack's analyzer service. */
  readonly address: string;
  readonly pid: number;
  /** Milliseconds from spawn to the port line. */
  readonly startMs: number;
  /** What the pack wrote to stderr so far. */
  stderr(): string;
  /** Ends the pack's process group and waits for the pack to exit. */
  stop(): Promise<void>;
}

const PACK_LIFELINE = path.join(__dirname, "pack-lifeline.cjs");
const PACK_CODE_CACHE = path.join(__dirname, "pack-code-cache.cjs");
// The pack the check starts keeps its young generation at 16 MB (semi-spaces of 8 MB; V8 grew them to
// 16 MB for the Analyze calls' allocation rate): at ten times the production stack the pack ~10 MB
// smaller at the program's end, where it peaks with the check's process (10x peak, medians of 6
// interleaved, 496 → 484 MB), its AnalyzeStack no larger; the 10x analysis after the program ~0.25 s
// longer (more scavenges), the production stack's check the same. A heap's size is set when the
// process starts, so the CLI's pack, which the CLI starts, keeps V8's default.
const PACK_YOUNG_GENERATION = "--max-semi-space-size=8";
// run-policy-pack ignores the engine address, but it must be there.
const unusedEngineAddress = "127.0.0.1:0";
const startTimeoutMs = 120_000;

/** The env the CLI gives an analyzer plugin, on top of the caller's. */
export function policyPackEnv(env: PolicyPackEnv): Record<string, string> {
  const config = JSON.stringify(env.config);
  return {
    PULUMI_CONFIG: config,
    PULUMI_NODEJS_PROJECT: env.project,
    PULUMI_NODEJS_STACK: env.stack,
    PULUMI_NODEJS_DRY_RUN: "true",
    PULUMI_NODEJS_ORGANIZATION: env.organization,
    PULUMI_PROJECT: env.project,
    PULUMI_STACK: env.stack,
    PULUMI_DRY_RUN: "true",
    PULUMI_ORGANIZATION: env.organization,
    ...env.extraEnv,
  };
}

/** ts-node and Node colour their errors for a terminal; a message read in CI or a file must not carry the codes. */
const withoutColours = (text: string) => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");

export function checkPackDir(packDir: string): void {
  for (const file of ["PulumiPolicy.yaml", "package.json"]) {
    if (!fs.existsSync(path.join(packDir, file))) {
      throw new UserInputError(`${packDir} is not a policy pack: it has no ${file}`);
    }
  }
}

/**
 * run-policy-pack resolved from the pack's folder, as the CLI resolves it: the pack's own SDK when it
 * has one, else one in a folder above it (this repository's for `policies/`). A pack with neither has
 * not had its dependencies installed: a message saying so, not the resolver's stack trace.
 */
function runPolicyPackOf(packDir: string): string {
  try {
    return require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
  } catch {
    throw new UserInputError(
      `${packDir}: the policy pack's dependencies are not installed (@pulumi/pulumi cannot be resolved from it): run \`npm install\` in ${packDir}`,
    );
  }
}

function endGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * @param preload "check": the pack as the check starts it, its code cache installed before
 *   run-policy-pack loads anything (check/pack-code-cache.cjs); "cli": exactly as the CLI starts it,
 *   for the benchmark. Both with the lifeline.
 */
export function startPolicyPack(packDir: string, env: PolicyPackEnv, preload: "check" | "cli" = "check"): Promise<PolicyPackProcess> {
  checkPackDir(packDir);
  const runPolicyPack = runPolicyPackOf(packDir);
  const started = Date.now();
  // Its own process group (the group is ended as a whole), tied to this process by its stdin: the
  // lifeline ends the pack when this process is gone, however it ended (check/pack-lifeline.cjs).
  const child = spawn(process.execPath, ["--require", PACK_LIFELINE, ...(preload === "check" ? [PACK_YOUNG_GENERATION, "--require", PACK_CODE_CACHE] : []), runPolicyPack, unusedEngineAddress, "."], {
    cwd: packDir,
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, ...policyPackEnv(env) },
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // If this process exits first, take the pack with it (the lifeline covers a death by signal).
  const onExit = () => endGroup(child, "SIGKILL");
  process.once("exit", onExit);

  const stop = async () => {
    process.off("exit", onExit);
    if (child.exitCode === null && child.signalCode === null) {
      // Its stdin closed, the lifeline exits the pack as a program ends: its exit handlers run (the
      // code cache keeps what the run compiled). A pack that does not end so is ended by signals.
      child.stdin?.end();
      const terminate = setTimeout(() => endGroup(child, "SIGTERM"), 2000);
      const kill = setTimeout(() => endGroup(child, "SIGKILL"), 5000);
      await exited;
      clearTimeout(terminate);
      clearTimeout(kill);
    }
  };

  return new Promise((resolve, reject) => {
    let stdout = "";
    const fail = (reason: string) => {
      clearTimeout(timer);
      void stop().then(() =>
        reject(new UserInputError(`the policy pack in ${packDir} did not start: ${reason}\n${withoutColours(stderr).trim()}`)),
      );
    };
    const timer = setTimeout(() => fail(`no port after ${startTimeoutMs / 1000} s`), startTimeoutMs);
    child.once("error", (err) => fail(err.message));
    const onEarlyExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`it exited (${signal ?? `code ${code}`}) before printing its port`);
    child.once("exit", onEarlyExit);
    child.stdout?.setEncoding("utf8").on("data", function onData(chunk: string) {
      stdout += chunk;
      const newline = stdout.indexOf("\n");
      if (newline < 0) return;
      child.stdout?.off("data", onData);
      child.off("exit", onEarlyExit);
      clearTimeout(timer);
      // The CLI reads the FIRST line only: anything printed before the port breaks the launch.
      const firstLine = stdout.slice(0, newline).trim();
      if (!/^\d+$/.test(firstLine)) {
        fail(`its first stdout line is "${firstLine}", not a port`);
        return;
      }
      child.stdout?.resume();
      resolve({
        address: `127.0.0.1:${firstLine}`,
        pid: child.pid ?? -1,
        startMs: Date.now() - started,
        stderr: () => stderr,
        stop,
      });
    });
  });
}

/** What the CLI gives the pack of a stack: its project, name and config. */
export const packEnvFor = (packStack: StackConfig, organization: string): PolicyPackEnv => ({
  project: packStack.project,
  stack: packStack.stack,
  organization,
  config: packStack.config,
});

/** Starts the pack for a stack's project, name and config, as the CLI starts it for that stack. */
export function startPackFor(packDir: string, packStack: StackConfig, organization: string): Promise<PolicyPackProcess> {
  return startPolicyPack(packDir, packEnvFor(packStack, organization));
}

// Child processes for the image tooling: argv only (no shell), a hard time limit, output captured.
import { spawn } from "node:child_process";

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CommandOptions {
  /** Killed (SIGKILL) after this long; the result then has code -1 and says so in stderr. */
  readonly timeoutMs: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Each line of stderr as it arrives (builds are long: the caller logs progress). */
  readonly onStderrLine?: (line: string) => void;
  readonly onStdoutLine?: (line: string) => void;
  /** Written to stdin, then closed (stdin is empty otherwise). */
  readonly input?: string;
}

/** Runs argv to completion. Never throws for a non-zero exit: the caller decides what failed. */
export function runCommand(argv: readonly string[], options: CommandOptions): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: options.cwd, env: options.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
    let stdout = "";
    let stderr = "";
    const forward = (sink: ((line: string) => void) | undefined) => {
      let pending = "";
      return (chunk: Buffer) => {
        if (!sink) return;
        pending += chunk.toString();
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) sink(line);
      };
    };
    const onOut = forward(options.onStdoutLine);
    const onErr = forward(options.onStderrLine);
    child.stdout.on("data", (chunk: Buffer) => { stdout += chunk.toString(); onOut(chunk); });
    child.stderr.on("data", (chunk: Buffer) => { stderr += chunk.toString(); onErr(chunk); });
    const timer = setTimeout(() => {
      stderr += `\n${argv[0]}: killed after ${options.timeoutMs} ms`;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: `${stderr}\n${argv[0]}: ${error.message}` });
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Runs argv and returns stdout; a non-zero exit throws with the command's own words. */
export async function runChecked(argv: readonly string[], options: CommandOptions): Promise<string> {
  const result = await runCommand(argv, options);
  if (result.code !== 0) {
    const detail = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-15).join("\n");
    throw new Error(`\`${argv.join(" ")}\` failed (exit ${result.code}):\n${detail}`);
  }
  return result.stdout;
}

// What a scheduled job really executes: its command as /bin/sh runs it, the program looked up in
// the job's PATH (an uploaded script outside it is "not found"; an upload without the executable
// bit fails with "Permission denied"), and uploaded scripts followed with their arguments, so a
// `jewelry-backup full 2` line is known to run `pgbackrest … --type=full --repo=2 backup`.
import * as path from "node:path";
import { parseShell, spreadArgs } from "../shell-words";
import { unwrapCommand, type CronUpload, type ScheduledJob } from "./daemon";

/** One pgBackRest run a job makes: its argument words and the environment it gets. */
export interface PgbackrestRun {
  readonly args: readonly string[];
  readonly env: ReadonlyMap<string, string>;
  /** Scripts it runs through, outermost first. */
  readonly via: readonly string[];
}

export interface JobRuns {
  readonly runs: readonly PgbackrestRun[];
  /** Why (part of) the job cannot run as written. */
  readonly problems: readonly string[];
}

const SHELLS: ReadonlySet<string> = new Set(["sh", "bash", "dash"]);
/** pgBackRest's package installs it here; the images of this stack add it to no other folder. */
const PGBACKREST_BINARY = "/usr/bin/pgbackrest";

function analyze(script: string, positional: readonly string[], env: ReadonlyMap<string, string>, uploads: ReadonlyMap<string, CronUpload>, via: string[], out: { runs: PgbackrestRun[]; problems: string[] }): void {
  if (via.length > 4) return;
  // Assignments first (NAME=value commands), then the commands with those variables expanded.
  const variables = new Map(env);
  for (const command of parseShell(script, { positional, variables })) {
    const words = command.words;
    if (words.length > 0 && words.every((w) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(w.text) && !w.dynamic)) {
      for (const w of words) variables.set(w.text.slice(0, w.text.indexOf("=")), w.text.slice(w.text.indexOf("=") + 1));
    }
  }
  const searchPath = (variables.get("PATH") ?? "/usr/bin:/bin").split(":").filter((d) => d !== "");
  for (const command of parseShell(script, { positional, variables })) {
    const words = unwrapCommand(spreadArgs(command.words, positional).map((w) => w.text));
    const program = words[0];
    if (program === undefined || program === "" || program.includes("=")) continue;
    let resolved: string | undefined;
    if (program.includes("/")) resolved = path.posix.normalize(program);
    else {
      resolved = searchPath.map((d) => `${d}/${program}`).find((candidate) => uploads.has(candidate) || candidate === PGBACKREST_BINARY);
      if (resolved === undefined) {
        const intended = [...uploads.keys()].find((f) => path.posix.basename(f) === program) ?? (program === "pgbackrest" ? PGBACKREST_BINARY : undefined);
        if (intended) out.problems.push(`"${program}" is not found in the job's PATH ${searchPath.join(":")} (it is ${intended})`);
        continue;
      }
    }
    const name = path.posix.basename(resolved);
    if (name === "pgbackrest") {
      out.runs.push({ args: words.slice(1), env: variables, via: [...via] });
      continue;
    }
    const scriptFile = SHELLS.has(name) && words[1] !== undefined && !words[1].startsWith("-") ? path.posix.normalize(words[1]) : undefined;
    const target = scriptFile ?? resolved;
    const upload = uploads.get(target);
    if (!upload || upload.content === undefined) continue;
    if (!scriptFile && !upload.executable && !/[1357]/.test((upload.permissions ?? "").slice(-3))) {
      out.problems.push(`${target} is not executable (upload it with executable: true), so running it fails with "Permission denied"`);
      continue;
    }
    analyze(upload.content, words.slice(scriptFile ? 2 : 1), variables, uploads, [...via, target], out);
  }
}

/** Why /bin/sh refuses a command line: an unterminated quote or $( … ) (a % in a crontab cuts the line there). */
export function shellSyntaxProblem(command: string): string | undefined {
  let single = false;
  let double = false;
  let depth = 0;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (c === "\\" && !single) { i++; continue; }
    if (c === "'" && !double) single = !single;
    else if (c === '"' && !single) double = !double;
    else if (!single && c === "$" && command[i + 1] === "(") { depth++; i++; }
    else if (!single && c === ")" && depth > 0) depth--;
  }
  if (single || double) return "an unterminated quote";
  if (depth > 0) return "an unterminated $(";
  return undefined;
}

/** The pgBackRest runs of one scheduled job. */
export function jobRuns(job: ScheduledJob, uploads: ReadonlyMap<string, CronUpload>): JobRuns {
  const out = { runs: [] as PgbackrestRun[], problems: [] as string[] };
  const syntax = shellSyntaxProblem(job.command);
  if (syntax) {
    const cut = job.command.length < job.rawCommand.length ? " (cron ends the command at the first unescaped %)" : "";
    out.problems.push(`/bin/sh refuses the command "${job.command}": ${syntax}${cut}`);
    return out;
  }
  analyze(job.command, [], job.jobEnv, uploads, [], out);
  return out;
}

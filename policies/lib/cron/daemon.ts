// The jobs a container's cron daemon really runs: which daemon its command starts (Debian cron,
// BusyBox crond, supercronic, or none: then nothing is scheduled whatever is uploaded), which files
// that daemon reads (`crontab [-u USER] FILE` installs a user crontab, and a rejected file installs
// nothing; Debian cron also reads /etc/crontab and /etc/cron.d/<name> with a user column, skipping
// names with dots, files not owned by root or writable by group/others, and a last line without its
// newline), and the environment each job gets (Debian cron: only SHELL, PATH=/usr/bin:/bin, HOME and
// LOGNAME plus the crontab's own NAME=VALUE lines, never the container's env; supercronic: the
// container's env).
import * as path from "node:path";
import { parseShell, type ShellWord } from "../shell-words";
import { parseCrontab, type CronJob } from "./crontab";

export interface CronUpload {
  readonly file: string;
  /** Undefined when the content is unknown at preview. */
  readonly content?: string;
  readonly owner?: string;
  readonly permissions?: string;
  readonly executable?: boolean;
}

export interface CronContainerInputs {
  readonly argv: readonly string[];
  readonly env: ReadonlyMap<string, string>;
  readonly uploads: readonly CronUpload[];
  /** The container's `user` ("" = the image's, root for these images). */
  readonly user: string;
}

export type CronDaemon = "debian-cron" | "busybox-crond" | "supercronic";

export interface ScheduledJob extends CronJob {
  /** The crontab file it comes from (the uploaded file for `crontab FILE`). */
  readonly source: string;
  /** The user it runs as. */
  readonly runAs: string;
  /** The complete environment of the job's shell. */
  readonly jobEnv: ReadonlyMap<string, string>;
}

export interface CronModel {
  readonly daemon?: CronDaemon;
  readonly jobs: readonly ScheduledJob[];
  /** Crontabs that are uploaded but never run, and why. */
  readonly ignored: ReadonlyArray<{ readonly file: string; readonly reason: string }>;
}

/** The simple commands of a container's process, through `sh -c` and `( … &)` wrappers. */
export function containerCommands(argv: readonly string[]): string[][] {
  const program = path.posix.basename(argv[0] ?? "");
  const script = (program === "sh" || program === "bash") && argv[1] === "-c" ? argv[2] : undefined;
  const commands = script !== undefined
    ? parseShell(script, { positional: argv.slice(4) }).map((c) => c.words.map((w: ShellWord) => w.text))
    : [[...argv]];
  return commands.map((words) => words.map((w) => w.replace(/^\(+/, "").replace(/\)+$/, "")).filter((w) => w !== ""));
}

/** Drops exec/gosu/su-exec/nice style prefixes: the program that really runs, with its arguments. */
export function unwrapCommand(words: readonly string[]): string[] {
  let w = [...words];
  for (let guard = 0; guard < 8 && w.length > 0; guard++) {
    const program = path.posix.basename(w[0]!);
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w[0]!)) w = w.slice(1);
    else if (program === "exec" || program === "chronic" || program === "nohup") w = w.slice(1);
    else if (program === "gosu" || program === "su-exec") w = w.slice(2);
    else if (program === "env") {
      let i = 1;
      while (i < w.length && (w[i]!.startsWith("-") || w[i]!.includes("="))) i++;
      w = w.slice(i);
    }
    else if (program === "nice" || program === "ionice" || program === "timeout" || program === "flock") {
      // Options (with their values), then for timeout the duration and for flock the lock file.
      let i = 1;
      while (i < w.length && w[i]!.startsWith("-")) i += /^-[nwcEt]$|^--(timeout|wait|conflict-exit-code|adjustment|class)$/.test(w[i]!) ? 2 : 1;
      if (program === "timeout" || program === "flock") i++;
      w = w.slice(i);
    } else return w;
  }
  return w;
}

const CRON_D_NAME = /^[A-Za-z0-9_-]+$/;

function debianCronEnv(user: string, home: string): Map<string, string> {
  return new Map([["SHELL", "/bin/sh"], ["PATH", "/usr/bin:/bin"], ["HOME", home], ["LOGNAME", user]]);
}

const homeOf = (user: string) => (user === "root" ? "/root" : user === "postgres" ? "/var/lib/postgresql" : `/home/${user}`);

/** The cron model of a container from its inputs. */
export function cronModel(inputs: CronContainerInputs): CronModel {
  const commands = containerCommands(inputs.argv).map(unwrapCommand);
  const programOf = (words: readonly string[]) => path.posix.basename(words[0] ?? "");
  const uploads = new Map(inputs.uploads.map((u) => [u.file, u]));
  const containerUser = inputs.user.split(":")[0] || "root";
  let daemon: CronDaemon | undefined;
  for (const words of commands) {
    const program = programOf(words);
    if (program === "cron") daemon = "debian-cron";
    else if (program === "crond" || (program === "busybox" && words[1] === "crond")) daemon = "busybox-crond";
    else if (program === "supercronic") daemon = "supercronic";
  }
  const jobs: ScheduledJob[] = [];
  const ignored: Array<{ file: string; reason: string }> = [];
  const addFile = (file: string, system: boolean, runAs: string | undefined, baseEnv: Map<string, string> | undefined, strict: boolean) => {
    const upload = uploads.get(file);
    if (!upload || upload.content === undefined) return;
    const parsed = parseCrontab(upload.content, system);
    if (strict && (parsed.errors.length > 0 || parsed.missingFinalNewline)) {
      const why = parsed.errors[0] ?? "the last line has no newline";
      ignored.push({ file, reason: `crontab refuses it (${why}), so nothing in it is installed` });
      return;
    }
    for (const job of parsed.jobs) {
      if (parsed.missingFinalNewline && job === parsed.jobs[parsed.jobs.length - 1] && job.line === upload.content.split("\n").length) continue;
      const user = system ? job.user! : runAs!;
      const env = new Map(baseEnv ?? debianCronEnv(user, homeOf(user)));
      for (const [k, v] of job.env) env.set(k, v);
      jobs.push({ ...job, source: file, runAs: user, jobEnv: env });
    }
  };
  if (daemon === undefined) {
    for (const u of inputs.uploads) if (/cron/i.test(u.file)) ignored.push({ file: u.file, reason: "no cron daemon runs in this container" });
    return { jobs, ignored };
  }
  if (daemon === "supercronic") {
    for (const words of commands.filter((w) => programOf(w) === "supercronic")) {
      const file = words.slice(1).filter((w) => !w.startsWith("-")).pop();
      if (file) addFile(file, false, containerUser, new Map(inputs.env), false);
    }
    return { daemon, jobs, ignored };
  }
  // `crontab [-u USER] FILE` at start-up installs FILE as USER's crontab (refused whole on any error).
  for (const words of commands.filter((w) => programOf(w) === "crontab")) {
    const u = words.indexOf("-u");
    const user = u >= 0 ? words[u + 1]! : containerUser;
    const file = words.slice(1).filter((w, i, all) => !w.startsWith("-") && all[i - 1] !== "-u").pop();
    if (file && file !== "-") addFile(file, false, user, undefined, true);
  }
  const spool = daemon === "busybox-crond" ? "/etc/crontabs" : "/var/spool/cron/crontabs";
  for (const u of inputs.uploads.filter((u) => path.posix.dirname(u.file) === spool)) addFile(u.file, false, path.posix.basename(u.file), undefined, false);
  if (daemon === "debian-cron") {
    addFile("/etc/crontab", true, undefined, undefined, false);
    for (const u of inputs.uploads.filter((u) => path.posix.dirname(u.file) === "/etc/cron.d")) {
      const name = path.posix.basename(u.file);
      const mode = parseInt(u.permissions ?? "0644", 8);
      if (!CRON_D_NAME.test(name)) ignored.push({ file: u.file, reason: "Debian cron skips /etc/cron.d files whose names contain anything but letters, digits, _ and -" });
      else if ((u.owner ?? "0") !== "0" && u.owner !== "root") ignored.push({ file: u.file, reason: `Debian cron skips /etc/cron.d files not owned by root (owner ${u.owner})` });
      else if (mode & 0o022) ignored.push({ file: u.file, reason: `Debian cron skips /etc/cron.d files writable by group or others (mode ${u.permissions})` });
      else addFile(u.file, true, undefined, undefined, false);
    }
  }
  return { daemon, jobs, ignored };
}

// Section 13, Backups: pgBackRest repositories encrypted with passes kept out of the config file,
// scheduled full and differential/incremental backups for every repository, retention, one local
// and two off-site repositories at different vendors, WAL archiving that really reaches every
// repository, and a scheduled restore drill. Every rule asks the models: pgBackRest's options as
// each run resolves them (lib/pgbackrest), the jobs the cron daemon really runs (lib/cron) and
// PostgreSQL's effective settings (lib/postgres). Whether a restore and a point-in-time recovery
// actually work (13.5, 13.7) is proven after deployment.
import * as path from "node:path";
import type { PolicyResource } from "@pulumi/policy";
import { checklistFramework, stackPolicy, type ChecklistPolicy } from "./lib/framework";
import { containerHostNames, containerName, isUnder } from "./lib/containers";
import { combinedMaxGap, scheduleTiming } from "./lib/cron/schedule";
import type { ScheduledJob } from "./lib/cron/daemon";
import { readPgbackrestArgv } from "./lib/pgbackrest/config";
import { pgbackrestContainer, type PgbackrestRunModel } from "./lib/pgbackrest/host";
import { pgbackrestCandidates, repositoryHosts, type RepositoryHost } from "./lib/pgbackrest/repositories";
import { postgresServer } from "./lib/postgres/server";
import { parseShell } from "./lib/shell-words";
import { containers, reportMissingService, serviceContainers } from "./lib/stack-resources";
import { undecidable } from "./lib/unknowns";

type Report = (message: string, urn?: string) => void;

/** Every repository host, or a violation when none is known (undecidable when a config's content is unknown). */
function requireHosts(resources: readonly PolicyResource[], report: Report): RepositoryHost[] {
  const hosts = repositoryHosts(resources);
  if (hosts.length === 0) {
    const unknown = pgbackrestCandidates(resources).some((c) => pgbackrestContainer(c).defaultFiles.unknownFiles.length > 0);
    if (unknown) undecidable("uploads[pgbackrest.conf].content");
    report("No container holds a pgBackRest repository (a pgbackrest.conf defining repoN-* options): the database has no backups.");
  }
  return hosts;
}

const MIN_PASS_LENGTH = 20;

export const backupEncryption = stackPolicy({
  name: "backup-encryption",
  description:
    "Every pgBackRest repository is encrypted with cipher-type aes-256-cbc in every run that writes to it (each scheduled job with its " +
    "own environment, and the repository host's server), with a cipher pass of at least 20 characters that reaches that run through " +
    "an include file (or an env var the run really receives), never the main pgbackrest.conf.",
  severity: "critical",
  alwaysMandatory: true,
  remediationSteps:
    `Thresholds: repoN-cipher-type=aes-256-cbc and a repoN-cipher-pass of at least ${MIN_PASS_LENGTH} characters for EVERY repository, in the ` +
    "section every run resolves ([stanza:command] > [stanza] > [global:command] > [global]; a PGBACKREST_* variable or a crontab " +
    "line overrides them). Deliver each pass as <config-path>/conf.d/repoN-cipher-pass.conf (cron passes no container env to its " +
    "jobs); remove any repoN-cipher-pass or repoN-s3-key-secret from pgbackrest.conf.",
  framework: checklistFramework("13.1"),
  validateStack: (args, report) => {
    for (const host of requireHosts(args.resources, report)) {
      const where = containerName(host.container);
      // One finding per repository and problem, naming the runs it affects.
      const found = new Map<string, string[]>();
      const note = (message: string, context: string) => found.set(message, [...(found.get(message) ?? []), context]);
      for (const context of host.contexts) {
        const files = context.run?.files ?? host.model.defaultFiles;
        for (const repo of context.repos) {
          const n = repo.index;
          const type = repo.option("cipher-type") ?? "none";
          if (type !== "aes-256-cbc") note(`repo${n} in ${where} is not encrypted (cipher-type ${type})`, context.label);
          for (const secret of ["cipher-pass", "s3-key-secret", "azure-key", "sftp-private-key-passphrase"]) {
            const line = repo.resolved.get(`repo${n}-${secret}`)?.line;
            if (line && line.file === files.configFile) note(`repo${n}-${secret} is written in ${where}:${line.file}; deliver it in an include file`, context.label);
          }
          const pass = repo.resolved.get(`repo${n}-cipher-pass`);
          if (pass !== undefined) {
            if (pass.value.length < MIN_PASS_LENGTH) note(`repo${n}'s cipher pass in ${where} is ${pass.value.length} characters; at least ${MIN_PASS_LENGTH} are required`, context.label);
            continue;
          }
          // A secret include named for the repository is decidable by its path while its content is unknown.
          if (files.unknownFiles.some((f) => path.posix.basename(f) === `repo${n}-cipher-pass.conf`)) continue;
          const others = files.unknownFiles.filter((f) => !/repo\d+-(cipher-pass|s3-credentials)\.conf$/.test(f));
          if (others.length > 0) undecidable(`uploads[${others[0]}].content`);
          if (type === "aes-256-cbc") note(`repo${n}'s cipher pass never reaches ${where} (no repo${n}-cipher-pass in its config, include files or environment)`, context.label);
        }
      }
      for (const [message, labels] of found) {
        const scope = labels.length === host.contexts.length && labels.length > 1 ? `every run (${labels.length})` : labels.join(", ");
        report(`${message}, in ${scope}.`, host.container.urn);
      }
    }
  },
});

const BACKUP_TYPES: ReadonlySet<string> = new Set(["full", "diff", "incr"]);
const MINUTES = { day: 1440, week: 7 * 1440, month: 31 * 1440 };
const describeGap = (minutes: number) =>
  minutes === Infinity ? "never (or only once)" : minutes >= 1440 ? `every ${Math.round((minutes / 1440) * 10) / 10} days at worst` : `every ${Math.round((minutes / 60) * 10) / 10} hours at worst`;

interface ScheduledBackup {
  readonly job: ScheduledJob;
  readonly type: string;
  readonly repo: number;
}

/** Why a scheduled run would fail before it backs up anything; undefined when it runs. */
function runFailure(run: PgbackrestRunModel): string | undefined {
  for (const resolved of run.options) {
    if (resolved.errors.length > 0) return resolved.errors[0];
    if (resolved.stanza === undefined) return "it names no --stanza";
    if (resolved.get("pg1-path") === undefined && resolved.get("pg1-host") === undefined) return `stanza "${resolved.stanza}" has no pg1-path in the config`;
  }
  return undefined;
}

/** The backups each repository host's cron really runs, and the reasons others do not run. */
function scheduledBackups(host: RepositoryHost): { backups: ScheduledBackup[]; problems: string[] } {
  const problems: string[] = [];
  for (const ignored of host.model.cron.ignored) problems.push(`${ignored.file} is not run: ${ignored.reason}`);
  for (const { job, problem } of host.model.jobProblems) problems.push(`${job.source} line ${job.line}: ${problem}`);
  const backups: ScheduledBackup[] = [];
  for (const run of host.model.runs) {
    if (!run.job || run.command !== "backup") continue;
    const failure = runFailure(run);
    const type = run.options[0]?.get("type")?.value ?? "incr";
    if (failure) problems.push(`${run.job.source} line ${run.job.line}: the backup fails (${failure})`);
    else if (!BACKUP_TYPES.has(type)) problems.push(`${run.job.source} line ${run.job.line}: --type=${type} is no backup type`);
    else if (!scheduleTiming(run.job.schedule).fires) problems.push(`${run.job.source} line ${run.job.line}: its schedule never fires`);
    else backups.push({ job: run.job, type, repo: Number(run.options[0]?.get("repo")?.value ?? "1") });
  }
  return { backups, problems };
}

export const backupSchedule = stackPolicy({
  name: "backup-schedule",
  description:
    "For every pgBackRest repository, the cron daemon that really runs in the repository host (with the crontab it really reads) " +
    "schedules a full backup at least weekly and some backup (full, differential or incremental) at least daily.",
  severity: "high",
  remediationSteps:
    "Thresholds: per repository, full backups at most 7 days apart and any backup at most 24 hours apart, on schedules that fire " +
    "(no 31 February). Install the crontab the way the container's cron reads it (`crontab -u postgres FILE` then `cron -f`, or " +
    "/etc/cron.d/<name without dots> with a user column, root-owned, not group-writable), call the backup wrapper by absolute path, " +
    "never put a raw % in a command, and pass --repo=N for each repository (pgBackRest backs up to repo1 only without it).",
  framework: checklistFramework("13.2"),
  validateStack: (args, report) => {
    for (const host of requireHosts(args.resources, report)) {
      const where = containerName(host.container);
      const { backups, problems } = scheduledBackups(host);
      const context = problems.length > 0 ? ` (${problems.join("; ")})` : "";
      if (!host.model.cron.daemon) report(`No cron daemon runs in ${where} (its command starts none): no backup is scheduled${context}.`, host.container.urn);
      for (const repo of host.localRepos) {
        const toRepo = backups.filter((b) => b.repo === repo);
        const fullGap = combinedMaxGap(toRepo.filter((b) => b.type === "full").map((b) => b.job.schedule));
        const anyGap = combinedMaxGap(toRepo.map((b) => b.job.schedule));
        if (fullGap > MINUTES.week) report(`repo${repo} in ${where} gets a full backup ${describeGap(fullGap)}; at least weekly is required${context}.`, host.container.urn);
        if (anyGap > MINUTES.day) report(`repo${repo} in ${where} gets a backup ${describeGap(anyGap)}; a differential or incremental backup at least daily is required${context}.`, host.container.urn);
      }
    }
  },
});

export const MIN_RETAINED_FULL = 2;
export const MIN_RETENTION_DAYS = 7;

export const backupRetention = stackPolicy({
  name: "backup-retention",
  description: `Every pgBackRest repository keeps, as each backup run resolves its options, at least ${MIN_RETAINED_FULL} full backups by count or ${MIN_RETENTION_DAYS} days by time (repoN-retention-full).`,
  severity: "high",
  remediationSteps:
    `Thresholds: repoN-retention-full >= ${MIN_RETAINED_FULL} (count) or >= ${MIN_RETENTION_DAYS} with repoN-retention-full-type=time, for every ` +
    "repository, in the section the backup runs resolve (a [stanza] or [global:backup] value overrides [global]); without it pgBackRest " +
    "never expires backups and the disk or bucket fills.",
  framework: checklistFramework("13.3"),
  validateStack: (args, report) => {
    for (const host of requireHosts(args.resources, report)) {
      const where = containerName(host.container);
      const seen = new Set<string>();
      for (const context of host.contexts.filter((c) => !c.run || c.run.command === "backup" || c.run.command === "expire")) {
        for (const repo of context.repos) {
          const full = Number(repo.option("retention-full") ?? NaN);
          const byTime = repo.option("retention-full-type") === "time";
          const minimum = byTime ? MIN_RETENTION_DAYS : MIN_RETAINED_FULL;
          const message = `repo${repo.index} in ${where} keeps ${Number.isNaN(full) ? "backups forever (no retention-full)" : `${full} ${byTime ? "days" : "full backups"}`}; at least ${minimum} needed.`;
          if (!(full >= minimum) && !seen.has(message)) {
            seen.add(message);
            report(message, host.container.urn);
          }
        }
      }
    }
  },
});

const OFFSITE_TYPES = new Set(["s3", "gcs", "azure", "sftp"]);

/** The storage vendor of a repository: object stores by endpoint domain, others by type. */
function repoVendor(type: string, option: (name: string) => string | undefined): string {
  if (type === "s3") {
    const host = (option("s3-endpoint") ?? "amazonaws.com").toLowerCase().replace(/^https?:\/\//, "").split(/[/:]/)[0]!;
    return host.split(".").slice(-2).join(".");
  }
  if (type === "sftp") return `sftp:${option("sftp-host") ?? ""}`;
  return type;
}

export const backupLocations = stackPolicy({
  name: "backup-locations",
  description: "pgBackRest keeps a local (posix) repository on a persistent volume and at least two off-site repositories at different storage vendors.",
  severity: "high",
  remediationSteps:
    "Thresholds: one posix repository whose repoN-path lies on a mounted volume (not the container's writable layer), and off-site " +
    "repositories at two or more vendors (e.g. Cloudflare R2 and Backblaze B2 by their S3 endpoints).",
  framework: checklistFramework("13.4"),
  validateStack: (args, report) => {
    for (const host of requireHosts(args.resources, report)) {
      const where = containerName(host.container);
      const repos = host.model.resolve("backup", new Map(), new Map()).options.flatMap((r) =>
        host.localRepos.map((index) => ({ index, option: (name: string) => r.get(`repo${index}-${name}`)?.value })));
      const local = repos.filter((r) => (r.option("type") ?? "posix") === "posix" || r.option("type") === "cifs");
      if (local.length === 0) report(`pgBackRest in ${where} has no local repository.`, host.container.urn);
      for (const r of local) {
        const repoPath = r.option("path") ?? "/var/lib/pgbackrest";
        if (!host.model.mounts.some((m) => isUnder(repoPath, m))) report(`repo${r.index} in ${where} stores backups at ${repoPath}, which is on no volume: they vanish when the container is replaced.`, host.container.urn);
      }
      const vendors = new Set(repos.filter((r) => OFFSITE_TYPES.has(r.option("type") ?? "posix")).map((r) => repoVendor(r.option("type")!, r.option)));
      if (vendors.size < 2) report(`pgBackRest in ${where} has off-site repositories at ${vendors.size} vendor(s) (${[...vendors].join(", ") || "none"}); two are needed.`, host.container.urn);
    }
  },
});

export const MAX_ARCHIVE_TIMEOUT_S = 300;
const NO_OP_PROGRAMS: ReadonlySet<string> = new Set(["true", ":", "/bin/true", "/usr/bin/true"]);

/** Why an archive_command does not store WAL, or hides failures; undefined when it does its job. */
function archiveCommandProblems(command: string): { problems: string[]; pgbackrestArgs?: string[] } {
  const chain = parseShell(command);
  const problems: string[] = [];
  const programOf = (i: number) => chain[i]?.words[0]?.text ?? "";
  if (chain.length === 0 || chain.every((c, i) => NO_OP_PROGRAMS.has(programOf(i)) || (programOf(i) === "exit" && c.words[1]?.text === "0"))) {
    return { problems: ["it stores nothing"] };
  }
  chain.forEach((c, i) => {
    const program = programOf(i);
    const forcesSuccess = NO_OP_PROGRAMS.has(program) || (program === "exit" && (c.words[1]?.text ?? "0") === "0");
    const previous = chain[i - 1];
    if (i > 0 && forcesSuccess && previous && (previous.next === "||" || previous.next === ";")) {
      problems.push(`it ends in "${previous.next} ${c.words.map((w) => w.text).join(" ")}", so a failed push reports success and PostgreSQL recycles WAL that was never archived`);
    }
  });
  if (!/%p/.test(command)) problems.push("it never receives the segment's path (%p)");
  const push = chain.find((c) => path.posix.basename(c.words[0]?.text ?? "") === "pgbackrest");
  return { problems, pgbackrestArgs: push?.words.slice(1).map((w) => w.text) };
}

export const walArchiving = stackPolicy({
  name: "wal-archiving",
  description:
    "Every PostgreSQL server runs with archive_mode on, wal_level replica or logical, archive_timeout between 1 and 300 seconds, no " +
    "archive_library (which replaces archive_command), and an archive_command that really pushes each segment (pgbackrest archive-push %p for a stanza that exists) to every repository of the " +
    "repository host, without masking failures.",
  severity: "critical",
  remediationSteps:
    `Thresholds: archive_mode = on (or always); wal_level replica or logical; 1 <= archive_timeout <= ${MAX_ARCHIVE_TIMEOUT_S} s; archive_library = '' ` +
    "(a library replaces archive_command, and PostgreSQL 16 refuses both); archive_command = " +
    "'pgbackrest --stanza=<stanza> archive-push %p' with nothing like `|| true` or `; exit 0` after it; the PostgreSQL host's " +
    "pgbackrest.conf must name every repository of the repository host (repoN-host for each N) and the stanza it serves.",
  framework: checklistFramework("13.6"),
  validateStack: (args, report) => {
    const servers = serviceContainers(args.resources, "postgres");
    if (servers.length === 0) reportMissingService(args.resources, report, "No PostgreSQL container (image postgres) is in the stack.");
    const hosts = repositoryHosts(args.resources);
    for (const container of servers) {
      const server = postgresServer(container);
      const name = containerName(container);
      const urn = container.urn;
      const setting = (key: string) => server.settings.get(key);
      for (const key of ["archive_mode", "archive_command", "archive_library", "archive_timeout", "wal_level"]) if (setting(key).uncertain) undecidable(server.uncertain[0] ?? key);
      const mode = setting("archive_mode").value;
      if (mode !== "on" && mode !== "always") report(`PostgreSQL ${name} has archive_mode ${setting("archive_mode").raw}${setting("archive_mode").source === "default" ? " (default)" : ""}.`, urn);
      if (setting("wal_level").value === "minimal") report(`PostgreSQL ${name} has wal_level minimal, which cannot be archived.`, urn);
      const timeout = setting("archive_timeout").value;
      if (typeof timeout === "number" && (timeout <= 0 || timeout > MAX_ARCHIVE_TIMEOUT_S)) {
        report(`PostgreSQL ${name} has archive_timeout ${setting("archive_timeout").raw}: a quiet database ${timeout <= 0 ? "may never ship" : `ships`} its last WAL ${timeout <= 0 ? "" : `only every ${timeout} s`}; at most ${MAX_ARCHIVE_TIMEOUT_S} s is required.`.replace(/\s+;/, ";"), urn);
      }
      const command = String(setting("archive_command").value ?? "");
      // A set archive_library replaces archive_command: PostgreSQL 15 ignores the command (proven: with
      // archive_library = 'basic_archive' a copying archive_command archived nothing after
      // pg_switch_wal()), and 16 refuses to archive with both set (pgarch.c, LoadArchiveLibrary: "both
      // archive_command and archive_library set"). No library pushes to pgBackRest.
      const library = String(setting("archive_library").value ?? "");
      if (library !== "") {
        const where = setting("archive_library").source === "configuration file" ? ` (${setting("archive_library").file} line ${setting("archive_library").line})` : ` (${setting("archive_library").source})`;
        if (command !== "" && server.majorVersion >= 16) {
          report(`PostgreSQL ${name} sets both archive_library '${library}'${where} and archive_command: PostgreSQL ${server.majorVersion}'s archiver refuses to run with both, so no WAL is archived.`, urn);
        } else if (hosts.length > 0) {
          report(`PostgreSQL ${name} archives WAL through archive_library '${library}'${where}, which replaces archive_command${command !== "" ? ` ("${command}" is ignored)` : ""}: no WAL reaches the pgBackRest repositories.`, urn);
        }
        continue;
      }
      const { problems, pgbackrestArgs } = archiveCommandProblems(command);
      for (const problem of problems) report(`PostgreSQL ${name}'s archive_command "${command}" does not archive WAL reliably: ${problem}.`, urn);
      if (problems.length > 0) continue;
      if (!pgbackrestArgs) {
        if (hosts.length > 0) report(`PostgreSQL ${name}'s archive_command "${command}" does not push WAL to the pgBackRest repositories.`, urn);
        continue;
      }
      judgeArchivePush(container, pgbackrestArgs, hosts, args.resources, report);
    }
  },
});

/** archive-push from a PostgreSQL container: its stanza and the repositories it really reaches. */
function judgeArchivePush(container: PolicyResource, argv: string[], hosts: readonly RepositoryHost[], resources: readonly PolicyResource[], report: Report): void {
  const name = containerName(container);
  const { command, options } = readPgbackrestArgv(argv);
  if (command !== "archive-push") {
    report(`PostgreSQL ${name}'s archive_command runs "pgbackrest ${command ?? ""}", not archive-push.`, container.urn);
    return;
  }
  const model = pgbackrestContainer(container);
  const env = new Map<string, string>();
  const { files, options: resolvedList } = model.resolve("archive-push", options, env);
  const resolved = resolvedList[0];
  if (!resolved || resolved.stanza === undefined) {
    report(`PostgreSQL ${name}'s archive-push names no --stanza.`, container.urn);
    return;
  }
  if (files.unknownFiles.length > 0 && resolved.repos.length === 0) undecidable(`uploads[${files.unknownFiles[0]}].content`);
  for (const error of resolved.errors) report(`PostgreSQL ${name}'s archive-push fails: ${error}.`, container.urn);
  const stanza = resolved.stanza;
  const remote = new Map<string, number[]>();
  for (const n of resolved.repos) {
    const host = resolved.get(`repo${n}-host`)?.value;
    if (host !== undefined) remote.set(host, [...(remote.get(host) ?? []), n]);
  }
  for (const [hostName, indexes] of remote) {
    const target = hosts.find((h) => containerHostNames(h.container.props).has(hostName));
    if (!target) {
      const known = containers(resources).some((c) => containerHostNames(c.props).has(hostName));
      report(`PostgreSQL ${name} pushes WAL to ${hostName}, which ${known ? "holds no pgBackRest repository" : "is no container of the stack"}.`, container.urn);
      continue;
    }
    const stanzas = target.model.defaultFiles.stanzas;
    if (!stanzas.includes(stanza)) report(`PostgreSQL ${name} pushes WAL for stanza "${stanza}", which ${containerName(target.container)} does not define (it has ${stanzas.join(", ") || "none"}).`, container.urn);
    const missing = target.localRepos.filter((n) => !indexes.includes(n));
    if (missing.length > 0) {
      report(`PostgreSQL ${name} pushes WAL to ${indexes.map((n) => `repo${n}`).join(", ")} of ${containerName(target.container)} only: ${missing.map((n) => `repo${n}`).join(", ")} get no WAL, so no point-in-time recovery from them.`, container.urn);
    }
  }
  if (remote.size === 0 && !hosts.some((h) => h.container.urn === container.urn)) {
    report(`PostgreSQL ${name}'s archive-push reaches no repository (its pgbackrest.conf defines none).`, container.urn);
  }
}

export const restoreDrillScheduled = stackPolicy({
  name: "restore-drill-scheduled",
  description: "A cron job that really runs schedules a restore drill (a pgbackrest restore of the latest backup into a scratch server, checked) at least monthly.",
  severity: "medium",
  remediationSteps:
    "Threshold: at least every 31 days, on a schedule that fires. Add a crontab line the container's cron really reads that runs the " +
    "restore-drill script (e.g. weekly), by absolute path and executable, and alert when it fails.",
  framework: checklistFramework("13.5", "13.7"),
  validateStack: (args, report) => {
    const drills: ScheduledJob[] = [];
    const problems: string[] = [];
    for (const container of pgbackrestCandidates(args.resources)) {
      const model = pgbackrestContainer(container);
      for (const run of model.runs) if (run.job && run.command === "restore" && scheduleTiming(run.job.schedule).fires) drills.push(run.job);
      for (const { job, problem } of model.jobProblems) problems.push(`${job.source} line ${job.line}: ${problem}`);
      for (const ignored of model.cron.ignored) if (model.uploads.get(ignored.file)?.content !== undefined) problems.push(`${ignored.file} is not run: ${ignored.reason}`);
    }
    const context = problems.length > 0 ? ` (${problems.join("; ")})` : "";
    if (drills.length === 0) {
      report(`No scheduled restore drill: no cron job that runs reaches a pgbackrest restore${context}.`);
      return;
    }
    const gap = combinedMaxGap(drills.map((d) => d.schedule));
    if (gap > MINUTES.month) report(`The restore drill runs ${describeGap(gap)}; at least monthly is required.`);
  },
});

export const section13Policies: readonly ChecklistPolicy[] = [backupEncryption, backupSchedule, backupRetention, backupLocations, walArchiving, restoreDrillScheduled];


// Section 13, Backups: pgBackRest repositories encrypted with passes kept out of the config file,
// scheduled full and differential/incremental backups, retention, one local and two off-site
// repositories at different vendors, WAL archiving in PostgreSQL, and a scheduled restore drill.
// Whether a restore and a point-in-time recovery actually work (13.5, 13.7) is proven after deployment.
import type { PolicyResource } from "@pulumi/policy";
import { checklistFramework, stackPolicy, type ChecklistPolicy } from "./lib/framework";
import { containerEnv, containerName, runsService, uploadsOf } from "./lib/containers";
import { containers, reportMissingService } from "./lib/stack-resources";
import { undecidable, UNKNOWN } from "./lib/unknowns";
import { postgresBool } from "./lib/postgresql-conf";
import { postgresRuntimeConfig } from "./lib/service-config";
import { cronEntries, pgbackrestConfs, repoVendor, unknownPgbackrestConfs, type PgbackrestConf } from "./lib/pgbackrest-files";

/** Every pgbackrest.conf, or a violation when none is known (undecidable when one's content is unknown). */
function requireConfs(resources: readonly PolicyResource[], report: (message: string) => void): PgbackrestConf[] {
  const confs = pgbackrestConfs(resources);
  if (confs.length === 0) {
    if (unknownPgbackrestConfs(resources).length > 0) undecidable("uploads[pgbackrest.conf].content");
    report("No container receives a pgbackrest.conf: the database has no backup repositories.");
  }
  return confs.filter((c) => {
    if (c.repos.length === 0) report(`${c.file} in ${containerName(c.container)} defines no repository.`);
    return c.repos.length > 0;
  });
}

/** Whether repository N's cipher pass reaches the container outside the main config file. */
function cipherPassDelivered(container: PolicyResource, repo: number): boolean {
  const name = `PGBACKREST_REPO${repo}_CIPHER_PASS`;
  const env = containerEnv(container.props);
  if ((env.values.get(name) ?? "") !== "") return true;
  const includes = uploadsOf(container).filter((u) => /\/conf\.d\/[^/]+\.conf$/.test(u.file));
  // A secret-only include named for the repository is decidable by its path while its content is unknown.
  if (includes.some((u) => u.file.endsWith(`/conf.d/repo${repo}-cipher-pass.conf`))) return true;
  if (includes.some((u) => u.content !== UNKNOWN && new RegExp(`^\\s*repo${repo}-cipher-pass\\s*=\\s*\\S`, "m").test(u.content))) return true;
  // The pass is derived from a generated key, so it may hide in an entry that is unknown at preview.
  if (env.unknown.length > 0 || includes.some((u) => u.content === UNKNOWN)) undecidable(`envs.${name}`);
  return false;
}

export const backupEncryption = stackPolicy({
  name: "backup-encryption",
  description:
    "Every pgBackRest repository is encrypted with cipher-type aes-256-cbc, and its cipher pass reaches the container through " +
    "an environment variable or an include file, never the main pgbackrest.conf.",
  severity: "critical",
  alwaysMandatory: true,
  remediationSteps:
    "Set repoN-cipher-type=aes-256-cbc for every repository and deliver each pass (derived from BACKUP_ENCRYPTION_KEY) as the " +
    "secret env entry PGBACKREST_REPON_CIPHER_PASS or, decidable at preview, an upload at <config-path>/conf.d/repoN-cipher-pass.conf; " +
    "remove any repoN-cipher-pass or repoN-s3-key-secret from pgbackrest.conf.",
  framework: checklistFramework("13.1"),
  validateStack: (args, report) => {
    for (const conf of requireConfs(args.resources, report)) {
      const where = `${containerName(conf.container)}:${conf.file}`;
      for (const repo of conf.repos) {
        if (repo.options.get("cipher-type") !== "aes-256-cbc") report(`repo${repo.index} in ${where} is not encrypted (cipher-type ${repo.options.get("cipher-type") ?? "none"}).`, conf.container.urn);
        for (const secret of ["cipher-pass", "s3-key-secret", "azure-key", "sftp-private-key-passphrase"]) {
          if (repo.options.has(secret)) report(`repo${repo.index}-${secret} is written in ${where}; deliver it as an environment variable.`, conf.container.urn);
        }
        if (!repo.options.has("cipher-pass") && !cipherPassDelivered(conf.container, repo.index)) {
          report(`repo${repo.index}'s cipher pass never reaches ${containerName(conf.container)} (no PGBACKREST_REPO${repo.index}_CIPHER_PASS).`, conf.container.urn);
        }
      }
    }
  },
});

const BACKUP_COMMAND = /pgbackrest|backup/i;

export const backupSchedule = stackPolicy({
  name: "backup-schedule",
  description: "A crontab in the stack schedules pgBackRest full backups and differential or incremental backups between them.",
  severity: "high",
  remediationSteps:
    "Upload a crontab to the backup container (run by supercronic or cron) with e.g. `0 2 * * 0 … full` and `0 2 * * 1-6 … diff` " +
    "for each repository.",
  framework: checklistFramework("13.2"),
  validateStack: (args, report) => {
    const backups = cronEntries(args.resources).filter(({ entry }) => BACKUP_COMMAND.test(entry.command) && !/restore/i.test(entry.command));
    const has = (type: RegExp) => backups.some(({ entry }) => type.test(entry.command));
    if (!has(/(--type[= ])?\bfull\b/)) report("No scheduled full backup: no crontab line runs a pgBackRest full backup.");
    if (!has(/(--type[= ])?\b(diff|incr)\b/)) report("No scheduled differential or incremental backup between full backups.");
  },
});

export const MIN_RETAINED_FULL = 2;
export const MIN_RETENTION_DAYS = 7;

export const backupRetention = stackPolicy({
  name: "backup-retention",
  description: `Every pgBackRest repository sets repo-retention-full: at least ${MIN_RETAINED_FULL} full backups by count, or ${MIN_RETENTION_DAYS} days by time.`,
  severity: "high",
  remediationSteps: "Set repoN-retention-full (and repoN-retention-diff) for every repository; without it pgBackRest never expires backups and the disk or bucket fills.",
  framework: checklistFramework("13.3"),
  validateStack: (args, report) => {
    for (const conf of requireConfs(args.resources, report)) {
      for (const repo of conf.repos) {
        const full = Number(repo.options.get("retention-full") ?? NaN);
        const byTime = repo.options.get("retention-full-type") === "time";
        const minimum = byTime ? MIN_RETENTION_DAYS : MIN_RETAINED_FULL;
        if (!(full >= minimum)) {
          report(`repo${repo.index} in ${containerName(conf.container)} keeps ${Number.isNaN(full) ? "backups forever (no retention-full)" : `${full} ${byTime ? "days" : "full backups"}`}; at least ${minimum} needed.`, conf.container.urn);
        }
      }
    }
  },
});

const OFFSITE_TYPES = new Set(["s3", "gcs", "azure", "sftp"]);

export const backupLocations = stackPolicy({
  name: "backup-locations",
  description: "pgBackRest keeps a local (posix) repository and at least two off-site repositories at different storage vendors.",
  severity: "high",
  remediationSteps: "Configure repo1 as posix on a local volume, and two object-store repositories at different vendors (e.g. Cloudflare R2 and Backblaze B2).",
  framework: checklistFramework("13.4"),
  validateStack: (args, report) => {
    for (const conf of requireConfs(args.resources, report)) {
      const where = containerName(conf.container);
      if (!conf.repos.some((r) => r.type === "posix" || r.type === "cifs")) report(`pgBackRest in ${where} has no local repository.`, conf.container.urn);
      const vendors = new Set(conf.repos.filter((r) => OFFSITE_TYPES.has(r.type)).map(repoVendor));
      if (vendors.size < 2) report(`pgBackRest in ${where} has off-site repositories at ${vendors.size} vendor(s) (${[...vendors].join(", ") || "none"}); two are needed.`, conf.container.urn);
    }
  },
});

const NO_OP_COMMAND = /^\s*(\/bin\/true|\/usr\/bin\/true|true|:|exit 0)\s*$/;

export const walArchiving = stackPolicy({
  name: "wal-archiving",
  description: "Every PostgreSQL container runs with archive_mode on and a real archive_command (or archive_library), so WAL reaches the backup repositories.",
  severity: "critical",
  remediationSteps:
    "In postgresql.conf (or with -c on the command line) set archive_mode = on and archive_command = 'pgbackrest --stanza=<stanza> archive-push %p'; " +
    "keep wal_level at replica or logical.",
  framework: checklistFramework("13.6"),
  validateStack: (args, report) => {
    const servers = containers(args.resources).filter((c) => runsService(c, "postgres"));
    if (servers.length === 0) reportMissingService(args.resources, report, "No PostgreSQL container (image postgres) is in the stack.");
    for (const server of servers) {
      const name = containerName(server);
      const settings = postgresRuntimeConfig(server.props).settings;
      if (postgresBool(settings.get("archive_mode")) !== true) report(`PostgreSQL ${name} has archive_mode ${settings.get("archive_mode") ?? "off (default)"}.`, server.urn);
      const command = settings.get("archive_command") ?? "";
      const library = settings.get("archive_library") ?? "";
      if (library === "" && (command === "" || NO_OP_COMMAND.test(command))) report(`PostgreSQL ${name} has no archive_command that stores WAL.`, server.urn);
      if (settings.get("wal_level") === "minimal") report(`PostgreSQL ${name} has wal_level minimal, which cannot be archived.`, server.urn);
    }
  },
});

export const restoreDrillScheduled = stackPolicy({
  name: "restore-drill-scheduled",
  description: "A crontab in the stack schedules a restore drill that restores the latest backup into a scratch server and checks it.",
  severity: "medium",
  remediationSteps: "Add a crontab line that runs the restore-drill script (e.g. weekly) in the backup container, and alert when it fails.",
  framework: checklistFramework("13.5", "13.7"),
  validateStack: (args, report) => {
    const drills = cronEntries(args.resources).filter(({ entry }) => /restore/i.test(entry.command));
    if (drills.length === 0) report("No scheduled restore drill: no crontab line runs a restore.");
  },
});

export const section13Policies: readonly ChecklistPolicy[] = [backupEncryption, backupSchedule, backupRetention, backupLocations, walArchiving, restoreDrillScheduled];

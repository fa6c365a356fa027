// The declared backup schedule, read through the policy pack's pgBackRest and cron models
// (policies/lib/pgbackrest/, policies/lib/cron/): the jobs the container's cron daemon really runs,
// followed through their wrapper scripts to the pgBackRest runs they make with the options each
// resolves (stanza, --type, --repo). Which repositories get which backup type how often, and how
// often the restore drill runs.
import type { PolicyResource } from "@pulumi/policy";
import { containerName } from "../../policies/lib/containers";
import type { CronSchedule } from "../../policies/lib/cron/crontab";
import { combinedMaxGap } from "../../policies/lib/cron/schedule";
import { repositoryHosts } from "../../policies/lib/pgbackrest/repositories";

export type BackupType = "full" | "diff" | "incr";

export interface DeclaredBackups {
  readonly container: string;
  readonly stanza: string;
  /**
   * Repository number -> backup type -> the longest wait, in seconds, between two scheduled runs that
   * leave a backup of that type or a newer base: a full backup resets the differential clock too.
   */
  readonly intervals: ReadonlyMap<number, ReadonlyMap<BackupType, number>>;
  /** The longest wait between two restore drills, in seconds; undefined when no drill is scheduled. */
  readonly drillInterval?: number;
  readonly schedules: readonly string[];
}

const BACKUP_TYPES: readonly BackupType[] = ["full", "diff", "incr"];
const gapSeconds = (schedules: readonly CronSchedule[]) => combinedMaxGap(schedules) * 60;

/** The repository host: the container whose cron jobs run `pgbackrest backup` into repositories of its own. */
export function declaredBackups(resources: readonly PolicyResource[]): DeclaredBackups | undefined {
  for (const host of repositoryHosts(resources)) {
    const byRepo = new Map<number, Map<BackupType, CronSchedule[]>>();
    const schedules: string[] = [];
    const drills: CronSchedule[] = [];
    let stanza: string | undefined;
    for (const run of host.model.runs) {
      const job = run.job;
      if (!job) continue;
      for (const options of run.options) {
        if (run.command === "restore") {
          if (!drills.includes(job.schedule)) drills.push(job.schedule);
          continue;
        }
        if (run.command !== "backup") continue;
        // pgBackRest's defaults: --type=incr, --repo=1.
        const type = (options.get("type")?.value ?? "incr") as BackupType;
        const repo = Number(options.get("repo")?.value ?? 1);
        if (!BACKUP_TYPES.includes(type) || !host.localRepos.includes(repo)) continue;
        stanza ??= options.stanza;
        const types = byRepo.get(repo) ?? new Map<BackupType, CronSchedule[]>();
        types.set(type, [...(types.get(type) ?? []), job.schedule]);
        byRepo.set(repo, types);
        schedules.push(`repo${repo} ${type}: ${job.rawCommand} (${job.source} line ${job.line})`);
      }
    }
    if (drills.length > 0) schedules.push(`restore drill: ${drills.length} schedule${drills.length > 1 ? "s" : ""}`);
    if (byRepo.size === 0 || stanza === undefined) continue;
    const intervals = new Map<number, Map<BackupType, number>>();
    for (const [repo, types] of [...byRepo].sort(([a], [b]) => a - b)) {
      const full = types.get("full") ?? [];
      const diff = [...full, ...(types.get("diff") ?? [])];
      const incr = [...diff, ...(types.get("incr") ?? [])];
      const gaps = new Map<BackupType, number>();
      if (full.length > 0) gaps.set("full", gapSeconds(full));
      if (types.has("diff")) gaps.set("diff", gapSeconds(diff));
      if (types.has("incr")) gaps.set("incr", gapSeconds(incr));
      intervals.set(repo, gaps);
    }
    return { container: containerName(host.container), stanza, intervals, drillInterval: drills.length > 0 ? gapSeconds(drills) : undefined, schedules };
  }
  return undefined;
}

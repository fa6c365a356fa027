// The declared backup schedule, read from the crontab and pgbackrest.conf the program uploads into
// pgBackRest's repository host (the backup container): which repositories get which backup type how
// often, and how often the restore drill runs. Kept in one module so that it can move onto the pack's
// cron and pgBackRest models (policies/lib/cron/, policies/lib/pgbackrest/) when they land.
import { CronExpressionParser } from "cron-parser";
import { parseCrontab } from "../../policies/lib/crontab";
import { parseIni } from "../../policies/lib/ini";
import { uploadsMatching, type DeclaredContainer } from "./containers";

export type BackupType = "full" | "diff" | "incr";

export interface DeclaredBackups {
  readonly container: string;
  readonly stanza: string;
  /** Repository number -> backup type -> the longest wait between two scheduled runs, in seconds. */
  readonly intervals: ReadonlyMap<number, ReadonlyMap<BackupType, number>>;
  /** The longest wait between two restore drills, in seconds; undefined when no drill is scheduled. */
  readonly drillInterval?: number;
  readonly schedules: readonly string[];
}

/** The longest gap between consecutive runs of a cron schedule, over five weeks from a fixed Monday. */
export function longestGapSeconds(schedule: string, tz: string): number {
  const expression = CronExpressionParser.parse(schedule, { currentDate: new Date("2024-01-01T00:00:00Z"), tz });
  let previous = expression.next().getTime();
  let longest = 0;
  const end = previous + 35 * 86_400_000;
  for (let i = 0; i < 100_000 && previous < end; i++) {
    const next = expression.next().getTime();
    longest = Math.max(longest, next - previous);
    previous = next;
  }
  return longest / 1000;
}

/** The repository host: the container with a crontab that runs backups and a pgbackrest.conf naming a stanza. */
export function declaredBackups(containers: readonly DeclaredContainer[]): DeclaredBackups | undefined {
  for (const container of containers) {
    const crontab = uploadsMatching(container, /crontab$/)[0];
    const conf = uploadsMatching(container, /pgbackrest\.conf$/)[0];
    if (!crontab || !conf) continue;
    const stanza = [...parseIni(conf.text).keys()].find((s) => s !== "" && !s.startsWith("global"));
    if (!stanza) continue;
    const tz = /^CRON_TZ=(\S+)/m.exec(crontab.text)?.[1] ?? "UTC";
    const intervals = new Map<number, Map<BackupType, number>>();
    let drillInterval: number | undefined;
    const schedules: string[] = [];
    for (const entry of parseCrontab(crontab.text)) {
      const job = /\s(full|diff|incr)\s+(\d+)\s*$/.exec(` ${entry.command}`);
      const gap = longestGapSeconds(entry.schedule, tz);
      if (job) {
        const repo = Number(job[2]);
        const byType = intervals.get(repo) ?? new Map<BackupType, number>();
        const type = job[1] as BackupType;
        byType.set(type, Math.min(byType.get(type) ?? Infinity, gap));
        intervals.set(repo, byType);
        schedules.push(`repo${repo} ${type}: ${entry.schedule} (${tz})`);
      } else if (/restore-drill/.test(entry.command)) {
        drillInterval = Math.min(drillInterval ?? Infinity, gap);
        schedules.push(`restore drill: ${entry.schedule} (${tz})`);
      }
    }
    if (intervals.size > 0) return { container: container.name, stanza, intervals, drillInterval, schedules };
  }
  return undefined;
}

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
  /**
   * Repository number -> backup type -> the longest wait, in seconds, between two scheduled runs that
   * leave a backup of that type or a newer base: a full backup resets the differential clock too.
   */
  readonly intervals: ReadonlyMap<number, ReadonlyMap<BackupType, number>>;
  /** The longest wait between two restore drills, in seconds; undefined when no drill is scheduled. */
  readonly drillInterval?: number;
  readonly schedules: readonly string[];
}

const WINDOW_START = Date.parse("2024-01-01T00:00:00Z");
const WINDOW_MS = 35 * 86_400_000;

/** When a cron schedule fires over five weeks from a fixed Monday (bounded in count). */
function fireTimes(schedule: string, tz: string): number[] {
  const expression = CronExpressionParser.parse(schedule, { currentDate: new Date(WINDOW_START), tz });
  const times: number[] = [];
  for (let i = 0; i < 100_000; i++) {
    const next = expression.next().getTime();
    if (next > WINDOW_START + WINDOW_MS) break;
    times.push(next);
  }
  return times;
}

/** The longest gap, in seconds, between consecutive runs of any of these schedules (a job two lines share). */
export function longestGapSeconds(schedules: readonly string[], tz: string): number {
  const times = [...new Set(schedules.flatMap((s) => fireTimes(s, tz)))].sort((a, b) => a - b);
  let longest = 0;
  for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i]! - times[i - 1]!);
  return times.length > 1 ? longest / 1000 : Infinity;
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
    const byRepo = new Map<number, Map<BackupType, string[]>>();
    const drills: string[] = [];
    const schedules: string[] = [];
    for (const entry of parseCrontab(crontab.text)) {
      const job = /\s(full|diff|incr)\s+(\d+)\s*$/.exec(` ${entry.command}`);
      if (job) {
        const repo = Number(job[2]);
        const types = byRepo.get(repo) ?? new Map<BackupType, string[]>();
        types.set(job[1] as BackupType, [...(types.get(job[1] as BackupType) ?? []), entry.schedule]);
        byRepo.set(repo, types);
        schedules.push(`repo${repo} ${job[1]}: ${entry.schedule} (${tz})`);
      } else if (/restore-drill/.test(entry.command)) {
        drills.push(entry.schedule);
        schedules.push(`restore drill: ${entry.schedule} (${tz})`);
      }
    }
    const intervals = new Map<number, Map<BackupType, number>>();
    for (const [repo, types] of byRepo) {
      const full = types.get("full") ?? [];
      const diff = [...full, ...(types.get("diff") ?? [])];
      const incr = [...diff, ...(types.get("incr") ?? [])];
      const gaps = new Map<BackupType, number>();
      if (full.length) gaps.set("full", longestGapSeconds(full, tz));
      if (types.has("diff")) gaps.set("diff", longestGapSeconds(diff, tz));
      if (types.has("incr")) gaps.set("incr", longestGapSeconds(incr, tz));
      intervals.set(repo, gaps);
    }
    const drillInterval = drills.length > 0 ? longestGapSeconds(drills, tz) : undefined;
    if (intervals.size > 0) return { container: container.name, stanza, intervals, drillInterval, schedules };
  }
  return undefined;
}

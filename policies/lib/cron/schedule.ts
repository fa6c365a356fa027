// When a cron schedule fires, computed the way cron's loop decides each minute: minute, hour and
// month must match, and day-of-month and day-of-week both (when either field starts with "*") or
// either one (when both are restricted). Evaluated over eight years from a leap year, so a schedule
// that never fires ("0 0 31 2 *") or fires once in four years (29 February) shows its real gap.
import { memoized } from "../model-cache";
import type { CronSchedule } from "./crontab";

const WINDOW_START = Date.UTC(2024, 0, 1);
const WINDOW_DAYS = 8 * 366;
const MINUTES_PER_DAY = 1440;

export interface ScheduleTiming {
  /** Whether it fires at all in the window. */
  readonly fires: boolean;
  /** The longest wait between two runs, in minutes (Infinity when it fires once or never). */
  readonly maxGapMinutes: number;
}

const keyOf = (s: CronSchedule) =>
  [s.minute, s.hour, s.dayOfMonth, s.month, s.dayOfWeek].map((f) => `${f.star ? "*" : ""}${[...f.values].sort((a, b) => a - b).join(",")}`).join(" ");

/** Minutes of the day it fires at, ascending. */
const dayTimes = (s: CronSchedule): number[] =>
  [...s.hour.values].flatMap((h) => [...s.minute.values].map((m) => h * 60 + m)).sort((a, b) => a - b);

/** Month (1-12), day of month and day of week (0 = Sunday) of each day of the window, made once. */
let windowCalendar: { readonly month: Uint8Array; readonly dayOfMonth: Uint8Array; readonly dayOfWeek: Uint8Array } | undefined;

function calendar(): NonNullable<typeof windowCalendar> {
  if (windowCalendar) return windowCalendar;
  const month = new Uint8Array(WINDOW_DAYS);
  const dayOfMonth = new Uint8Array(WINDOW_DAYS);
  const dayOfWeek = new Uint8Array(WINDOW_DAYS);
  for (let d = 0; d < WINDOW_DAYS; d++) {
    const date = new Date(WINDOW_START + d * 86_400_000);
    month[d] = date.getUTCMonth() + 1;
    dayOfMonth[d] = date.getUTCDate();
    dayOfWeek[d] = date.getUTCDay();
  }
  return (windowCalendar = { month, dayOfMonth, dayOfWeek });
}

/** Days of the window (0 = 2024-01-01) it fires on. */
function firingDays(s: CronSchedule): number[] {
  const { month, dayOfMonth, dayOfWeek } = calendar();
  const eitherStar = s.dayOfMonth.star || s.dayOfWeek.star;
  const days: number[] = [];
  for (let d = 0; d < WINDOW_DAYS; d++) {
    if (!s.month.values.has(month[d])) continue;
    const dom = s.dayOfMonth.values.has(dayOfMonth[d]);
    const dow = s.dayOfWeek.values.has(dayOfWeek[d]);
    if (eitherStar ? dom && dow : dom || dow) days.push(d);
  }
  return days;
}

export function scheduleTiming(schedule: CronSchedule): ScheduleTiming {
  if (schedule.reboot) return { fires: false, maxGapMinutes: Infinity };
  return memoized("cron-timing", keyOf(schedule), () => timingOf(schedule));
}

function timingOf(schedule: CronSchedule): ScheduleTiming {
  const times = dayTimes(schedule);
  const days = firingDays(schedule);
  let result: ScheduleTiming;
  if (times.length === 0 || days.length === 0) result = { fires: false, maxGapMinutes: Infinity };
  else {
    let maxGap = 0;
    for (let i = 1; i < times.length; i++) maxGap = Math.max(maxGap, times[i]! - times[i - 1]!);
    for (let i = 1; i < days.length; i++) {
      maxGap = Math.max(maxGap, (days[i]! - days[i - 1]!) * MINUTES_PER_DAY + times[0]! - times[times.length - 1]!);
    }
    const once = days.length === 1 && times.length === 1;
    result = { fires: true, maxGapMinutes: once ? Infinity : maxGap };
  }
  return result;
}

/** The longest wait between runs when several schedules do the same job (e.g. full backups on two lines). */
export function combinedMaxGap(schedules: readonly CronSchedule[]): number {
  const firing = schedules.filter((s) => scheduleTiming(s).fires);
  if (firing.length <= 1) return firing.length === 0 ? Infinity : scheduleTiming(firing[0]!).maxGapMinutes;
  // A schedule firing at least hourly bounds the merged gap already; merging it would list every minute.
  const densest = Math.min(...firing.map((s) => scheduleTiming(s).maxGapMinutes));
  if (densest <= 60) return densest;
  // Every firing minute of eight years: computed once per set of schedules (each backup rule asks).
  return memoized("cron-combined-gap", firing.map(keyOf).sort().join("\n"), () => mergedMaxGap(firing));
}

function mergedMaxGap(firing: readonly CronSchedule[]): number {
  const minutes: number[] = [];
  for (const s of firing) {
    const times = dayTimes(s);
    for (const d of firingDays(s)) for (const t of times) minutes.push(d * MINUTES_PER_DAY + t);
  }
  // A typed array sorts numbers as numbers, without a comparator call per pair.
  const sorted = Float64Array.from(minutes).sort();
  let maxGap = 0;
  let distinct = sorted.length > 0 ? 1 : 0;
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) continue;
    distinct++;
    maxGap = Math.max(maxGap, sorted[i] - sorted[i - 1]);
  }
  return distinct > 1 ? maxGap : Infinity;
}

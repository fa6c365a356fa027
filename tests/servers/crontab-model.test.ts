// Differential test of the pack's crontab model (policies/lib/cron) against Debian's cron 3.0pl1:
// `crontab -n` (a dry run of the install the backup container does at start) must accept exactly
// the crontabs the model finds valid, for the stack's own crontab and mutated variants. When the
// schedules fire is the model's own calendar (cron has no mode that prints it); it is checked here
// against hand-computed cases.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderBackupCrontab } from "../../components/backup/backup-schedule";
import { parseCrontab } from "../../policies/lib/cron/crontab";
import { combinedMaxGap, scheduleTiming } from "../../policies/lib/cron/schedule";
import { removeDir, workDir, writeOwned } from "./fixtures";

let dir: string;
beforeAll(() => {
  dir = workDir("crontab-model");
});
afterAll(() => removeDir(dir));

/** crontab -n as the backup container's `crontab -u postgres FILE` would check it. */
function crontabAccepts(name: string, text: string): Promise<{ accepted: boolean; output: string }> {
  const file = join(dir, name);
  writeOwned(file, text);
  return new Promise((resolve) => {
    execFile("crontab", ["-n", "-u", "postgres", file], (error, stdout, stderr) => resolve({ accepted: !error, output: `${stdout}${stderr}` }));
  });
}

const stackCrontab = renderBackupCrontab({
  repos: [1, 2, 3].map((repo) => ({ repo, full: "15 2 * * 0", diff: "15 2 * * 1-6", incr: "15 */4 * * *" })),
  wrapperPath: "/usr/local/bin/jewelry-backup",
  restoreDrill: { schedule: "45 4 * * 3", scriptPath: "/usr/local/bin/jewelry-restore-drill" },
});

const variants: Record<string, string> = {
  stack: stackCrontab,
  "names and ranges": "0 3 * jan-jun/2 Mon-Fri /bin/job\n",
  "day 7 is Sunday": "0 3 * * 7 /bin/job\n",
  "a step without a range": "5/10 * * * * /bin/job\n",
  "minute 60": "60 * * * * /bin/job\n",
  "day-of-week 8": "0 0 * * 8 /bin/job\n",
  "an unknown macro": "@every_hour /bin/job\n",
  "a known macro": "@weekly /bin/job\n",
  "a missing final newline": "0 2 * * 0 /bin/job",
  "an environment line and a comment": "MAILTO=\"\"\n# nightly\nPGBACKREST_REPO2_CIPHER_TYPE=none\n0 2 * * * /bin/job\n",
  "a trailing comma in a list": "1,2, * * * * /bin/job\n",
  "February 31st (valid syntax, never fires)": "0 0 31 2 * /bin/job\n",
  "a command with % (valid: the rest becomes stdin)": "0 2 * * * /bin/job > /tmp/log-$(date +%F)\n",
};

describe("crontab: the model accepts exactly what Debian's crontab accepts", () => {
  it.each(Object.keys(variants))("%s", async (name) => {
    const text = variants[name]!;
    const parsed = parseCrontab(text, false);
    const modelAccepts = parsed.errors.length === 0 && !parsed.missingFinalNewline;
    const cron = await crontabAccepts(name.replace(/\W+/g, "-"), text);
    expect({ accepted: cron.accepted }, `${cron.output}\nmodel: ${parsed.errors.join("; ")}`).toEqual({ accepted: modelAccepts });
  });
});

describe("schedules: when they fire", () => {
  const timing = (line: string) => scheduleTiming(parseCrontab(`${line} /bin/job\n`, false).jobs[0]!.schedule);
  it("weekly, daily and every four hours fire with their period as the longest gap", () => {
    expect(timing("15 2 * * 0").maxGapMinutes).toBe(7 * 1440);
    expect(timing("15 2 * * 1-6").maxGapMinutes).toBe(2 * 1440);
    expect(timing("15 */4 * * *").maxGapMinutes).toBe(240);
  });
  it("31 February and 30 February never fire; 29 February fires every four years", () => {
    expect(timing("0 0 31 2 *").fires).toBe(false);
    expect(timing("0 0 30 2 *").fires).toBe(false);
    expect(timing("0 0 29 2 *").maxGapMinutes).toBe(1461 * 1440);
  });
  it("several schedules of one job: the longest wait over all their firing minutes, as a minute-by-minute reckoning finds it", () => {
    const schedules = (lines: string[]) => lines.map((l) => parseCrontab(`${l} /bin/job\n`, false).jobs[0]!.schedule);
    // Eight years from 2024-01-01, each day's date read afresh, every firing minute listed.
    const reckoned = (lines: string[]): number => {
      const minutes = new Set<number>();
      for (const s of schedules(lines)) {
        for (let d = 0; d < 8 * 366; d++) {
          const date = new Date(Date.UTC(2024, 0, 1) + d * 86_400_000);
          if (!s.month.values.has(date.getUTCMonth() + 1)) continue;
          const dom = s.dayOfMonth.values.has(date.getUTCDate());
          const dow = s.dayOfWeek.values.has(date.getUTCDay());
          if (!(s.dayOfMonth.star || s.dayOfWeek.star ? dom && dow : dom || dow)) continue;
          for (const h of s.hour.values) for (const m of s.minute.values) minutes.add(d * 1440 + h * 60 + m);
        }
      }
      const sorted = [...minutes].sort((a, b) => a - b);
      let gap = 0;
      for (let i = 1; i < sorted.length; i++) gap = Math.max(gap, sorted[i]! - sorted[i - 1]!);
      return sorted.length > 1 ? gap : Infinity;
    };
    const sets = [
      ["0 3 * * 0", "0 3 * * 3"],
      ["30 1 1 * *", "0 4 15 * *"],
      ["0 0 29 2 *", "0 12 * 6 1"],
      ["0 2 * * 1-5", "0 5 * * 6"],
      ["15 2 * * 0", "15 2 * * 0"],
      ["0 2 * * 0", "0 2 * * 0", "0 14 * * 3"],
      ["0 0 1 * 1", "0 6 10-20 */2 *"],
      ["0 0 29 2 *", "0 0 1 1 *"],
      // Where the weekday of each date matters: Mondays of February, then 1 March, until next February's first Monday.
      ["0 0 * 2 1", "0 0 1 3 *"],
      ["0 0 13 1 *", "0 9 * 1 6"],
    ];
    for (const lines of sets) expect(combinedMaxGap(schedules(lines)), lines.join(" | ")).toBe(reckoned(lines));
  });
  it("day-of-month and day-of-week both restricted: either matches (Vixie cron)", () => {
    // The 1st of each month OR every Monday: never more than a week apart.
    expect(timing("0 0 1 * 1").maxGapMinutes).toBeLessThanOrEqual(7 * 1440);
    // With * in day-of-month only the weekday counts.
    expect(timing("0 0 */1 * 1").maxGapMinutes).toBe(7 * 1440);
  });
});

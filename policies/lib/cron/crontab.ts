// A crontab as Debian's cron (Vixie cron 3.0pl1) reads it: NAME=VALUE lines set the jobs'
// environment, schedule lines have five fields (numbers, names, ranges, lists, */steps; a step
// needs a range or *, so "5/10" is an error) or an @macro, system crontabs (/etc/crontab,
// /etc/cron.d) add a user column, and an unescaped % ends the command (the rest is its stdin).
// `crontab FILE` refuses the whole file on any bad line or a missing final newline. Proven against
// `crontab -n` of Debian cron 3.0pl1 (tests/servers/crontab-model.test.ts).

export interface CronField {
  /** The values it matches. */
  readonly values: ReadonlySet<number>;
  /** The field starts with "*" (Vixie's DOM_STAR/DOW_STAR: day-of-month and day-of-week then AND, else OR). */
  readonly star: boolean;
}

export interface CronSchedule {
  readonly minute: CronField;
  readonly hour: CronField;
  readonly dayOfMonth: CronField;
  readonly month: CronField;
  /** 0-6, Sunday 0 (7 folds into 0). */
  readonly dayOfWeek: CronField;
  /** @reboot: once at daemon start, never on a calendar. */
  readonly reboot?: boolean;
}

export interface CronJob {
  readonly line: number;
  readonly schedule: CronSchedule;
  /** System crontabs only. */
  readonly user?: string;
  /** The command as the shell receives it (up to the first unescaped %). */
  readonly command: string;
  /** The command text as written in the crontab. */
  readonly rawCommand: string;
  /** Environment lines above the job, in order. */
  readonly env: ReadonlyMap<string, string>;
}

export interface CrontabFile {
  readonly jobs: readonly CronJob[];
  /** Lines cron rejects ("bad minute" …); `crontab` installs nothing when there is any. */
  readonly errors: readonly string[];
  readonly missingFinalNewline: boolean;
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

interface FieldSpec {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  readonly nameBase?: number;
}

const FIELDS: readonly FieldSpec[] = [
  { label: "minute", min: 0, max: 59 },
  { label: "hour", min: 0, max: 23 },
  { label: "day-of-month", min: 1, max: 31 },
  { label: "month", min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { label: "day-of-week", min: 0, max: 7, names: DAYS, nameBase: 0 },
];

const MACROS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
};

function number(text: string, spec: FieldSpec): number | undefined {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n >= spec.min && n <= spec.max ? n : undefined;
  }
  const index = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  return index >= 0 && text.length === 3 ? index + spec.nameBase! : undefined;
}

/** One field (Vixie's get_list/get_range); undefined when cron rejects it. */
export function parseCronField(text: string, spec: FieldSpec): CronField | undefined {
  const values = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^(\*|[A-Za-z0-9]+)(?:-([A-Za-z0-9]+))?(?:\/(\d+))?$/.exec(part);
    if (!m) return undefined;
    const [, first, last, stepText] = m;
    let low: number | undefined;
    let high: number | undefined;
    if (first === "*") {
      if (last !== undefined) return undefined;
      [low, high] = [spec.min, spec.max];
    } else {
      low = number(first!, spec);
      high = last === undefined ? low : number(last, spec);
      // A step needs a range: "5/10" is refused.
      if (last === undefined && stepText !== undefined) return undefined;
    }
    if (low === undefined || high === undefined) return undefined;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1 || step > spec.max) return undefined;
    for (let v = low; v <= high; v += step) values.add(v);
  }
  if (spec.label === "day-of-week" && values.delete(7)) values.add(0);
  return { values, star: text.startsWith("*") };
}

/** NAME = VALUE (optionally quoted), as cron's load_env accepts it. */
function envAssignment(line: string): [string, string] | undefined {
  const m = /^([^\s=]+)\s*=\s*(.*)$/.exec(line);
  if (!m || /^[\d*@]/.test(m[1]!)) return undefined;
  let value = m[2]!.trim();
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]!)) value = value.slice(1, -1);
  return [m[1]!, value];
}

/** The command cron hands to the shell: up to the first unescaped %, with \% unescaped. */
export function cronCommand(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\" && text[i + 1] === "%") { out += "%"; i++; continue; }
    if (text[i] === "%") break;
    out += text[i];
  }
  return out;
}

/** Parses a crontab; `system` crontabs carry a user column after the schedule. */
export function parseCrontab(text: string, system: boolean): CrontabFile {
  const jobs: CronJob[] = [];
  const errors: string[] = [];
  const env = new Map<string, string>();
  const missingFinalNewline = text !== "" && !text.endsWith("\n");
  const lines = text.split("\n");
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const assignment = envAssignment(line);
    if (assignment) {
      env.set(assignment[0], assignment[1]);
      return;
    }
    const words = line.split(/\s+/);
    let fields: string[];
    let rest: string[];
    let reboot = false;
    if (line.startsWith("@")) {
      if (words[0] === "@reboot") reboot = true;
      else if (MACROS[words[0]!] === undefined) {
        errors.push(`line ${index + 1}: bad time specifier`);
        return;
      }
      fields = (MACROS[words[0]!] ?? "* * * * *").split(" ");
      rest = words.slice(1);
    } else {
      fields = words.slice(0, 5);
      rest = words.slice(5);
    }
    const parsed = fields.map((f, i) => (f === undefined ? undefined : parseCronField(f, FIELDS[i]!)));
    const bad = parsed.findIndex((p) => p === undefined);
    if (fields.length < 5 || bad >= 0) {
      errors.push(`line ${index + 1}: bad ${FIELDS[bad >= 0 ? bad : fields.length]?.label ?? "command"}`);
      return;
    }
    const user = system ? rest.shift() : undefined;
    if (rest.length === 0) {
      errors.push(`line ${index + 1}: ${system && user === undefined ? "bad username" : "missing command"}`);
      return;
    }
    const [minute, hour, dayOfMonth, month, dayOfWeek] = parsed as CronField[];
    const consumed = (line.startsWith("@") ? 1 : 5) + (system ? 1 : 0);
    const commandText = line.replace(new RegExp(`^(?:\\S+\\s+){${consumed}}`), "");
    jobs.push({
      line: index + 1,
      schedule: { minute: minute!, hour: hour!, dayOfMonth: dayOfMonth!, month: month!, dayOfWeek: dayOfWeek!, ...(reboot ? { reboot } : {}) },
      ...(user !== undefined ? { user } : {}),
      command: cronCommand(commandText),
      rawCommand: commandText,
      env: new Map(env),
    });
  });
  return { jobs, errors, missingFinalNewline };
}

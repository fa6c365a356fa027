// A crontab reader (Vixie/supercronic syntax): schedule lines with their command, variables skipped.

export interface CronEntry {
  /** The 5 time fields, or an @macro. */
  readonly schedule: string;
  readonly command: string;
}

const MACROS = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);
const FIELD = /^[\d*,\-/A-Za-z]+$/;

export function parseCrontab(text: string): CronEntry[] {
  const entries: CronEntry[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || /^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(line)) continue;
    const words = line.split(/\s+/);
    if (MACROS.has(words[0]!)) {
      entries.push({ schedule: words[0]!, command: words.slice(1).join(" ") });
    } else if (words.length > 5 && words.slice(0, 5).every((w) => FIELD.test(w))) {
      entries.push({ schedule: words.slice(0, 5).join(" "), command: words.slice(5).join(" ") });
    }
  }
  return entries;
}

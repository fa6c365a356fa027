// Readers for key=value configuration files a policy inspects: INI with [sections] (pgbackrest.conf)
// and postgresql.conf (`name = value`, quoted or not, `#` comments). Later keys win, as in both programs.

/** section -> key -> value; keys before any [section] go under "". */
export type IniFile = ReadonlyMap<string, ReadonlyMap<string, string>>;

export function parseIni(text: string): IniFile {
  const sections = new Map<string, Map<string, string>>([["", new Map()]]);
  let current = sections.get("")!;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      const name = header[1]!.trim();
      current = sections.get(name) ?? new Map<string, string>();
      sections.set(name, current);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq > 0) current.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return sections;
}

/** postgresql.conf settings, names lower-cased (PostgreSQL's names are case-insensitive). */
export function parsePostgresConf(text: string): Map<string, string> {
  const settings = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*=?\s*('(?:[^'\\]|\\.|'')*'|[^#\s]+)?/.exec(raw);
    if (!match || raw.trim().startsWith("#")) continue;
    let value = match[2] ?? "";
    if (value.startsWith("'")) value = value.slice(1, -1).replace(/''/g, "'").replace(/\\'/g, "'");
    settings.set(match[1]!.toLowerCase(), value);
  }
  return settings;
}

/**
 * `-c name=value` (and `--name=value`) overrides on a postgres command line: they beat the file.
 */
export function postgresCommandLineSettings(argv: readonly string[]): Map<string, string> {
  const settings = new Map<string, string>();
  const put = (assignment: string) => {
    const eq = assignment.indexOf("=");
    if (eq > 0) settings.set(assignment.slice(0, eq).toLowerCase().replace(/-/g, "_"), assignment.slice(eq + 1).replace(/^'(.*)'$/, "$1"));
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-c" && i + 1 < argv.length) put(argv[++i]!);
    else if (arg.startsWith("-c") && arg.length > 2) put(arg.slice(2));
    else if (arg.startsWith("--") && arg.includes("=")) put(arg.slice(2));
  }
  return settings;
}

/** PostgreSQL's boolean spellings. */
export function postgresBoolean(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (["on", "true", "yes", "1", "always"].includes(v)) return true;
  if (["off", "false", "no", "0"].includes(v)) return false;
  return undefined;
}

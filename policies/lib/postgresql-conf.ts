// postgresql.conf as PostgreSQL reads it ("name = value" or "name value", # comments, '…' strings
// with '' for a quote; names case-insensitive; the LAST occurrence wins) and the server's command
// line (`-c name=value`, `-cname=value`, `--name=value`), which overrides the file.

export interface PostgresSettings {
  /** The value in effect, unquoted; undefined when neither file nor command line sets it. */
  get(name: string): string | undefined;
  /** include/include_if_exists/include_dir targets: not followed, a rule must say so. */
  readonly includes: readonly string[];
}

function unquote(raw: string): string {
  const value = raw.trim();
  if (value.startsWith("'")) {
    const end = value.lastIndexOf("'");
    return value.slice(1, end > 0 ? end : undefined).replace(/''/g, "'").replace(/\\'/g, "'");
  }
  // An unquoted value ends at the first comment or space.
  return value.split(/[\s#]/)[0];
}

/** Settings of a postgresql.conf text, in file order. */
export function parsePostgresqlConf(text: string): Array<[name: string, value: string]> {
  const settings: Array<[string, string]> = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_.]*)\s*(?:=\s*|\s+)(.*)$/.exec(line);
    if (match) settings.push([match[1].toLowerCase(), unquote(match[2])]);
  }
  return settings;
}

/** `-c name=value` style settings of a postgres argv, in order. */
export function postgresCommandLineSettings(argv: readonly string[]): Array<[name: string, value: string]> {
  const settings: Array<[string, string]> = [];
  const add = (assignment: string) => {
    const eq = assignment.indexOf("=");
    if (eq > 0) settings.push([assignment.slice(0, eq).toLowerCase().replace(/-/g, "_"), assignment.slice(eq + 1)]);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "-c" && i + 1 < argv.length) add(argv[++i]);
    else if (arg.startsWith("-c") && arg.length > 2) add(arg.slice(2));
    else if (arg.startsWith("--") && arg.includes("=")) add(arg.slice(2));
  }
  return settings;
}

/** File settings, then command-line settings: the last word wins. */
export function postgresSettings(fileText: string | undefined, argv: readonly string[]): PostgresSettings {
  const values = new Map<string, string>();
  const includes: string[] = [];
  for (const [name, value] of [...parsePostgresqlConf(fileText ?? ""), ...postgresCommandLineSettings(argv)]) {
    if (name === "include" || name === "include_if_exists" || name === "include_dir") includes.push(value);
    else values.set(name, value);
  }
  return { get: (name) => values.get(name.toLowerCase()), includes };
}

/** PostgreSQL booleans: on/off, true/false, yes/no, 1/0 (and unique prefixes, rarely used). */
export function postgresBool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (["on", "true", "yes", "1", "t", "y"].includes(v)) return true;
  if (["off", "false", "no", "0", "f", "n"].includes(v)) return false;
  return undefined;
}

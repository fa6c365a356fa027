// PostgreSQL's effective settings, built the way the postmaster builds them (guc-file.l and
// SelectConfigFiles): config_file from the command line, else <datadir>/postgresql.conf; its
// include / include_if_exists (relative to the including file) and include_dir (*.conf files not
// starting with ".", byte order) in place; then <data_directory>/postgresql.auto.conf (ALTER SYSTEM);
// the last occurrence of a name wins; command-line settings override every file. Any syntax error,
// missing include or invalid value makes the postmaster refuse to start: those are `errors`.
// Proven against pg_file_settings and pg_settings of PostgreSQL 15 (tests/servers/postgres-model.test.ts).
import * as path from "node:path";
import { byteOrder, resolveFrom, type ServerFiles } from "../server-files";
import { UNKNOWN } from "../unknowns";
import { parseConfFile } from "./conf-lexer";
import { gucSpec, parseGucValue, POSTMASTER_GUCS, type GucValue } from "./gucs";

/** One row of pg_file_settings. */
export interface FileSetting {
  readonly file: string;
  readonly line: number;
  readonly seqno: number;
  readonly name: string;
  readonly value: string;
  /** False when a later line sets the same name. */
  readonly applied: boolean;
}

export type SettingSource = "default" | "configuration file" | "command line";

export interface EffectiveSetting {
  readonly name: string;
  /** The raw text that won (the built-in default's text for "default"). */
  readonly raw: string;
  /** Typed value; undefined when PostgreSQL rejects the raw text (then it is also in `errors`). */
  readonly value: GucValue | undefined;
  readonly source: SettingSource;
  readonly file?: string;
  readonly line?: number;
  /** A file whose content is unknown at preview is read after the winning line: it may set this name. */
  readonly uncertain: boolean;
}

export interface PostgresStartup {
  /** The postmaster's arguments after the program name. */
  readonly argv: readonly string[];
  /** PGDATA from the environment, used when argv has no -D. */
  readonly pgdata?: string;
}

export interface PostgresSettings {
  readonly configFile: string;
  readonly dataDirectory: string;
  /** hba_file, else <configdir>/pg_hba.conf (configdir = -D or PGDATA, not config_file's folder). */
  readonly hbaFile: string;
  readonly fileSettings: readonly FileSetting[];
  /** Settings given on the command line, last one per name. */
  readonly commandLine: ReadonlyMap<string, string>;
  /** Why the postmaster would refuse to start; empty when it starts. */
  readonly errors: readonly string[];
  /** Files read whose content is unknown at preview. */
  readonly unknownFiles: readonly string[];
  get(name: string): EffectiveSetting;
}

interface ArgvReading {
  readonly settings: Array<[string, string]>;
  readonly dataDir?: string;
  readonly errors: string[];
}

// Short postmaster options that set a GUC (postmaster.c), with the value they give.
const SHORT_SETTINGS: Readonly<Record<string, (arg: string) => [string, string]>> = {
  B: (a) => ["shared_buffers", a],
  h: (a) => ["listen_addresses", a],
  k: (a) => ["unix_socket_directories", a],
  N: (a) => ["max_connections", a],
  p: (a) => ["port", a],
  S: (a) => ["work_mem", a],
};
const SHORT_FLAGS: Readonly<Record<string, [string, string]>> = {
  F: ["fsync", "false"],
  i: ["listen_addresses", "*"],
  l: ["ssl", "true"],
};

/** The postmaster's command line: -c name=value, --name=value (dashes become underscores), -D and short options. */
export function readPostgresArgv(argv: readonly string[]): ArgvReading {
  const settings: Array<[string, string]> = [];
  const errors: string[] = [];
  let dataDir: string | undefined;
  const longOption = (text: string) => {
    const eq = text.indexOf("=");
    if (eq <= 0) errors.push(`the command-line option --${text} requires a value`);
    else settings.push([text.slice(0, eq).replace(/-/g, "_").toLowerCase(), text.slice(eq + 1)]);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith("--")) longOption(arg.slice(2));
    else if (/^-[A-Za-z]/.test(arg)) {
      const letter = arg[1]!;
      const attached = arg.slice(2);
      const takesValue = letter === "c" || letter === "D" || SHORT_SETTINGS[letter] !== undefined;
      const value = takesValue ? (attached !== "" ? attached : argv[++i]) : undefined;
      if (takesValue && value === undefined) errors.push(`the command-line option -${letter} requires a value`);
      else if (letter === "c") longOption(value!);
      else if (letter === "D") dataDir = value;
      else if (SHORT_SETTINGS[letter]) settings.push(SHORT_SETTINGS[letter](value!));
      else if (SHORT_FLAGS[letter]) settings.push(SHORT_FLAGS[letter]);
    }
  }
  return { settings, dataDir, errors };
}

const MAX_INCLUDE_DEPTH = 10;

/** Reads the configuration files from `configFile` down, as ParseConfigFile does. */
function readConfigTree(files: ServerFiles, configFile: string, autoConf: string | undefined) {
  const entries: Array<Omit<FileSetting, "applied" | "seqno">> = [];
  const errors: string[] = [];
  const unknownFiles: Array<{ file: string; after: number }> = [];
  const readFile = (file: string, depth: number, optional: boolean) => {
    if (depth > MAX_INCLUDE_DEPTH) {
      errors.push(`could not open configuration file "${file}": maximum nesting depth exceeded`);
      return;
    }
    const text = files.read(file);
    if (text === undefined) {
      if (!optional) errors.push(`could not open configuration file "${file}": No such file or directory`);
      return;
    }
    if (text === UNKNOWN) {
      unknownFiles.push({ file, after: entries.length });
      return;
    }
    const parsed = parseConfFile(text);
    for (const e of parsed.errors) errors.push(`${e.message} in file "${file}" line ${e.line}`);
    for (const line of parsed.lines) {
      if (line.name === "include" || line.name === "include_if_exists") {
        readFile(resolveFrom(file, line.value), depth + 1, line.name === "include_if_exists");
      } else if (line.name === "include_dir") {
        const dir = resolveFrom(file, line.value);
        const listing = files.list(dir);
        if (listing === undefined) errors.push(`could not open configuration directory "${dir}": No such file or directory`);
        for (const f of (listing ?? []).filter((f) => /\.conf$/.test(f) && !path.posix.basename(f).startsWith(".")).sort(byteOrder)) {
          readFile(f, depth + 1, false);
        }
      } else {
        entries.push({ file, line: line.line, name: line.name, value: line.value });
      }
    }
  };
  readFile(configFile, 0, false);
  if (autoConf !== undefined) readFile(autoConf, 0, true);
  return { entries, errors, unknownFiles };
}

/** The effective settings of a postmaster started with `startup`, reading `files`. */
export function resolvePostgresSettings(files: ServerFiles, startup: PostgresStartup): PostgresSettings {
  const argv = readPostgresArgv(startup.argv);
  const errors = [...argv.errors];
  const commandLine = new Map(argv.settings);
  const configDir = argv.dataDir ?? startup.pgdata;
  const configFile = commandLine.get("config_file") ?? (configDir ? `${configDir}/postgresql.conf` : undefined);
  if (configFile === undefined) {
    errors.push("postgres does not know where to find the server configuration file (no -D, PGDATA or config_file)");
  }
  // data_directory may itself come from the main file; postgresql.auto.conf is read from it.
  const first = configFile ? readConfigTree(files, configFile, undefined) : { entries: [], errors: [], unknownFiles: [] };
  const fileDataDir = [...first.entries].reverse().find((e) => e.name === "data_directory")?.value;
  const dataDirectory = commandLine.get("data_directory") ?? fileDataDir ?? configDir ?? "";
  const tree = configFile
    ? readConfigTree(files, configFile, dataDirectory ? `${dataDirectory}/postgresql.auto.conf` : undefined)
    : first;
  errors.push(...tree.errors);

  const lastIndex = new Map<string, number>();
  tree.entries.forEach((e, i) => lastIndex.set(e.name, i));
  // A restart-only setting that the command line sets to another value cannot be applied from the file.
  const overridden = (name: string, value: string) =>
    POSTMASTER_GUCS.has(name) && commandLine.has(name) && parseGucValue(name, commandLine.get(name)!) !== parseGucValue(name, value);
  const fileSettings: FileSetting[] = tree.entries.map((e, i) => ({ ...e, seqno: i + 1, applied: lastIndex.get(e.name) === i && !overridden(e.name, e.value) }));

  const valueOf = (name: string, raw: string, where: string): GucValue | undefined => {
    const value = parseGucValue(name, raw);
    if (value === undefined) errors.push(`invalid value for parameter "${name}": "${raw}" (${where})`);
    return value;
  };
  const effective = new Map<string, EffectiveSetting>();
  for (const s of fileSettings.filter((s, i) => lastIndex.get(s.name) === i)) {
    const uncertain = tree.unknownFiles.some((u) => u.after > s.seqno - 1);
    effective.set(s.name, { name: s.name, raw: s.value, value: valueOf(s.name, s.value, `${s.file} line ${s.line}`), source: "configuration file", file: s.file, line: s.line, uncertain });
  }
  for (const [name, raw] of commandLine) {
    effective.set(name, { name, raw, value: valueOf(name, raw, "command line"), source: "command line", uncertain: false });
  }
  const hbaFile = effective.get("hba_file")?.raw || (configDir ? `${configDir}/pg_hba.conf` : "");
  return {
    configFile: configFile ?? "",
    dataDirectory,
    hbaFile,
    fileSettings,
    commandLine,
    errors,
    unknownFiles: tree.unknownFiles.map((u) => u.file),
    get(name) {
      const key = name.toLowerCase();
      const found = effective.get(key);
      if (found) return found;
      const spec = gucSpec(key);
      const raw = spec === undefined ? "" : typeof spec.default === "boolean" ? (spec.default ? "on" : "off") : String(spec.default);
      return { name: key, raw, value: spec?.default, source: "default", uncertain: tree.unknownFiles.length > 0 };
    },
  };
}

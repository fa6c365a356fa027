// pgBackRest's option resolution (2.45 as proven here; the stack runs 2.54, whose rules are the same):
// the config file (--config, default /etc/pgbackrest/pgbackrest.conf; --config-path=DIR means
// DIR/pgbackrest.conf and DIR/conf.d) followed by every *.conf in the include path; then for each
// option the first section that sets it among [stanza:command], [stanza], [global:command],
// [global]; a PGBACKREST_<OPTION> environment variable beats every file and the command line beats
// both. An option set twice in the section that decides it is an error ("cannot be set multiple
// times"), and the command does not run. Proven against the "command begin" line pgBackRest logs
// with every resolved option (tests/servers/pgbackrest-model.test.ts).
import * as path from "node:path";
import { byteOrder, type ServerFiles } from "../server-files";
import { UNKNOWN } from "../unknowns";

export const DEFAULT_CONFIG_PATH = "/etc/pgbackrest";

/** Options that may repeat (pgBackRest's hash and list options). */
const MULTI_OPTIONS: ReadonlySet<string> = new Set(["tls-server-auth", "db-include", "exclude", "link-map", "recovery-option", "tablespace-map"]);

export interface ConfigLine {
  readonly file: string;
  readonly line: number;
  readonly section: string;
  readonly option: string;
  readonly value: string;
}

export interface PgbackrestFiles {
  readonly configFile: string;
  readonly includePath: string;
  readonly lines: readonly ConfigLine[];
  /** Include files whose content is unknown at preview. */
  readonly unknownFiles: readonly string[];
  /** Stanzas: sections that are neither global nor command sections of global. */
  readonly stanzas: readonly string[];
}

/** How one pgBackRest run is invoked: its command line (options before the command) and environment. */
export interface PgbackrestInvocation {
  readonly command: string;
  /** --option=value / --option value / --no-option words of the command line. */
  readonly options: ReadonlyMap<string, string>;
  readonly env: ReadonlyMap<string, string>;
}

export type OptionSource = "command line" | "environment" | "config";

export interface ResolvedOption {
  readonly value: string;
  readonly source: OptionSource;
  readonly line?: ConfigLine;
}

export interface ResolvedOptions {
  readonly stanza?: string;
  get(option: string): ResolvedOption | undefined;
  /** Every option set, for comparison with the "command begin" line. */
  readonly all: ReadonlyMap<string, ResolvedOption>;
  /** Repository indexes that have any option set (repo1 when none). */
  readonly repos: readonly number[];
  /** Why the command refuses to run. */
  readonly errors: readonly string[];
}

/** Command-line words (as argv) -> options, and the command word. */
export function readPgbackrestArgv(words: readonly string[]): { command?: string; options: Map<string, string> } {
  const options = new Map<string, string>();
  let command: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith("--")) {
      const eq = w.indexOf("=");
      if (eq > 0) options.set(w.slice(2, eq), w.slice(eq + 1));
      else if (w.startsWith("--no-")) options.set(w.slice(5), "n");
      else if (words[i + 1] !== undefined && !words[i + 1]!.startsWith("--") && !isCommandWord(words[i + 1]!)) options.set(w.slice(2), words[++i]!);
      else options.set(w.slice(2), "y");
    } else if (command === undefined) command = w;
  }
  return { command, options };
}

const COMMANDS: ReadonlySet<string> = new Set([
  "annotate", "archive-get", "archive-push", "backup", "check", "expire", "help", "info", "repo-get", "repo-ls", "restore",
  "server", "server-ping", "stanza-create", "stanza-delete", "stanza-upgrade", "start", "stop", "verify", "version",
]);
export const isCommandWord = (word: string): boolean => COMMANDS.has(word);

/** The config file and include files a run reads, from its --config / --config-path / --config-include-path. */
export function loadPgbackrestFiles(files: ServerFiles, options: ReadonlyMap<string, string>, env: ReadonlyMap<string, string>): PgbackrestFiles {
  const pick = (name: string) => options.get(name) ?? env.get(`PGBACKREST_${name.toUpperCase().replace(/-/g, "_")}`);
  const configPath = pick("config-path");
  let configFile = pick("config") ?? `${configPath ?? DEFAULT_CONFIG_PATH}/pgbackrest.conf`;
  // Without any of the three options, the old location is used when the default file is missing.
  if (pick("config") === undefined && configPath === undefined && files.read(configFile) === undefined && files.read("/etc/pgbackrest.conf") !== undefined) {
    configFile = "/etc/pgbackrest.conf";
  }
  const includePath = pick("config-include-path") ?? `${configPath ?? DEFAULT_CONFIG_PATH}/conf.d`;
  const lines: ConfigLine[] = [];
  const unknownFiles: string[] = [];
  const read = (file: string) => {
    const text = files.read(file);
    if (text === undefined) return;
    if (text === UNKNOWN) {
      unknownFiles.push(file);
      return;
    }
    let section = "";
    text.split("\n").forEach((raw, index) => {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) return;
      const header = /^\[(.+)\]$/.exec(line);
      if (header) {
        section = header[1]!.trim();
        return;
      }
      const eq = line.indexOf("=");
      if (eq > 0) lines.push({ file, line: index + 1, section, option: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() });
    });
  };
  read(configFile);
  for (const file of (files.list(includePath) ?? []).filter((f) => f.endsWith(".conf")).sort(byteOrder)) read(file);
  const stanzas = [...new Set(lines.map((l) => l.section).filter((s) => s !== "" && !s.includes(":") && s !== "global"))];
  return { configFile: path.posix.normalize(configFile), includePath, lines, unknownFiles, stanzas };
}

/** The options a run of `invocation.command` for `stanza` resolves. */
export function resolvePgbackrestOptions(loaded: PgbackrestFiles, invocation: PgbackrestInvocation, stanza?: string): ResolvedOptions {
  const errors: string[] = [];
  const all = new Map<string, ResolvedOption>();
  const sections = [...(stanza ? [`${stanza}:${invocation.command}`, stanza] : []), `global:${invocation.command}`, "global"];
  const names = new Set(loaded.lines.filter((l) => sections.includes(l.section)).map((l) => l.option));
  for (const option of names) {
    for (const section of sections) {
      const set = loaded.lines.filter((l) => l.section === section && l.option === option);
      if (set.length === 0) continue;
      if (set.length > 1 && !MULTI_OPTIONS.has(option)) errors.push(`option '${option}' cannot be set multiple times`);
      all.set(option, { value: set[set.length - 1]!.value, source: "config", line: set[set.length - 1] });
      break;
    }
  }
  for (const [name, value] of invocation.env) {
    const m = /^PGBACKREST_([A-Z0-9_]+)$/.exec(name);
    if (m) all.set(m[1]!.toLowerCase().replace(/_/g, "-"), { value, source: "environment" });
  }
  for (const [option, value] of invocation.options) all.set(option, { value, source: "command line" });
  // A cipher pass only counts with a cipher: pgBackRest drops repoN-cipher-pass when repoN-cipher-type is none.
  for (const key of [...all.keys()]) {
    const m = /^repo(\d+)-cipher-pass$/.exec(key);
    if (m && (all.get(`repo${m[1]}-cipher-type`)?.value ?? "none") === "none") all.delete(key);
  }
  const repos = [...new Set([...all.keys()].map((k) => /^repo(\d+)-/.exec(k)?.[1]).filter((n): n is string => n !== undefined).map(Number))].sort((a, b) => a - b);
  return { stanza, get: (option) => all.get(option), all, repos: repos.length > 0 ? repos : [1], errors };
}

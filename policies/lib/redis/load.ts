// loadServerConfig as Redis runs it (config.c, 7.0 and 7.4 alike): the config file's text, then the
// command-line options as more lines, read in one pass where the last value of a directive wins;
// `include` reads another file (a glob reads every match, sorted) in a nested pass at that point;
// `dir` changes the working directory relative paths resolve against; `save` lines accumulate until
// an include has been read, after which each `save` line replaces the rules (reading_config_file is
// reset by the nested pass); `user` lines are collected and a second declaration of a name is fatal.
// A file whose content is unknown at preview is recorded where it was read: what it could set is
// undecided unless a later known line sets it again.
import { globToRegExp, isGlob, resolvePath } from "../paths";
import { REDIS_COMMAND_CATEGORIES } from "./commands";
import { REDIS_CONFIGS } from "./config-table";
import { splitArgs, configLines, type ConfigLine } from "./syntax";

export interface Origin {
  readonly file: string;
  readonly line: number;
}

export interface SettingValue {
  readonly args: readonly string[];
  readonly origin: Origin;
  /** Position in the load, to compare with where unknown files were read. */
  readonly seq: number;
}

export interface DeclaredUser {
  readonly name: string;
  readonly rules: readonly string[];
  readonly origin: Origin;
}

export interface LoadedConfig {
  readonly settings: ReadonlyMap<string, SettingValue>;
  /** undefined: no `save` line, Redis's defaults apply. */
  readonly saveRules?: ReadonlyArray<readonly [number, number]>;
  readonly saveSeq: number;
  readonly users: readonly DeclaredUser[];
  /** Commands renamed by rename-command: name -> new name ("" removes the command). */
  readonly renamed: ReadonlyMap<string, string>;
  /** Files read whose content is unknown at preview, with where they were read. */
  readonly unknownFiles: ReadonlyArray<{ readonly path: string; readonly seq: number }>;
  /** The first error that makes redis-server exit, if any. */
  readonly error?: string;
  /** The working directory after loading (the last `dir`). */
  readonly cwd: string;
}

export interface LoadInput {
  /** File path -> content; undefined content: the file exists but is unknown at preview. */
  readonly files: ReadonlyMap<string, string | undefined>;
  readonly workingDir: string;
}

const isRedisCommand = (name: string) => !name.includes("|") && Object.hasOwn(REDIS_COMMAND_CATEGORIES, name);

/** "1gb" -> bytes as memtoull reads it; undefined where Redis reports an invalid memory value. */
export function redisMemoryBytes(value: string): number | undefined {
  const match = /^(\d*)(b|k|kb|m|mb|g|gb)?$/i.exec(value);
  if (!match) return undefined;
  const units: Record<string, number> = { "": 1, b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };
  return Number(match[1] || "0") * units[(match[2] ?? "").toLowerCase()]!;
}

/** The canonical name of a config directive (aliases such as slaveof), if Redis knows it. */
export function configName(name: string): string | undefined {
  if (Object.hasOwn(REDIS_CONFIGS, name)) return name;
  return Object.entries(REDIS_CONFIGS).find(([, spec]) => spec.alias === name)?.[0];
}

function validate(name: string, args: readonly string[]): string | undefined {
  const spec = REDIS_CONFIGS[name]!;
  if (spec.kind === "bool" && !/^(yes|no)$/i.test(args[0]!)) return "argument must be 'yes' or 'no'";
  if (spec.kind === "enum" && !spec.multi && !(spec.values ?? []).some((v) => v === args[0]!.toLowerCase())) {
    return `argument(s) must be one of the following: ${(spec.values ?? []).join(", ")}`;
  }
  if (spec.memory && redisMemoryBytes(args[0]!) === undefined) return "argument must be a memory value";
  if (name === "save" && !(args.length === 1 && args[0] === "")) {
    if (args.length % 2 === 1) return "Invalid save parameters";
    if (args.some((a, i) => !/^-?\d+$/.test(a) || Number(a) < (i % 2 === 0 ? 1 : 0))) return "Invalid save parameters";
  }
  return undefined;
}

class Loader {
  readonly settings = new Map<string, SettingValue>();
  saveRules: Array<readonly [number, number]> | undefined;
  saveSeq = -1;
  private saveLoaded = false;
  private readingConfigFile = false;
  readonly users: DeclaredUser[] = [];
  readonly renamed = new Map<string, string>();
  readonly unknownFiles: Array<{ path: string; seq: number }> = [];
  error: string | undefined;
  seq = 0;
  private depth = 0;

  constructor(private readonly input: LoadInput, public cwd: string) {}

  /** loadServerConfig(filename, options): the file's (or glob matches') text plus the options, parsed. */
  loadFile(filename: string | undefined, options: string | undefined, from: Origin | undefined): void {
    let text = "";
    let label = "command line";
    if (filename !== undefined) {
      const path = resolvePath(this.cwd, filename);
      label = path;
      const matches = isGlob(filename)
        ? [...this.input.files.keys()].filter((f) => globToRegExp(path).test(f)).sort()
        : [path];
      for (const file of matches) {
        if (!this.input.files.has(file)) {
          this.fail(`Fatal error, can't open config file '${file}': No such file or directory`, from);
          return;
        }
        const content = this.input.files.get(file);
        if (content === undefined) this.unknownFiles.push({ path: file, seq: this.seq++ });
        else text += content;
      }
    }
    // Options follow the file's last line: lines past it are reported as the command line's.
    const fileLines = text.split("\n").length;
    if (options !== undefined) text += `\n${options}`;
    this.loadString(text, label, fileLines);
  }

  private fail(message: string, origin: Origin | undefined): void {
    this.error ??= origin ? `${message} (${origin.file}:${origin.line})` : message;
  }

  /** loadServerConfigFromString. */
  private loadString(text: string, file: string, fileLines = Infinity): void {
    if (++this.depth > 16) {
      this.fail("include nesting too deep", undefined);
      return;
    }
    this.readingConfigFile = true;
    for (const parsed of configLines(text)) {
      if (this.error) return;
      const origin = parsed.line > fileLines ? { file: "command line", line: parsed.line - fileLines } : { file, line: parsed.line };
      if ("error" in parsed) {
        this.fail(parsed.error, origin);
        return;
      }
      this.directive(parsed, origin);
    }
    this.readingConfigFile = false;
    this.depth--;
  }

  private directive(d: ConfigLine, origin: Origin): void {
    const seq = this.seq++;
    const name = configName(d.name);
    if (name !== undefined) {
      const spec = REDIS_CONFIGS[name]!;
      if (!spec.multi && d.args.length !== 1) return this.fail("wrong number of arguments", origin);
      const args = spec.multi && d.args.length === 1 && d.args[0] !== "" ? (splitArgs(d.args[0]!) ?? []) : d.args;
      const error = validate(name, args);
      if (error) return this.fail(error, origin);
      if (name === "save") return this.save(args, seq);
      if (name === "dir") this.cwd = resolvePath(this.cwd, args[0]!);
      this.settings.set(name, { args, origin, seq });
      return;
    }
    if (d.name === "include" && d.args.length === 1) return this.loadFile(d.args[0], undefined, origin);
    if (d.name === "rename-command" && d.args.length === 2) {
      const command = d.args[0]!.toLowerCase();
      const target = d.args[1]!.toLowerCase();
      const exists = (name: string) => (isRedisCommand(name) && !this.renamed.has(name)) || [...this.renamed.values()].includes(name);
      if (!exists(command)) return this.fail("No such command in rename-command", origin);
      if (target !== "" && exists(target)) return this.fail("Target command name already exists", origin);
      this.renamed.set(command, target);
      return;
    }
    if (d.name === "user" && d.args.length >= 1) {
      if (this.users.some((u) => u.name === d.args[0])) {
        return this.fail(`Error in user declaration '${d.args[0]}': Duplicate user found. A user can only be defined once in config files`, origin);
      }
      this.users.push({ name: d.args[0]!, rules: d.args.slice(1), origin });
      return;
    }
    if (d.name === "loadmodule" && d.args.length >= 1) return;
    if (d.name.includes(".") && d.args.length >= 1) return;
    this.fail("Bad directive or wrong number of arguments", origin);
  }

  /** setConfigSaveOption. */
  private save(args: readonly string[], seq: number): void {
    let rules = args;
    if (args.length === 1 && args[0] === "") {
      this.saveRules = [];
      rules = [];
    }
    if (!this.readingConfigFile) this.saveRules = [];
    else if (!this.saveLoaded) {
      this.saveLoaded = true;
      this.saveRules = [];
    }
    for (let i = 0; i + 1 < rules.length; i += 2) this.saveRules!.push([Number(rules[i]), Number(rules[i + 1])]);
    this.saveSeq = seq;
  }
}

/** Loads `configFile` (or nothing) followed by the command-line `options` text. */
export function loadRedisConfig(input: LoadInput, configFile: string | undefined, options: string): LoadedConfig {
  const loader = new Loader(input, input.workingDir);
  loader.loadFile(configFile, options, undefined);
  return {
    settings: loader.settings,
    saveRules: loader.saveRules,
    saveSeq: loader.saveSeq,
    users: loader.users,
    renamed: loader.renamed,
    unknownFiles: loader.unknownFiles,
    error: loader.error,
    cwd: loader.cwd,
  };
}

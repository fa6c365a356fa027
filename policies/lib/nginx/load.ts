// Loading a configuration as nginx does at start-up: the `-g` directives first, then the main file,
// every `include` expanded where it stands (globs sorted, relative paths against the main file's
// folder), then the checks by which `nginx -t` refuses a configuration (a directive in the wrong
// context, a duplicate, a missing file). Only the files the configuration references are read.
import { ADDED_IN_1_25_1, DIRECTIVES, REMOVED_IN_1_25_1, type NginxContext } from "./directives";
import { dirname, globToRegExp, isGlob, isUnderDir, resolvePath, type NginxInput } from "./input";
import { NginxSyntaxError, parseNginxText, type NginxDirective } from "./syntax";

export interface ConfigProblem {
  readonly message: string;
  readonly file: string;
  readonly line: number;
}

export interface LoadedConfig {
  /** The main context with every include expanded in place. */
  readonly main: readonly NginxDirective[];
  /** Files read, in order, each once (what `nginx -T` dumps). */
  readonly files: readonly string[];
  /** Reasons `nginx -t` would refuse the configuration: nginx would not start. */
  readonly errors: readonly ConfigProblem[];
  /** Warnings nginx prints and then ignores the line (a conflicting server name …). */
  readonly warnings: readonly ConfigProblem[];
  /** Includes that read files the stack does not declare (host folders): not judgeable. */
  readonly opaque: readonly string[];
  /** Files the configuration reads whose content is unknown at preview. */
  readonly unknownContent: readonly string[];
}

const COMMAND_LINE = "command line";
const CHECKED_CONTEXTS: ReadonlySet<NginxContext> = new Set(["main", "events", "http", "server", "location", "sif", "lif"]);
const MAX_INCLUDE_DEPTH = 32;

export function versionAtLeast(version: string, min: string): boolean {
  const a = version.split(".").map(Number);
  const b = min.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

export function loadNginxConfig(input: NginxInput): LoadedConfig {
  const files: string[] = [];
  const errors: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const opaque: string[] = [];
  const unknownContent: string[] = [];
  const confPrefix = dirname(input.confFile);

  const parse = (text: string, file: string): NginxDirective[] => {
    try {
      return parseNginxText(text, file);
    } catch (err) {
      if (!(err instanceof NginxSyntaxError)) throw err;
      errors.push({ message: err.message.replace(/ in \S+:\d+$/, ""), file: err.file, line: err.line });
      return [];
    }
  };

  const readFile = (path: string, from: NginxDirective | undefined): NginxDirective[] => {
    const file = input.files.get(path);
    if (!file) {
      if (input.opaqueDirs.some((dir) => isUnderDir(path, dir))) opaque.push(path);
      else errors.push({ message: `open() "${path}" failed (2: No such file or directory)`, file: from?.file ?? path, line: from?.line ?? 0 });
      return [];
    }
    if (!files.includes(path)) files.push(path);
    if (file.content === undefined) {
      unknownContent.push(path);
      return [];
    }
    return parse(file.content, path);
  };

  const expand = (directives: readonly NginxDirective[], depth: number): NginxDirective[] =>
    directives.flatMap((d): NginxDirective[] => {
      if (d.name === "include" && !d.block) {
        if (d.args.length !== 1) {
          errors.push({ message: 'invalid number of arguments in "include" directive', file: d.file, line: d.line });
          return [];
        }
        if (depth >= MAX_INCLUDE_DEPTH) {
          errors.push({ message: `include nested deeper than ${MAX_INCLUDE_DEPTH} levels`, file: d.file, line: d.line });
          return [];
        }
        const target = resolvePath(confPrefix, d.args[0]!);
        if (!isGlob(target)) return expand(readFile(target, d), depth + 1);
        const pattern = globToRegExp(target);
        const folder = target.slice(0, target.search(/[*?[]/));
        if (input.opaqueDirs.some((dir) => isUnderDir(folder, dir) || isUnderDir(dir, folder.replace(/\/$/, "")))) opaque.push(target);
        const matches = [...input.files.keys()].filter((p) => pattern.test(p)).sort();
        return matches.flatMap((p) => expand(readFile(p, d), depth + 1));
      }
      return d.block ? [{ ...d, block: expand(d.block, depth) }] : [d];
    });

  const commandLine = input.commandLine ? expand(parse(input.commandLine, COMMAND_LINE), 0) : [];
  const main = [...commandLine, ...expand(readFile(input.confFile, undefined), 0)];
  validate(main, "main", input.version, errors, warnings);
  return { main, files, errors, warnings, opaque, unknownContent };
}

function innerContext(d: NginxDirective, context: NginxContext): NginxContext {
  switch (d.name) {
    case "http": case "events": case "server": case "location": case "upstream": case "types": case "map": case "limit_except": case "stream": case "mail":
      return d.name === "server" && context !== "http" ? "other" : (d.name as NginxContext);
    case "if":
      return context === "server" || context === "sif" ? "sif" : "lif";
    default:
      return "other";
  }
}

/** The checks of `nginx -t` the pack can make without nginx's module list: contexts and duplicates. */
function validate(block: readonly NginxDirective[], context: NginxContext, version: string, errors: ConfigProblem[], warnings: ConfigProblem[]): void {
  const seen = new Map<string, Set<string>>();
  const at = (d: NginxDirective, message: string) => errors.push({ message, file: d.file, line: d.line });
  for (const d of block) {
    const modern = versionAtLeast(version, "1.25.1");
    if ((modern && REMOVED_IN_1_25_1.has(d.name)) || (!modern && ADDED_IN_1_25_1.has(d.name))) {
      at(d, `unknown directive "${d.name}" (nginx ${version})`);
      continue;
    }
    // Inside upstream, types, map … the words are that block's own syntax (`server host:port;`).
    const spec = CHECKED_CONTEXTS.has(context) ? DIRECTIVES[d.name] : undefined;
    if (spec && !spec.contexts.includes(context)) {
      at(d, `"${d.name}" directive is not allowed here`);
      continue;
    }
    if (spec && (spec.merge === "scalar" || spec.uniqueBy || d.name === "http")) {
      const key = spec.uniqueBy ? spec.uniqueBy(d.args) : "";
      const keys = seen.get(d.name) ?? new Set<string>();
      if (keys.has(key)) at(d, `"${d.name}" directive is duplicate`);
      keys.add(key);
      seen.set(d.name, keys);
    }
    if (d.block) validate(d.block, innerContext(d, context), version, errors, warnings);
  }
}

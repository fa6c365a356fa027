// redis.conf as Redis reads it: one directive per line, arguments split on spaces with "…"/'…'
// quoting; for a single-valued directive the LAST occurrence wins. Command-line `--name value`
// arguments are appended after the file (Redis does the same), so `redis-server /etc/redis.conf
// --appendonly no` turns AOF off whatever the file says. `user` is not last-wins: each line declares
// one user, and Redis 7 refuses to start when a user is declared twice anywhere in its configuration
// (included files and command line too), so a single declaration is final.

export interface RedisDirective {
  readonly name: string;
  readonly args: readonly string[];
}

/** Splits one line into words, honouring double (with \-escapes) and single quotes. */
function splitWords(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length) break;
    const quote = line[i] === '"' || line[i] === "'" ? line[i] : undefined;
    let word = "";
    if (quote) {
      i++;
      while (i < line.length && line[i] !== quote) {
        if (quote === '"' && line[i] === "\\" && i + 1 < line.length) i++;
        word += line[i++];
      }
      i++;
    } else {
      while (i < line.length && !/\s/.test(line[i])) word += line[i++];
    }
    words.push(word);
  }
  return words;
}

export function parseRedisConf(text: string): RedisDirective[] {
  const directives: RedisDirective[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [name, ...args] = splitWords(line);
    directives.push({ name: name.toLowerCase(), args });
  }
  return directives;
}

/** An argv word as config words: "900 1" is two, "" stays one empty word (`--save ""`). */
const argWords = (arg: string): string[] => (arg.trim() === "" ? [""] : splitWords(arg));

/** `--name v1 v2` options of a redis-server command line, as the directives Redis appends. */
export const redisCommandLineDirectives = (options: ReadonlyArray<readonly [string, readonly string[]]>): RedisDirective[] =>
  options.map(([name, args]) => ({ name: name.toLowerCase(), args: args.flatMap(argWords) }));

/** One `user NAME rules…` declaration. */
export interface RedisUserDeclaration {
  readonly name: string;
  readonly rules: readonly string[];
}

/** The settings in effect, with Redis 7's defaults where nothing says otherwise. */
export interface RedisSettings {
  /** Last value of a single-valued directive (lower-cased name), joined by spaces. */
  get(name: string): string | undefined;
  /** RDB snapshot rules in effect ([] = RDB off). */
  readonly saveRules: ReadonlyArray<readonly [seconds: number, changes: number]>;
  /** `include` paths: their content is not followed, a rule must say so. */
  readonly includes: readonly string[];
  /** Every `user` declaration, in order (duplicates kept: Redis 7 refuses them, a rule may say so). */
  readonly users: readonly RedisUserDeclaration[];
  /** The directives these settings were read from, in order (to follow includes). */
  readonly directives: readonly RedisDirective[];
}

/** Redis 7 default when no `save` line is given. */
export const REDIS_DEFAULT_SAVE_RULES: ReadonlyArray<readonly [number, number]> = [[3600, 1], [300, 100], [60, 10000]];

export function redisSettings(directives: readonly RedisDirective[]): RedisSettings {
  const last = new Map<string, string>();
  let saveRules: Array<readonly [number, number]> | undefined;
  const includes: string[] = [];
  const users: RedisUserDeclaration[] = [];
  for (const d of directives) {
    if (d.name === "save") {
      // The first `save` replaces the defaults; `save ""` clears; each further line adds rules.
      if (d.args.length === 0 || (d.args.length === 1 && d.args[0] === "")) {
        saveRules = [];
        continue;
      }
      saveRules = saveRules ?? [];
      for (let i = 0; i + 1 < d.args.length; i += 2) saveRules.push([Number(d.args[i]), Number(d.args[i + 1])]);
    } else if (d.name === "include") {
      includes.push(...d.args);
    } else if (d.name === "user") {
      if (d.args.length > 0) users.push({ name: d.args[0], rules: d.args.slice(1) });
    } else {
      last.set(d.name, d.args.join(" "));
    }
  }
  return {
    get: (name) => last.get(name.toLowerCase()),
    saveRules: saveRules ?? REDIS_DEFAULT_SAVE_RULES,
    includes,
    users,
    directives,
  };
}

/**
 * Replaces each `include PATH` with the directives of that file, where Redis reads them. `read`
 * returns the file's text, or throws (e.g. an UnknownValueError when its content is unknown at
 * preview). Cycles and runaway nesting stop with an error rather than looping.
 */
export function expandRedisIncludes(directives: readonly RedisDirective[], read: (path: string) => string, depth = 0): RedisDirective[] {
  if (depth > 8) throw new Error("redis.conf includes nest deeper than 8 levels");
  return directives.flatMap((d) => (d.name === "include"
    ? d.args.flatMap((path) => expandRedisIncludes(parseRedisConf(read(path)), read, depth + 1))
    : [d]));
}

/**
 * Whether a declared user lets a client in without AUTH. Redis resets a declared user (off, no
 * password) before applying its rules, and authenticates a new connection as `default` only when
 * that user is on with nopass; `>pw`/`#hash`, `resetpass` and `reset` clear nopass.
 */
export function redisUserAdmitsWithoutAuth(rules: readonly string[]): boolean {
  let on = false;
  let nopass = false;
  for (const rule of rules.map((r) => r.toLowerCase())) {
    if (rule === "on") on = true;
    else if (rule === "off") on = false;
    else if (rule === "nopass") nopass = true;
    else if (rule === "resetpass" || rule.startsWith(">") || rule.startsWith("#")) nopass = false;
    else if (rule === "reset") [on, nopass] = [false, false];
  }
  return on && nopass;
}

/** "4gb", "512mb", "1000000" -> bytes (Redis units: k/kb, m/mb, g/gb). */
export function redisMemoryBytes(value: string): number | undefined {
  const match = /^(\d+)\s*(k|kb|m|mb|g|gb|b)?$/i.exec(value.trim());
  if (!match) return undefined;
  const units: Record<string, number> = { "": 1, b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };
  return Number(match[1]) * units[(match[2] ?? "").toLowerCase()];
}

/** Redis's yes/no. */
export const redisYes = (value: string | undefined): boolean => value?.toLowerCase() === "yes";

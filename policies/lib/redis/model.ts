// The effective configuration of one redis-server: its settings after the config file, includes and
// command line, and its ACL users as server start-up builds them (server.c, acl.c): the default user
// starts on/nopass/+@all; the last `requirepass` becomes its only password; users declared in the
// config are then loaded (a `user default` line resets and replaces it); an `aclfile` (refused next to
// declared users) replaces every user, and a file without a `default` line leaves it on/nopass.
import {
  aclAllows, applyAclRule, cloneAclUser, initialDefaultUser, mergeSelectorWords, newAclUser, type AclUser,
} from "./acl";
import { redisServerArguments, type ImageDefaults, type RedisLaunch } from "./command-line";
import { REDIS_CONFIGS } from "./config-table";
import { innermostMount, resolvePath } from "../paths";
import { loadRedisConfig, type LoadedConfig, type Origin } from "./load";

export interface RedisInput {
  readonly launch: RedisLaunch;
  /** Path -> content; undefined: present but unknown at preview. */
  readonly files: ReadonlyMap<string, string | undefined>;
  readonly workingDir: string;
  readonly image: ImageDefaults;
  /** Container paths where volumes or mounts are attached, and whether read-only. */
  readonly mounts?: ReadonlyArray<{ readonly path: string; readonly readOnly: boolean }>;
}

/** Redis's built-in snapshot rules when no `save` line is given (7.0 and 7.4). */
export const REDIS_DEFAULT_SAVE_RULES: ReadonlyArray<readonly [number, number]> = [[3600, 1], [300, 100], [60, 10000]];

export interface EffectiveSetting {
  /** The value as CONFIG GET shows single-valued settings (arguments joined), or the default. */
  readonly value: string | undefined;
  readonly origin?: Origin;
  /** A file unknown at preview is read after the value was set (or the setting was never set): it may set it. */
  readonly undecided?: string;
  /** The value holds a shell expansion the stack does not resolve. */
  readonly unreadable?: boolean;
}

export interface RedisUser {
  readonly acl: AclUser;
  /** Where the user was declared; undefined for Redis's own default user. */
  readonly origin?: Origin | { readonly file: string; readonly line: number; readonly via: "requirepass" };
}

export interface RedisModel {
  readonly input: RedisInput;
  /** Why redis-server would exit at start-up; nothing else is judged then. */
  readonly startupError?: string;
  readonly configFile?: string;
  setting(name: string): EffectiveSetting;
  /** RDB snapshot rules in effect ([] = none); undecided when an unknown file is read after the last `save`. */
  readonly save: { readonly rules: ReadonlyArray<readonly [number, number]>; readonly origin?: Origin; readonly undecided?: string };
  /** Every user, the default one included, with its effective ACL. */
  readonly users: readonly RedisUser[];
  /** Files unknown at preview that may declare further users (not judged until known). */
  readonly unknownUserFiles: readonly string[];
  /** The default user's state cannot change through an unknown file (it is declared in known text, or an ACL file is known). */
  readonly defaultUserDecided: boolean;
  /** Commands removed by `rename-command X ""`. */
  readonly removedCommands: ReadonlySet<string>;
  /** Commands renamed by rename-command: name -> the name clients must use ("" = removed). */
  readonly renamedCommands: ReadonlyMap<string, string>;
  /** Whether `user` may run the command (and subcommand), also counting commands removed or refused by config. */
  canRun(user: RedisUser, command: string, sub?: string, keys?: readonly string[]): boolean;
  /** The working directory after loading: where `dir` points. */
  readonly dataDir: string;
  /** The read-only mount `dataDir` lies on (the innermost mount holding it), if it is one: nothing can be written there. */
  readonly readOnlyDataMount?: string;
}


const DEBUG_LIKE: Readonly<Record<string, string>> = { debug: "enable-debug-command", module: "enable-module-command" };

function userFromRules(name: string, rules: readonly string[], base?: AclUser): { user: AclUser; error?: string } {
  const user = base ?? newAclUser(name);
  const merged = mergeSelectorWords(rules);
  if (merged === undefined) return { user, error: `Unmatched parenthesis in acl selector of user '${name}'` };
  for (const rule of merged) {
    const error = applyAclRule(user, rule);
    if (error) return { user, error: `Error in user declaration '${name}': ${error}` };
  }
  return { user };
}

/** ACLLoadFromFile: one `user` line per user, words split on single spaces, no comments. */
function aclFileUsers(text: string, path: string): { users: RedisUser[]; error?: string } {
  const users: RedisUser[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
    if (line === "") continue;
    const words = line.split(" ");
    if (words[0] !== "user" || words.length < 2) return { users, error: `${path}:${i + 1} should start with user keyword followed by the username.` };
    if (users.some((u) => u.acl.name === words[1])) return { users, error: `WARNING: Duplicate user '${words[1]}' found on line ${i + 1}.` };
    const built = userFromRules(words[1]!, words.slice(2).map((w) => w.replace(/^[\t\r\n]+|[\t\r\n]+$/g, "")));
    if (built.error) return { users, error: `${path}:${i + 1}: ${built.error}` };
    users.push({ acl: built.user, origin: { file: path, line: i + 1 } });
  }
  return { users };
}

export function buildRedisModel(input: RedisInput): RedisModel {
  const launch = input.launch;
  const args = launch.kind === "server" ? redisServerArguments(launch.args) : { configFile: undefined, options: "", fromStdin: false };
  const configFile = args.configFile === undefined ? undefined : resolvePath(input.workingDir, args.configFile);
  const loaded: LoadedConfig = loadRedisConfig({ files: input.files, workingDir: input.workingDir }, args.configFile, args.options);
  const unresolved = launch.kind === "server" ? launch.unresolved : [];
  const lastUnknown = (after: number) => loaded.unknownFiles.find((f) => f.seq > after)?.path;

  const setting = (name: string): EffectiveSetting => {
    const spec = REDIS_CONFIGS[name];
    const set = loaded.settings.get(name);
    const undecided = lastUnknown(set?.seq ?? -1);
    const value = set ? set.args.join(" ") : name === "protected-mode" ? input.image.protectedModeDefault : spec?.default;
    return {
      value,
      ...(set ? { origin: set.origin } : {}),
      ...(undecided ? { undecided } : {}),
      ...(set && set.args.some((a) => unresolved.includes(a)) ? { unreadable: true } : {}),
    };
  };

  let error = loaded.error;
  if (args.fromStdin) error ??= "redis-server reads its config from stdin, which the container does not feed";

  // Users: requirepass, then declared users, then an ACL file.
  const requirepass = setting("requirepass");
  let defaultUser = initialDefaultUser();
  applyAclRule(defaultUser, "resetpass");
  applyAclRule(defaultUser, requirepass.value ? `>${requirepass.value}` : "nopass");
  // A password from a shell expansion is set, but its text is not what the preview reads.
  if (requirepass.unreadable) defaultUser.passwords = defaultUser.passwords.map((p) => ({ hash: p.hash }));
  let users: RedisUser[] = [{ acl: defaultUser, ...(requirepass.origin && requirepass.value ? { origin: { ...requirepass.origin, via: "requirepass" as const } } : {}) }];
  for (const declared of loaded.users) {
    const isDefault = declared.name === "default";
    const base = isDefault ? cloneAclUser(defaultUser) : undefined;
    if (base) applyAclRule(base, "reset");
    const built = userFromRules(declared.name, declared.rules, base);
    if (built.error) error ??= `${built.error} (${declared.origin.file}:${declared.origin.line})`;
    if (isDefault) {
      defaultUser = built.user;
      users[0] = { acl: built.user, origin: declared.origin };
    } else users.push({ acl: built.user, origin: declared.origin });
  }
  const aclfile = setting("aclfile").value;
  let unknownUserFiles = loaded.unknownFiles.map((f) => f.path);
  let defaultUserDecided = loaded.users.some((u) => u.name === "default") || loaded.unknownFiles.length === 0;
  if (aclfile) {
    if (loaded.users.length > 0) {
      error ??= "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid";
    }
    const path = resolvePath(loaded.cwd, aclfile);
    if (!input.files.has(path)) error ??= `Error loading ACLs, opening file '${path}': No such file or directory`;
    else {
      const text = input.files.get(path);
      if (text === undefined) {
        unknownUserFiles = [...unknownUserFiles, path];
        defaultUserDecided = false;
        users = [];
      } else {
        const fromFile = aclFileUsers(text, path);
        if (fromFile.error) error ??= `Aborting Redis startup because of ACL errors: ${fromFile.error}`;
        const fileDefault = fromFile.users.find((u) => u.acl.name === "default") ?? { acl: initialDefaultUser() };
        users = [fileDefault, ...fromFile.users.filter((u) => u.acl.name !== "default")];
      }
    }
  }

  // aofOpenIfNeededOnServerStart (aof.c, 7.0 and 7.4): with appendonly yes, redis-server creates
  // <dir>/<appenddirname> at start and exits when it cannot ("Can't open or create append-only dir";
  // seen with redis-server 7.0.15 on a directory it may not write).
  const dataMount = innermostMount(input.mounts ?? [], (m) => m.path, loaded.cwd);
  const readOnlyDataMount = dataMount?.readOnly ? dataMount.path.replace(/(.)\/+$/, "$1") : undefined;
  if (readOnlyDataMount !== undefined && setting("appendonly").value === "yes") {
    error ??= `Can't open or create append-only dir ${setting("appenddirname").value ?? "appendonlydir"}: Read-only file system (${loaded.cwd} is on the read-only mount ${readOnlyDataMount})`;
  }

  const removedCommands = new Set([...loaded.renamed].filter(([, to]) => to === "").map(([from]) => from));
  const canRun = (user: RedisUser, command: string, sub?: string, keys: readonly string[] = []): boolean => {
    const name = command.toLowerCase();
    if (removedCommands.has(name)) return false;
    const guard = DEBUG_LIKE[name];
    if (guard !== undefined && setting(guard).value !== "yes") return false;
    return aclAllows(user.acl, name, sub, keys);
  };

  const save = loaded.saveRules === undefined
    ? { rules: REDIS_DEFAULT_SAVE_RULES, ...(lastUnknown(-1) ? { undecided: lastUnknown(-1) } : {}) }
    : { rules: loaded.saveRules, ...(lastUnknown(loaded.saveSeq) ? { undecided: lastUnknown(loaded.saveSeq) } : {}) };

  return {
    input,
    ...(error ? { startupError: error } : {}),
    ...(configFile ? { configFile } : {}),
    setting,
    save,
    users,
    unknownUserFiles,
    defaultUserDecided,
    removedCommands,
    renamedCommands: loaded.renamed,
    canRun,
    dataDir: loaded.cwd,
    ...(readOnlyDataMount !== undefined ? { readOnlyDataMount } : {}),
  };
}

// The Redis model (policies/lib/redis) against a real redis-server (Debian's 7.0.15; the stack runs
// 7.4.1, whose config.c, acl.c and server.c option parsing read the same for everything compared
// here): for the stack's own files and for variants, what the model computes equals what the server
// reports: CONFIG GET, ACL GETUSER (on/off, nopass, password hashes), each user's real attempt at
// dangerous and ordinary commands, an unauthenticated attempt, and refusal to start.
import { chownSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderRedisConf, renderRedisUsersFile } from "../../components/redis/redis-conf";
import { aclAllows } from "../../policies/lib/redis/acl";
import type { ImageDefaults } from "../../policies/lib/redis/command-line";
import { REDIS_COMMAND_CATEGORIES } from "../../policies/lib/redis/commands";
import { redisMemoryBytes } from "../../policies/lib/redis/load";
import { buildRedisModel, type RedisModel } from "../../policies/lib/redis/model";
import { freePort, removeDir, userIds, workDir, writeOwned, type ServerProcess } from "./fixtures";
import { RespConnection, RespError, startRedis, startRefused, type RespValue } from "./redis-server";

/** Debian's build: protected-mode on by default (the official image builds it off). */
const DEBIAN_REDIS: ImageDefaults = { entrypoint: ["redis-server"], command: [], workingDir: "/", protectedModeDefault: "yes" };
const ADMIN = { user: "test_admin", password: "admin-password-0123456789abc" };
const ADMIN_LINE = `user ${ADMIN.user} on >${ADMIN.password} ~* &* +@all`;
const APP_PASSWORD = "app-password-0123456789abcdef";
const USERS = renderRedisUsersFile({ appUser: "jewelry", appPassword: APP_PASSWORD, exporterUser: "exporter", exporterPassword: "exporter-password-0123456789" });

interface Variant {
  readonly name: string;
  /** File name (in the variant's folder) -> text; `@DIR@` and `@PORT@` are replaced. */
  readonly files: Readonly<Record<string, string>>;
  /** redis-server arguments, with the same replacements. */
  readonly args: readonly string[];
  /** Passwords the test may authenticate with, by user. */
  readonly passwords?: Readonly<Record<string, string>>;
  /** A phrase of redis-server's output when it must refuse to start. */
  readonly refusal?: RegExp;
  /** A folder (in the variant's folder) redis-server may not write, given to the model as a read-only mount. */
  readonly readOnlyDir?: string;
}

const listen = "bind 127.0.0.1\nport @PORT@\ndir @DIR@\n";
const stackConf = (users = "@DIR@/users.acl") =>
  renderRedisConf({ bind: ["127.0.0.1"], port: 1, usersFile: users, dir: "@DIR@", maxmemoryMb: 64 }).replace(/^port 1$/m, "port @PORT@");

const VARIANTS: readonly Variant[] = [
  { name: "the stack's redis.conf and users include", files: { "redis.conf": stackConf(), "users.acl": `${USERS}${ADMIN_LINE}\n` }, args: ["@DIR@/redis.conf"], passwords: { jewelry: APP_PASSWORD } },
  { name: "command-line options after the file", files: { "redis.conf": stackConf(), "users.acl": `${USERS}${ADMIN_LINE}\n` }, args: ["@DIR@/redis.conf", "--appendonly", "no", "--save", "", "--maxmemory", "2gb", "--maxmemory-policy", "allkeys-lru"] },
  { name: "save lines after an include replace each other", files: { "redis.conf": `${listen}include @DIR@/users.acl\nsave 900 1\nsave 300 10\n`, "users.acl": `${ADMIN_LINE}\n` }, args: ["@DIR@/redis.conf"] },
  { name: "save lines before any include accumulate; save \"\" resets", files: { "redis.conf": `${listen}save 900 1\nsave ""\nsave 300 10\nsave 60 100\n${ADMIN_LINE}\n` }, args: ["@DIR@/redis.conf"] },
  { name: "no save line: the defaults; --save as the last argument clears them", files: { "redis.conf": `${listen}${ADMIN_LINE}\n` }, args: ["@DIR@/redis.conf", "--appendonly", "yes", "--save"] },
  { name: "requirepass only, set twice: the last one is the default user's password", files: { "redis.conf": `${listen}requirepass first-password-0123456789\nrequirepass second-password-0123456789\n` }, args: ["@DIR@/redis.conf"], passwords: { default: "second-password-0123456789" } },
  { name: "a declared default user on nopass overrides requirepass", files: { "redis.conf": `${listen}requirepass p-0123456789abcdef\nuser default on nopass ~* +@all -flushall\n${ADMIN_LINE}\n` }, args: ["@DIR@/redis.conf"] },
  { name: "an ACL file without a default line leaves the default user open whatever requirepass says", files: { "redis.conf": `${listen}requirepass p-0123456789abcdef\naclfile @DIR@/users.acl\n`, "users.acl": `${ADMIN_LINE}\nuser app on >${APP_PASSWORD} ~* +@all -@dangerous\n` }, args: ["@DIR@/redis.conf"], passwords: { app: APP_PASSWORD } },
  { name: "an ACL file that locks the default user out", files: { "redis.conf": `${listen}aclfile @DIR@/users.acl\n`, "users.acl": `user default off resetpass -@all\n${ADMIN_LINE}\nuser ops on nopass ~* +@all -@dangerous +flushall\n` }, args: ["@DIR@/redis.conf"] },
  {
    name: "rule order, subcommands, first args and selectors",
    files: { "redis.conf": `${listen}${ADMIN_LINE}\nuser a on >${APP_PASSWORD} ~* +@all -@dangerous +flushall\nuser b on >${APP_PASSWORD} -@dangerous +@all\nuser c on >${APP_PASSWORD} -@all +config|get +debug|sleep\nuser d on >${APP_PASSWORD} +@admin -config +acl|whoami ~*\nuser e on >${APP_PASSWORD} resetkeys -@all (+flushall +get ~*)\nuser f on >${APP_PASSWORD} +@all -config|set reset on >${APP_PASSWORD} +get ~*\n` },
    args: ["@DIR@/redis.conf", "--enable-debug-command", "yes"],
    passwords: { a: APP_PASSWORD, b: APP_PASSWORD, c: APP_PASSWORD, d: APP_PASSWORD, e: APP_PASSWORD, f: APP_PASSWORD },
  },
  { name: "rename-command removes FLUSHALL and renames CONFIG", files: { "redis.conf": `${listen}rename-command FLUSHALL ""\nrename-command CONFIG cfg\n${ADMIN_LINE}\n` }, args: ["@DIR@/redis.conf"] },
  {
    name: "a glob include and a relative include after dir",
    files: { "redis.conf": `bind 127.0.0.1\nport @PORT@\ninclude @DIR@/conf.d/*.conf\ndir @DIR@/conf.d\ninclude extra.part\n`, "conf.d/10-users.conf": `${ADMIN_LINE}\n`, "conf.d/20-memory.conf": "maxmemory 10mb\nappendonly yes\n", "conf.d/extra.part": "maxmemory 20mb\nappendfsync always\n" },
    args: ["@DIR@/redis.conf"],
  },
  { name: "users and options on the command line", files: { "redis.conf": listen }, args: ["@DIR@/redis.conf", "--user", ADMIN.user, "on", `>${ADMIN.password}`, "~*", "+@all", "--user", "default", "on", "nopass", "-@all", "+ping"] },
  // Refusals: the model's start-up error where redis-server exits.
  { name: "a user declared twice", files: { "redis.conf": `${listen}user x on nopass\nuser x off\n` }, args: ["@DIR@/redis.conf"], refusal: /Duplicate user found/ },
  { name: "users next to an ACL file", files: { "redis.conf": `${listen}${ADMIN_LINE}\naclfile @DIR@/users.acl\n`, "users.acl": "user default off\n" }, args: ["@DIR@/redis.conf"], refusal: /ACL file path is invalid/ },
  { name: "an unknown directive", files: { "redis.conf": `${listen}apendonly yes\n` }, args: ["@DIR@/redis.conf"], refusal: /Bad directive or wrong number of arguments/ },
  { name: "a bool that is not yes or no", files: { "redis.conf": `${listen}appendonly true\n` }, args: ["@DIR@/redis.conf"], refusal: /argument must be 'yes' or 'no'/ },
  { name: "an unknown command in a user's rules", files: { "redis.conf": `${listen}user x on nopass +nosuchcommand\n` }, args: ["@DIR@/redis.conf"], refusal: /Unknown command or category name in ACL/ },
  { name: "an include that does not exist", files: { "redis.conf": `${listen}include @DIR@/missing.conf\n` }, args: ["@DIR@/redis.conf"], refusal: /can't open config file/ },
  { name: "a comment in the ACL file", files: { "redis.conf": `${listen}aclfile @DIR@/users.acl\n`, "users.acl": "# users\nuser default off\n" }, args: ["@DIR@/redis.conf"], refusal: /should start with user keyword/ },
  { name: "unbalanced quotes", files: { "redis.conf": `${listen}requirepass "abc\n` }, args: ["@DIR@/redis.conf"], refusal: /Unbalanced quotes/ },
  // The container mounts its volume read-only; here a root-owned 0555 folder: mkdir fails all the same.
  { name: "appendonly yes with dir on a read-only mount", files: { "redis.conf": `bind 127.0.0.1\nport @PORT@\ndir @DIR@/data\nappendonly yes\n` }, args: ["@DIR@/redis.conf"], readOnlyDir: "data", refusal: /Can't open or create append-only dir appendonlydir/ },
];

/** [command, subcommand or first argument, the call a client makes, its keys]. */
const PROBES: ReadonlyArray<readonly [string, string | undefined, readonly string[], (readonly string[])?]> = [
  ["ping", undefined, ["PING"]],
  ["get", undefined, ["GET", "k"], ["k"]],
  ["set", undefined, ["SET", "k", "v"], ["k"]],
  ["flushall", undefined, ["FLUSHALL"]],
  ["keys", undefined, ["KEYS", "*"]],
  ["config", "get", ["CONFIG", "GET", "maxmemory"]],
  ["config", "set", ["CONFIG", "SET", "loglevel", "notice"]],
  ["debug", "sleep", ["DEBUG", "SLEEP", "0"]],
  ["acl", "whoami", ["ACL", "WHOAMI"]],
];
/** Checked with ACL DRYRUN only: running them would stop or change the server. */
const DRY_RUN_ONLY: ReadonlyArray<readonly [string, string | undefined, readonly string[]]> = [
  ["shutdown", undefined, ["SHUTDOWN"]],
  ["acl", "setuser", ["ACL", "SETUSER", "intruder", "on"]],
  ["replicaof", undefined, ["REPLICAOF", "127.0.0.1", "1"]],
  ["flushdb", undefined, ["FLUSHDB"]],
];

const CONFIG_KEYS = ["appendonly", "appendfsync", "save", "maxmemory", "maxmemory-policy", "protected-mode", "dir", "aclfile", "enable-debug-command", "requirepass"];

/** Whether a reply means the command ran (not refused by ACL, auth, rename or a config guard). */
const ran = (reply: RespValue) => !(reply instanceof RespError && /^(NOPERM|NOAUTH|ERR unknown command|ERR DEBUG command not allowed)/.test(reply.message));

function expectedConfig(model: RedisModel, key: string): string {
  if (key === "save") return model.save.rules.map(([s, c]) => `${s} ${c}`).join(" ");
  if (key === "dir") return model.dataDir;
  const value = model.setting(key).value ?? "";
  if (key === "maxmemory") return String(redisMemoryBytes(value) ?? value);
  return key === "appendonly" || key === "protected-mode" || key.endsWith("-policy") || key === "appendfsync" ? value.toLowerCase() : value;
}

const roots: string[] = [];
const servers: ServerProcess[] = [];
const connections: RespConnection[] = [];

afterAll(async () => {
  for (const c of connections) c.close();
  await Promise.all(servers.map((s) => s.stop()));
  for (const dir of roots) removeDir(dir);
});

async function open(port: number, auth?: { user: string; password: string }): Promise<RespConnection> {
  const conn = await RespConnection.open(port);
  connections.push(conn);
  if (auth) expect(await conn.call("AUTH", auth.user, auth.password), `AUTH ${auth.user}`).toBe("OK");
  return conn;
}

interface Prepared {
  readonly variant: Variant;
  readonly dir: string;
  readonly port: number;
  readonly args: string[];
  readonly model: RedisModel;
}

async function prepare(variant: Variant): Promise<Prepared> {
  const dir = workDir("redis-model", "redis");
  roots.push(dir);
  const port = await freePort();
  const fill = (text: string) => text.replaceAll("@DIR@", dir).replaceAll("@PORT@", String(port));
  const files = new Map(Object.entries(variant.files).map(([name, text]) => [join(dir, name), fill(text)] as const));
  const owner = userIds("redis");
  for (const folder of new Set([...files.keys()].map((p) => p.slice(0, p.lastIndexOf("/"))).filter((p) => p !== dir))) {
    mkdirSync(folder, { recursive: true });
    chownSync(folder, owner.uid, owner.gid);
  }
  for (const [path, text] of files) writeOwned(path, text, "redis", 0o600);
  const args = variant.args.map(fill);
  const mounts = variant.readOnlyDir === undefined ? [] : [{ path: join(dir, variant.readOnlyDir), readOnly: true }];
  for (const { path } of mounts) mkdirSync(path, { recursive: true, mode: 0o555 });
  const model = buildRedisModel({ launch: { kind: "server", args, unresolved: [] }, files, workingDir: dir, image: DEBIAN_REDIS, mounts });
  return { variant, dir, port, args, model };
}

describe.each(VARIANTS.map((v) => [v.name, v] as const))("Redis model against redis-server 7.0: %s", (_name, variant) => {
  let prepared: Prepared;
  let admin: RespConnection | undefined;

  beforeAll(async () => {
    prepared = await prepare(variant);
    if (variant.refusal || prepared.model.startupError) return;
    servers.push(await startRedis(prepared.args, prepared.port, prepared.dir));
    const adminUser = prepared.model.users.find((u) => u.acl.name === ADMIN.user);
    if (adminUser) admin = await open(prepared.port, ADMIN);
  });

  if (variant.refusal) {
    it("the model reports the start-up error redis-server exits with", () => {
      expect(prepared.model.startupError).toMatch(variant.refusal!);
      const run = startRefused(prepared.args, prepared.dir);
      expect(run.status, run.output).toBe(1);
      expect(run.output).toMatch(variant.refusal!);
    });
    return;
  }

  it("starts, as the model says", () => {
    expect(prepared.model.startupError).toBeUndefined();
  });

  it("CONFIG GET equals the model's effective settings", async () => {
    const conn = admin ?? (await open(prepared.port, variant.passwords?.default ? { user: "default", password: variant.passwords.default } : undefined));
    const config = prepared.model.renamedCommands.get("config") || "config";
    for (const key of CONFIG_KEYS) {
      const reply = (await conn.call(config, "GET", key)) as string[];
      expect(reply[1], key).toBe(expectedConfig(prepared.model, key));
    }
  });

  it("ACL GETUSER equals each user's on/off, nopass and password hashes", async () => {
    if (!admin) return;
    const names = ((await admin.call("ACL", "USERS")) as string[]).sort();
    expect(names).toEqual(prepared.model.users.map((u) => u.acl.name).sort());
    for (const user of prepared.model.users) {
      const info = (await admin.call("ACL", "GETUSER", user.acl.name)) as RespValue[];
      const flags = info[info.indexOf("flags") + 1] as string[];
      expect(flags.includes("on"), `${user.acl.name} on`).toBe(user.acl.enabled);
      expect(flags.includes("nopass"), `${user.acl.name} nopass`).toBe(user.acl.nopass);
      expect((info[info.indexOf("passwords") + 1] as string[]).sort(), `${user.acl.name} passwords`).toEqual(user.acl.passwords.map((p) => p.hash).sort());
    }
  });

  it("each user's real attempts equal the model's answer", async () => {
    for (const user of prepared.model.users) {
      const password = user.acl.nopass ? "any-password" : variant.passwords?.[user.acl.name] ?? (user.acl.name === ADMIN.user ? ADMIN.password : undefined);
      if (!user.acl.enabled || password === undefined) continue;
      const conn = await open(prepared.port, { user: user.acl.name, password });
      for (const [command, sub, call, keys] of PROBES) {
        const renamed = prepared.model.renamedCommands.get(command);
        const reply = await conn.call(...(renamed ? [renamed, ...call.slice(1)] : call));
        expect(ran(reply), `${user.acl.name}: ${call.join(" ")} -> ${JSON.stringify(reply)}`).toBe(prepared.model.canRun(user, command, sub, keys));
      }
    }
  });

  it("ACL DRYRUN equals the model's ACL answer for commands the test must not run", async () => {
    if (!admin || prepared.model.renamedCommands.size > 0) return;
    for (const user of prepared.model.users) {
      for (const [command, sub, call] of DRY_RUN_ONLY) {
        const reply = await admin.call("ACL", "DRYRUN", user.acl.name, ...call);
        expect(reply === "OK", `${user.acl.name}: ${call.join(" ")} -> ${JSON.stringify(reply)}`).toBe(aclAllows(user.acl, command, sub));
      }
    }
  });

  it("an unauthenticated client runs commands exactly when the model says the default user lets it", async () => {
    const conn = await open(prepared.port);
    const defaultUser = prepared.model.users.find((u) => u.acl.name === "default")!;
    const open_ = defaultUser.acl.enabled && defaultUser.acl.nopass && prepared.model.canRun(defaultUser, "ping");
    expect(ran(await conn.call("PING"))).toBe(open_);
  });
});

describe("Redis 7.4.1's command table (the model's) against COMMAND INFO of redis-server 7.0", () => {
  let port: number;
  let conn: RespConnection;
  beforeAll(async () => {
    const dir = workDir("redis-commands", "redis");
    roots.push(dir);
    port = await freePort();
    writeOwned(join(dir, "redis.conf"), `bind 127.0.0.1\nport ${port}\ndir ${dir}\nsave ""\n`, "redis");
    servers.push(await startRedis([join(dir, "redis.conf")], port, dir));
    conn = await open(port);
  });

  it("gives every command and subcommand both versions know the same ACL categories", async () => {
    const differences: string[] = [];
    let compared = 0;
    const topLevel = Object.keys(REDIS_COMMAND_CATEGORIES).filter((k) => !k.includes("|"));
    const infos = (await conn.call("COMMAND", "INFO", ...topLevel)) as RespValue[];
    const check = (info: RespValue[]) => {
      const name = String(info[0]).toLowerCase();
      const real = (info[6] as string[]).map((c) => c.replace(/^@/, "")).sort().join(" ");
      const model = REDIS_COMMAND_CATEGORIES[name];
      if (model === undefined) return;
      compared++;
      if (model !== real) differences.push(`${name}: 7.4 ${model} / 7.0 ${real}`);
    };
    for (const info of infos) {
      if (!Array.isArray(info)) continue;
      check(info);
      for (const sub of (info[9] as RespValue[] | undefined) ?? []) check(sub as RespValue[]);
    }
    expect(compared).toBeGreaterThan(300);
    // The one command whose categories changed between 7.0 and 7.4 (WAIT became @blocking in 7.2); it decides no rule.
    expect(differences).toEqual(["wait: 7.4 blocking connection slow / 7.0 connection slow"]);
  });
});

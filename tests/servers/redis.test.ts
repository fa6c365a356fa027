// The generated redis.conf and users include in a real redis-server 7 (Debian package), run as the
// redis user on 127.0.0.1 and a random port. Talks RESP over node:net so every reply's text,
// including error replies, is checked exactly.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderRedisConf, renderRedisUsersFile } from "../../components/redis/redis-conf";
import { freePort, portAccepts, removeDir, startServer, waitFor, workDir, writeOwned, type ServerProcess } from "./fixtures";
import { errorText, RespConnection, startRefused as refusedWith, type RespValue } from "./redis-server";

const APP = { user: "jewelry_app", password: "app-password-0123456789abcdef" };
const EXPORTER = { user: "redis_exporter", password: "exporter-password-0123456789" };
// Only the test has an admin: production has none (ops use the container's shell).
const TEST_ADMIN = { user: "test_admin", password: "admin-password-0123456789abc" };
const MAXMEMORY_MB = 64;

let dir: string;
let port: number;
const generatedConf = (usersFile: string) => renderRedisConf({ bind: ["127.0.0.1"], port, usersFile, dir, maxmemoryMb: MAXMEMORY_MB });
const generatedUsers =
  renderRedisUsersFile({ appUser: APP.user, appPassword: APP.password, exporterUser: EXPORTER.user, exporterPassword: EXPORTER.password }) +
  `user ${TEST_ADMIN.user} on >${TEST_ADMIN.password} ~* &* +@all\n`;
let server: ServerProcess;
const connections: RespConnection[] = [];

async function startRedis(): Promise<ServerProcess> {
  return startServer({
    name: "redis-server",
    user: "redis",
    argv: ["redis-server", join(dir, "redis.conf")],
    ready: async () => (await portAccepts(port)) && (await answersPing()),
  });
}

/** Ready means the dataset is loaded: until then an authenticated PING gets LOADING, not PONG. */
async function answersPing(): Promise<boolean> {
  const conn = await RespConnection.open(port);
  try {
    return (await conn.call("AUTH", APP.user, APP.password)) === "OK" && (await conn.call("PING")) === "PONG";
  } finally {
    conn.close();
  }
}

async function session(user?: { user: string; password: string }): Promise<RespConnection> {
  const conn = await RespConnection.open(port);
  connections.push(conn);
  if (user) expect(await conn.call("AUTH", user.user, user.password)).toBe("OK");
  return conn;
}

beforeAll(async () => {
  dir = workDir("redis", "redis");
  port = await freePort();
  writeOwned(join(dir, "redis.conf"), generatedConf(join(dir, "users.acl")), "redis", 0o644);
  writeOwned(join(dir, "users.acl"), generatedUsers, "redis", 0o600);
  server = await startRedis();
});

afterAll(async () => {
  for (const conn of connections) conn.close();
  await server?.stop();
  if (dir) removeDir(dir);
});

describe("redis-server with the generated redis.conf and users include", () => {
  it("refuses every command from a connection that has not authenticated", async () => {
    const anonymous = await session();
    expect(errorText(await anonymous.call("PING"))).toMatch(/^NOAUTH/);
    expect(errorText(await anonymous.call("GET", "any"))).toMatch(/^NOAUTH/);
  });

  it("keeps the default user off, so no password opens it", async () => {
    const anonymous = await session();
    expect(errorText(await anonymous.call("AUTH", "default", "anything"))).toMatch(/^WRONGPASS/);
    const admin = await session(TEST_ADMIN);
    const flags = (await admin.call("ACL", "GETUSER", "default")) as RespValue[];
    expect(flags[flags.indexOf("flags") + 1]).toContain("off");
  });

  it("loads exactly the users of the two files: default off from redis.conf, the rest from the include", async () => {
    const admin = await session(TEST_ADMIN);
    const users = ((await admin.call("ACL", "LIST")) as string[]).map((line) => line.split(" ").slice(0, 3).join(" "));
    expect(users.sort()).toEqual([
      "user default off", `user ${EXPORTER.user} on`, `user ${APP.user} on`, `user ${TEST_ADMIN.user} on`,
    ].sort());
    expect((await admin.call("ACL", "LIST")) as string[]).toContainEqual(expect.stringMatching(/^user default off (sanitize-payload )?resetchannels -@all$/));
  });

  it("needs no ACL LOAD or ACL SAVE: there is no ACL file, the config files are the only source of users", async () => {
    const admin = await session(TEST_ADMIN);
    expect(errorText(await admin.call("ACL", "LOAD"))).toMatch(/not configured to use an ACL file/);
    expect(errorText(await admin.call("ACL", "SAVE"))).toMatch(/not configured to use an ACL file/);
  });

  it("runs with AOF everysec, the configured maxmemory and an eviction policy that spares broker keys", async () => {
    const admin = await session(TEST_ADMIN);
    const config = async (name: string) => ((await admin.call("CONFIG", "GET", name)) as string[])[1];
    expect(await config("appendonly")).toBe("yes");
    expect(await config("appendfsync")).toBe("everysec");
    expect(await config("maxmemory")).toBe(String(MAXMEMORY_MB * 1024 * 1024));
    expect(await config("maxmemory-policy")).toBe("volatile-lru");
    expect(await config("save")).toBe("900 1 300 10 60 10000");
    expect(await config("protected-mode")).toBe("yes");
  });

  it("lets the app user do what Celery and django-redis do", async () => {
    const app = await session(APP);
    expect(await app.call("SETEX", "cache:price:gold", "300", "61.5")).toBe("OK");
    expect(await app.call("GET", "cache:price:gold")).toBe("61.5");
    expect(await app.call("LPUSH", "celery", "task-1")).toBe(1);
    expect(await app.call("BRPOP", "celery", "1")).toEqual(["celery", "task-1"]);
    expect(await app.call("PUBLISH", "celeryev", "hello")).toBe(0);
    expect(await app.call("EVAL", "return redis.call('INCR', KEYS[1])", "1", "lock:counter")).toBe(1);
    expect(Array.isArray(await app.call("SCAN", "0", "MATCH", "cache:*"))).toBe(true);
  });

  it("refuses the app user every dangerous command: FLUSHALL, FLUSHDB, CONFIG, DEBUG, KEYS, SHUTDOWN, ACL", async () => {
    const app = await session(APP);
    for (const command of [["FLUSHALL"], ["FLUSHDB"], ["CONFIG", "GET", "maxmemory"], ["CONFIG", "SET", "maxmemory", "0"],
      ["KEYS", "*"], ["SHUTDOWN"], ["ACL", "LIST"], ["MONITOR"], ["CLIENT", "KILL", "ID", "1"]]) {
      expect(errorText(await app.call(...command)), command.join(" ")).toMatch(/^NOPERM/);
    }
    expect(errorText(await app.call("DEBUG", "SLEEP", "0"))).toMatch(/^(NOPERM|ERR DEBUG command not allowed)/);
    // Lua runs with the caller's permissions: no way around the ACL through EVAL.
    expect(errorText(await app.call("EVAL", "return redis.call('FLUSHALL')", "0"))).toMatch(/can't run this command/);
  });

  it("gives the exporter server metrics and nothing else", async () => {
    const exporter = await session(EXPORTER);
    expect(await exporter.call("CLIENT", "SETNAME", "redis_exporter")).toBe("OK");
    expect(String(await exporter.call("INFO", "memory"))).toContain("maxmemory_policy:volatile-lru");
    expect(await exporter.call("CONFIG", "GET", "maxmemory")).toEqual(["maxmemory", String(MAXMEMORY_MB * 1024 * 1024)]);
    expect(Array.isArray(await exporter.call("SLOWLOG", "GET", "10"))).toBe(true);
    expect(Array.isArray(await exporter.call("LATENCY", "LATEST"))).toBe(true);
    expect(String(await exporter.call("CLIENT", "LIST"))).toContain("name=redis_exporter");
    for (const command of [["GET", "cache:price:gold"], ["SET", "x", "1"], ["CONFIG", "SET", "maxmemory", "0"],
      ["FLUSHALL"], ["CLIENT", "KILL", "ID", "1"], ["CLIENT", "PAUSE", "10"], ["SCAN", "0"]]) {
      expect(errorText(await exporter.call(...command)), command.join(" ")).toMatch(/^NOPERM/);
    }
  });

  it("keeps writes acknowledged a moment before a crash: the AOF replays them on restart", async () => {
    const app = await session(APP);
    const marker = `order-${Date.now()}`;
    expect(await app.call("SET", "durability:check", marker)).toBe("OK");
    const aofDir = join(dir, "appendonlydir");
    const incrementalAof = () => readdirSync(aofDir).filter((f) => f.endsWith(".incr.aof")).map((f) => join(aofDir, f));
    await waitFor("the write to reach the AOF", () => incrementalAof().some((f) => readFileSync(f, "utf8").includes(marker)), 5_000);

    // SIGKILL: no shutdown save, so only the AOF can bring the key back.
    await server.stop("SIGKILL");
    server = await startRedis();
    const after = await session(APP);
    expect(await after.call("GET", "durability:check")).toBe(marker);
    expect(existsSync(join(aofDir, "appendonly.aof.manifest"))).toBe(true);
    // The users come back from the files too: still no anonymous access after the restart.
    expect(errorText(await (await session()).call("GET", "durability:check"))).toMatch(/^NOAUTH/);
  });
});

// What the policy redis-auth-required relies on: the known redis.conf's `user default` is final,
// because Redis 7 will not start when the (secret, unknown at preview) include declares it again.
describe("redis-server with a users include that declares the default user again", () => {
  /** Starts redis-server on `conf` and returns its exit status and output; a server that starts is killed at the timeout. */
  function startRefused(name: string, conf: string): { status: number | null; output: string } {
    writeOwned(join(dir, `${name}.conf`), conf, "redis", 0o644);
    return refusedWith([join(dir, `${name}.conf`)], dir, 5_000);
  }

  beforeAll(() => {
    writeOwned(join(dir, "reopening-users.acl"), `user default on nopass ~* &* +@all\n${generatedUsers}`, "redis", 0o600);
  });

  it("refuses to start when the include comes after the default user's declaration", () => {
    const conf = generatedConf(join(dir, "reopening-users.acl")).split("\n");
    const include = conf.find((l) => l.startsWith("include "))!;
    const refused = startRefused("include-after", [...conf.filter((l) => l !== include), include].join("\n"));
    expect(refused.status).toBe(1);
    expect(refused.output).toMatch(/Error in user declaration 'default': Duplicate user found/);
  });

  it("refuses to start when the include comes before it, as generated", () => {
    const refused = startRefused("include-before", generatedConf(join(dir, "reopening-users.acl")));
    expect(refused.status).toBe(1);
    expect(refused.output).toMatch(/Error in user declaration 'default': Duplicate user found/);
  });

});

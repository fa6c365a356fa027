import { describe, expect, it } from "vitest";
import { renderRedisConf, renderRedisUsersFile, type RedisConfArgs, type RedisUsersArgs } from "../../components/redis/redis-conf";

const CONF: RedisConfArgs = { bind: ["0.0.0.0"], port: 6379, usersFile: "/etc/redis/users.acl", dir: "/data", maxmemoryMb: 768 };
const ACL: RedisUsersArgs = {
  appUser: "jewelry_app", appPassword: "app-password-0123456789",
  exporterUser: "redis_exporter", exporterPassword: "exporter-password-0123",
};
const directives = (text: string) => text.split("\n").filter((l) => l && !l.startsWith("#"));

describe("renderRedisConf", () => {
  it("turns on AOF everysec plus RDB snapshots, and includes the users file", () => {
    const lines = directives(renderRedisConf(CONF));
    expect(lines).toEqual(expect.arrayContaining([
      "appendonly yes", "appendfsync everysec", "save 900 1 300 10 60 10000",
      "include /etc/redis/users.acl", "dir /data", "protected-mode yes", "bind 0.0.0.0", "port 6379",
    ]));
  });

  it("includes the users file before every setting, and states the snapshot rules on one line", () => {
    // Every later line has the last word over the include; after an include each `save` line replaces the rules.
    const lines = directives(renderRedisConf(CONF));
    expect(lines[0]).toBe("include /etc/redis/users.acl");
    expect(lines.filter((l) => l.startsWith("save "))).toHaveLength(1);
  });

  it("declares the default user off and password-less itself, and uses no aclfile (Redis refuses both)", () => {
    const lines = directives(renderRedisConf(CONF));
    expect(lines.filter((l) => l.startsWith("user "))).toEqual(["user default off resetpass resetkeys resetchannels -@all"]);
    expect(lines.some((l) => l.startsWith("aclfile"))).toBe(false);
  });

  it("sets maxmemory in MiB and defaults to volatile-lru so broker keys without TTL are never evicted", () => {
    const lines = directives(renderRedisConf(CONF));
    expect(lines).toContain("maxmemory 768mb");
    expect(lines).toContain("maxmemory-policy volatile-lru");
    expect(directives(renderRedisConf({ ...CONF, maxmemoryPolicy: "noeviction" }))).toContain("maxmemory-policy noeviction");
  });

  it("carries no credentials and no rename-command: ACLs do the job", () => {
    const text = renderRedisConf(CONF);
    expect(text).not.toMatch(/^\s*(requirepass|masterauth|rename-command)\b/m);
    expect(text).not.toContain(ACL.appPassword);
  });

  it("refuses an empty bind list and a non-positive maxmemory", () => {
    expect(() => renderRedisConf({ ...CONF, bind: [] })).toThrow(/bind/);
    expect(() => renderRedisConf({ ...CONF, maxmemoryMb: 0 })).toThrow(/maxmemoryMb/);
  });
});

describe("renderRedisUsersFile", () => {
  it("never declares the default user (a second declaration stops Redis) and gives the app everything but @dangerous", () => {
    const lines = renderRedisUsersFile(ACL).trim().split("\n");
    expect(lines.filter((l) => /^user default\b/.test(l))).toEqual([]);
    expect(lines[0]).toBe(`user jewelry_app reset on >${ACL.appPassword} ~* &* +@all -@dangerous`);
  });

  it("gives the exporter no key or channel access and no way to kill or pause clients", () => {
    const exporter = renderRedisUsersFile(ACL).split("\n").find((l) => l.startsWith("user redis_exporter"))!;
    expect(exporter).toMatch(/ -@all /);
    expect(exporter).not.toMatch(/ ~| &|\+@connection|\+client(?!\|(setname|list|info))/);
    expect(exporter).toContain("+info");
    expect(exporter).toContain("+config|get");
  });

  it("adds Sentinel and replication users only when asked", () => {
    expect(renderRedisUsersFile(ACL)).not.toContain("sentinel");
    const text = renderRedisUsersFile({
      ...ACL,
      sentinel: { user: "sentinel", password: "sentinel-password-012" },
      replication: { user: "replica", password: "replica-password-0123" },
    });
    expect(text).toMatch(/^user sentinel reset on >\S+ .*\+slaveof .*&__sentinel__:hello$/m);
    expect(text).toMatch(/^user replica reset on >\S+ resetkeys resetchannels -@all \+psync \+replconf \+ping$/m);
  });

  it("refuses weak passwords, passwords redis.conf syntax would mangle, reserved and duplicate user names", () => {
    expect(() => renderRedisUsersFile({ ...ACL, appPassword: "short" })).toThrow(/at least 16/);
    expect(() => renderRedisUsersFile({ ...ACL, appPassword: "has a space in it 0123" })).toThrow(/whitespace/);
    for (const quoted of ['pass"word-0123456789', "pass'word-0123456789", "pass\\word-0123456789"]) {
      expect(() => renderRedisUsersFile({ ...ACL, appPassword: quoted }), quoted).toThrow(/quotes or backslashes/);
    }
    expect(() => renderRedisUsersFile({ ...ACL, appUser: "default" })).toThrow(/invalid user name/);
    expect(() => renderRedisUsersFile({ ...ACL, exporterUser: ACL.appUser })).toThrow(/distinct/);
  });
});

import { describe, expect, it } from "vitest";
import { renderRedisAclFile, renderRedisConf, type RedisAclArgs, type RedisConfArgs } from "../../components/redis/redis-conf";

const CONF: RedisConfArgs = { bind: ["0.0.0.0"], port: 6379, aclFile: "/etc/redis/users.acl", dir: "/data", maxmemoryMb: 768 };
const ACL: RedisAclArgs = {
  appUser: "jewelry_app", appPassword: "app-password-0123456789",
  exporterUser: "redis_exporter", exporterPassword: "exporter-password-0123",
};
const directives = (text: string) => text.split("\n").filter((l) => l && !l.startsWith("#"));

describe("renderRedisConf", () => {
  it("turns on AOF everysec plus RDB snapshots, and points at the ACL file", () => {
    const lines = directives(renderRedisConf(CONF));
    expect(lines).toEqual(expect.arrayContaining([
      "appendonly yes", "appendfsync everysec", "save 900 1", "save 300 10", "save 60 10000",
      "aclfile /etc/redis/users.acl", "dir /data", "protected-mode yes", "bind 0.0.0.0", "port 6379",
    ]));
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

describe("renderRedisAclFile", () => {
  it("switches the default user off and gives the app everything but @dangerous", () => {
    const lines = renderRedisAclFile(ACL).trim().split("\n");
    expect(lines[0]).toMatch(/^user default off\b/);
    expect(lines[0]).not.toContain(">");
    expect(lines[1]).toBe(`user jewelry_app reset on >${ACL.appPassword} ~* &* +@all -@dangerous`);
  });

  it("gives the exporter no key or channel access and no way to kill or pause clients", () => {
    const exporter = renderRedisAclFile(ACL).split("\n").find((l) => l.startsWith("user redis_exporter"))!;
    expect(exporter).toMatch(/ -@all /);
    expect(exporter).not.toMatch(/ ~| &|\+@connection|\+client(?!\|(setname|list|info))/);
    expect(exporter).toContain("+info");
    expect(exporter).toContain("+config|get");
  });

  it("adds Sentinel and replication users only when asked", () => {
    expect(renderRedisAclFile(ACL)).not.toContain("sentinel");
    const text = renderRedisAclFile({
      ...ACL,
      sentinel: { user: "sentinel", password: "sentinel-password-012" },
      replication: { user: "replica", password: "replica-password-0123" },
    });
    expect(text).toMatch(/^user sentinel reset on >\S+ .*\+slaveof .*&__sentinel__:hello$/m);
    expect(text).toMatch(/^user replica reset on >\S+ resetkeys resetchannels -@all \+psync \+replconf \+ping$/m);
  });

  it("refuses weak or whitespace passwords, reserved and duplicate user names", () => {
    expect(() => renderRedisAclFile({ ...ACL, appPassword: "short" })).toThrow(/at least 16/);
    expect(() => renderRedisAclFile({ ...ACL, appPassword: "has a space in it 0123" })).toThrow(/whitespace/);
    expect(() => renderRedisAclFile({ ...ACL, appUser: "default" })).toThrow(/invalid user name/);
    expect(() => renderRedisAclFile({ ...ACL, exporterUser: ACL.appUser })).toThrow(/distinct/);
  });
});

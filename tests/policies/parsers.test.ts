import { unknownCheckingProxy } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { containerEnv, envValue, longOptions, parseImageRef } from "../../policies/lib/containers";
import { expandRedisIncludes, parseRedisConf, redisCommandLineDirectives, redisSettings, redisUserAdmitsWithoutAuth } from "../../policies/lib/redis-conf";
import { knownElements } from "../../policies/lib/unknowns";
import { UNKNOWN } from "./harness";

describe("parseImageRef", () => {
  it.each([
    ["postgres:16.6-bookworm", { registry: undefined, repository: "postgres", name: "postgres", tag: "16.6-bookworm", digest: undefined }],
    ["registry.example.org:5000/shop/web:v1@sha256:abc", { registry: "registry.example.org:5000", repository: "shop/web", name: "web", tag: "v1", digest: "sha256:abc" }],
    ["edoburu/pgbouncer", { registry: undefined, repository: "edoburu/pgbouncer", name: "pgbouncer", tag: undefined, digest: undefined }],
  ])("parses %s", (reference, expected) => {
    expect(parseImageRef(reference)).toEqual(expected);
  });
});

describe("container env", () => {
  it("skips unknown entries but refuses to call a name absent while one could hide it", () => {
    const env = containerEnv(unknownCheckingProxy({ envs: ["DEBUG=False", UNKNOWN, "A=b=c"] }));
    expect(env.values.get("A")).toBe("b=c");
    expect(env.unknown).toHaveLength(1);
    expect(envValue(env, "DEBUG")).toBe("False");
    expect(() => envValue(env, "SITE_URL")).toThrow(/can't be known during preview/);
  });
  it("knownElements splits a proxied array", () => {
    const { known, unknown } = knownElements(unknownCheckingProxy({ a: ["x", UNKNOWN, "y"] }).a as string[]);
    expect([known, unknown.length]).toEqual([["x", "y"], 1]);
  });
});

describe("redis.conf", () => {
  const settings = (conf: string, argv: string[] = []) => redisSettings([...parseRedisConf(conf), ...redisCommandLineDirectives(longOptions(argv))]);
  it("lets the last occurrence win and the command line override the file", () => {
    const s = settings("appendonly yes\nappendonly no\nappendonly yes\n", ["--appendonly", "no"]);
    expect(s.get("appendonly")).toBe("no");
  });
  it("replaces the default save rules with the first save line and clears them with save \"\"", () => {
    expect(settings("").saveRules).toHaveLength(3);
    expect(settings("save 900 1\nsave 60 1000\n").saveRules).toEqual([[900, 1], [60, 1000]]);
    expect(settings("save 900 1\n", ["--save", ""]).saveRules).toEqual([]);
  });
  it("reads quoted arguments", () => {
    expect(settings('logfile "/var/log/redis 1.log"').get("logfile")).toBe("/var/log/redis 1.log");
  });
  it("keeps every user declaration in order, the command line's last", () => {
    const s = settings("user default off -@all\nuser app on >pw ~* +@all\n", ["--user", "default", "on", "nopass"]);
    expect(s.users).toEqual([
      { name: "default", rules: ["off", "-@all"] }, { name: "app", rules: ["on", ">pw", "~*", "+@all"] }, { name: "default", rules: ["on", "nopass"] },
    ]);
  });
  it("expands includes where they stand, so a later line still overrides", () => {
    const files: Record<string, string> = { "/a.conf": "appendonly no\ninclude /b.conf\n", "/b.conf": "requirepass x\n" };
    const expanded = expandRedisIncludes(parseRedisConf("appendonly yes\ninclude /a.conf\nmaxmemory 1mb\n"), (path) => files[path]);
    expect(expanded.map((d) => d.name)).toEqual(["appendonly", "appendonly", "requirepass", "maxmemory"]);
    expect(() => expandRedisIncludes(parseRedisConf("include /self.conf"), () => "include /self.conf")).toThrow(/deeper than 8/);
  });
  it("admits a client without AUTH only as a declared user on with nopass", () => {
    expect(redisUserAdmitsWithoutAuth(["on", "nopass", "~*", "+@all"])).toBe(true);
    expect(redisUserAdmitsWithoutAuth(["nopass", "+@all"])).toBe(false); // a declared user starts off
    expect(redisUserAdmitsWithoutAuth(["on", "nopass", ">secret"])).toBe(false); // a password clears nopass
    expect(redisUserAdmitsWithoutAuth(["on", ">secret", "nopass"])).toBe(true);
    expect(redisUserAdmitsWithoutAuth(["on", "nopass", "reset"])).toBe(false);
    expect(redisUserAdmitsWithoutAuth(["off", "resetpass", "resetkeys", "resetchannels", "-@all"])).toBe(false);
  });
});

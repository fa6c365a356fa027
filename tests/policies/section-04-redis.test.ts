import { describe, expect, it } from "vitest";
import { baseline, mutate, stackContext } from "./baseline";
import { findingsOf, messagesOf } from "./harness";

const ctx = stackContext();
const compliant = baseline();
type RedisProps = { image: string; command: string[]; uploads: { file: string; content: string }[] };
const onRedis = (change: (p: RedisProps) => void) => mutate(compliant, "redis-container", (p) => change(p as RedisProps));
const withArgs = (...args: string[]) => onRedis((p) => { p.command = [...p.command, ...args]; });
const editConf = (edit: (conf: string) => string) => onRedis((p) => { p.uploads[0].content = edit(p.uploads[0].content); });

describe("redis-version-7-plus", () => {
  it("passes with redis:7.4.1-bookworm", async () => {
    expect(await findingsOf("redis-version-7-plus", compliant, ctx)).toEqual([]);
  });
  it("fails with Redis 6", async () => {
    expect(await messagesOf("redis-version-7-plus", onRedis((p) => { p.image = "redis:6.2.14"; }), ctx)).toEqual(["Redis 6 is older than 7."]);
  });
});

describe("redis-auth-required", () => {
  const preview = baseline({ secretsKnown: false });
  const onPreview = (change: (p: RedisProps) => void) => mutate(preview, "redis-container", (p) => change(p as RedisProps));
  const withoutDefaultLine = (c: string) => c.replace(/^user default .*$/m, "");

  it("passes on an update's preview: redis.conf declares the default user off", async () => {
    expect(await findingsOf("redis-auth-required", compliant, ctx)).toEqual([]);
  });
  it("decides at a first preview, when the users include is unknown: nothing is downgraded", async () => {
    expect(await findingsOf("redis-auth-required", preview, ctx)).toEqual([]);
  });
  it("passes whatever order the include and the default user's declaration come in", async () => {
    const includeFirst = editConf((c) => `include /usr/local/etc/redis/users.acl\n${c.replace(/^include .*$/m, "")}`);
    expect(await findingsOf("redis-auth-required", includeFirst, ctx)).toEqual([]);
  });
  it("fails when redis.conf declares the default user on with nopass, even at a first preview", async () => {
    const open = onPreview((p) => { p.uploads[0].content = p.uploads[0].content.replace(/^user default .*$/m, "user default on nopass ~* +@all"); });
    expect(await messagesOf("redis-auth-required", open, ctx)).toEqual([expect.stringMatching(/lets every client in without a password/)]);
  });
  it("fails when nopass comes after the password: it clears it", async () => {
    const open = editConf((c) => c.replace(/^user default .*$/m, "user default on >Secret0123456789xyz nopass"));
    expect(await messagesOf("redis-auth-required", open, ctx)).toEqual([expect.stringMatching(/lets every client in/)]);
  });
  it("fails when the command line declares the default user a second time (Redis 7 refuses to start)", async () => {
    expect(await messagesOf("redis-auth-required", withArgs("--user", "default", "on", "nopass"), ctx)).toEqual([expect.stringMatching(/declared 2 times/)]);
  });
  it("fails when aclfile is set next to user declarations (Redis refuses to start)", async () => {
    expect(await messagesOf("redis-auth-required", withArgs("--aclfile", "/usr/local/etc/redis/users.acl"), ctx)).toEqual([expect.stringMatching(/^aclfile is set next to/)]);
  });
  it("fails when an include could redeclare the default user on an image that states no Redis 7", async () => {
    expect(await messagesOf("redis-auth-required", onRedis((p) => { p.image = "redis:latest"; }), ctx)).toEqual([expect.stringMatching(/only Redis 7\+ refuses/)]);
  });
  it("reads a known include when redis.conf does not declare the default user", async () => {
    const inInclude = onRedis((p) => {
      p.uploads[0].content = withoutDefaultLine(p.uploads[0].content);
      p.uploads[1].content = `user default on nopass ~* +@all\n${p.uploads[1].content}`;
    });
    expect(await messagesOf("redis-auth-required", inInclude, ctx)).toEqual([expect.stringMatching(/lets every client in/)]);
  });
  it("cannot decide at a first preview when only the unknown include could lock the default user out", async () => {
    const undecided = onPreview((p) => { p.uploads[0].content = withoutDefaultLine(p.uploads[0].content); });
    expect(await messagesOf("redis-auth-required", undecided, ctx, "advisory")).toEqual([expect.stringMatching(/can.t be known during preview/)]);
  });
  it("fails without a default user declaration, aclfile or requirepass", async () => {
    const none = editConf((c) => withoutDefaultLine(c).replace(/^include .*$/m, ""));
    expect(await messagesOf("redis-auth-required", none, ctx)).toEqual([expect.stringMatching(/neither aclfile nor requirepass is set/)]);
  });
  it("fails when an include is not among the uploads", async () => {
    const missing = editConf((c) => withoutDefaultLine(c).replace(/^include .*$/m, "include /etc/redis/elsewhere.conf"));
    expect(await messagesOf("redis-auth-required", missing, ctx)).toEqual([expect.stringMatching(/^include \/etc\/redis\/elsewhere.conf is not among the container's uploads/)]);
  });
  it("accepts requirepass given on the command line", async () => {
    const pass = onRedis((p) => { p.uploads[0].content = withoutDefaultLine(p.uploads[0].content).replace(/^include .*$/m, ""); p.command = [...p.command, "--requirepass", "x"]; });
    expect(await findingsOf("redis-auth-required", pass, ctx)).toEqual([]);
  });
  it("still judges an ACL file: fails when it leaves the default user open", async () => {
    const viaAclFile = onRedis((p) => {
      p.uploads[0].content = withoutDefaultLine(p.uploads[0].content).replace(/^include (.*)$/m, "aclfile $1");
      p.uploads[1].content = "user default on nopass ~* +@all\n";
    });
    expect(await messagesOf("redis-auth-required", viaAclFile, ctx)).toEqual([expect.stringMatching(/leaves the default user on/)]);
  });
});

describe("redis-persistence", () => {
  it("passes with AOF and save rules", async () => {
    expect(await findingsOf("redis-persistence", compliant, ctx)).toEqual([]);
  });
  it("fails when the command line turns AOF off over redis.conf", async () => {
    expect(await messagesOf("redis-persistence", withArgs("--appendonly", "no"), ctx)).toEqual([expect.stringMatching(/^appendonly is no/)]);
  });
  it("fails when a later save \"\" disables snapshots", async () => {
    expect(await messagesOf("redis-persistence", editConf((c) => `${c}save ""\n`), ctx)).toEqual([expect.stringMatching(/^save is disabled/)]);
  });
  it("fails when the command line disables snapshots", async () => {
    expect(await messagesOf("redis-persistence", withArgs("--save", ""), ctx)).toEqual([expect.stringMatching(/^save is disabled/)]);
  });
  it("takes the last appendonly in the file", async () => {
    expect(await messagesOf("redis-persistence", editConf((c) => `${c}appendonly no\n`), ctx)).toHaveLength(1);
  });
});

describe("redis-maxmemory-policy", () => {
  it("passes with maxmemory and volatile-lru", async () => {
    expect(await findingsOf("redis-maxmemory-policy", compliant, ctx)).toEqual([]);
  });
  it("fails when the command line lifts the ceiling", async () => {
    expect(await messagesOf("redis-maxmemory-policy", withArgs("--maxmemory", "0"), ctx)).toEqual([expect.stringMatching(/^maxmemory is 0/)]);
  });
  it("fails when no policy is chosen", async () => {
    expect(await messagesOf("redis-maxmemory-policy", editConf((c) => c.replace(/^maxmemory-policy .*$/m, "")), ctx)).toEqual([expect.stringMatching(/^maxmemory-policy is not set/)]);
  });
});

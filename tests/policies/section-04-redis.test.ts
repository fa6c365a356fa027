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
  it("passes with an ACL file that switches the default user off", async () => {
    expect(await findingsOf("redis-auth-required", compliant, ctx)).toEqual([]);
  });
  it("fails when the ACL file leaves the default user open", async () => {
    const open = onRedis((p) => { p.uploads[1].content = "user default on nopass ~* +@all\n"; });
    expect(await messagesOf("redis-auth-required", open, ctx)).toEqual([expect.stringMatching(/leaves the default user on/)]);
  });
  it("fails without aclfile or requirepass", async () => {
    const none = editConf((c) => c.replace(/^aclfile .*$/m, ""));
    expect(await messagesOf("redis-auth-required", none, ctx)).toEqual([expect.stringMatching(/^neither aclfile nor requirepass/)]);
  });
  it("accepts requirepass given on the command line", async () => {
    const pass = onRedis((p) => { p.uploads[0].content = p.uploads[0].content.replace(/^aclfile .*$/m, ""); p.command = [...p.command, "--requirepass", "x"]; });
    expect(await findingsOf("redis-auth-required", pass, ctx)).toEqual([]);
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

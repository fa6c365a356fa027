import { describe, expect, it } from "vitest";
import { baseline, mutate, stackContext } from "./baseline";
import { findingsOf, messagesOf } from "./harness";

const ctx = stackContext();
const compliant = baseline();
type RedisProps = { image: string; command: string[]; uploads: { file: string; content: string }[]; volumes: { containerPath: string; readOnly?: boolean }[] };
const readOnlyData = (p: RedisProps) => { p.volumes = p.volumes.map((v) => ({ ...v, readOnly: true })); };
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
  it("fails when the command line declares the default user a second time: redis-server refuses to start", async () => {
    expect(await messagesOf("redis-version-7-plus", withArgs("--user", "default", "on", "nopass"), ctx)).toEqual([expect.stringMatching(/would exit at start-up: Error in user declaration 'default': Duplicate user found/)]);
  });
  it("fails when aclfile is set next to user declarations", async () => {
    expect(await messagesOf("redis-version-7-plus", withArgs("--aclfile", "/usr/local/etc/redis/users.acl"), ctx)).toEqual([expect.stringMatching(/an ACL file path is invalid/)]);
  });
  it("fails when the config file the command names is not where it is uploaded", async () => {
    const moved = onRedis((p) => { p.command = ["redis-server", "/etc/redis/redis.conf"]; });
    expect(await messagesOf("redis-version-7-plus", moved, ctx)).toEqual([expect.stringMatching(/can't open config file '\/etc\/redis\/redis.conf'/)]);
  });
  it("fails on a directive Redis does not know", async () => {
    expect(await messagesOf("redis-version-7-plus", editConf((c) => `${c}apendonly yes\n`), ctx)).toEqual([expect.stringMatching(/Bad directive/)]);
  });
  it("fails when the data volume is mounted read-only: with appendonly yes redis-server cannot create appendonlydir and exits", async () => {
    expect(await messagesOf("redis-version-7-plus", onRedis(readOnlyData), ctx)).toEqual([expect.stringMatching(/would exit at start-up: Can't open or create append-only dir appendonlydir: Read-only file system \(\/data is on the read-only mount \/data\)/)]);
  });
});

describe("redis-auth-required", () => {
  const preview = baseline({ secretsKnown: false });
  const onPreview = (change: (p: RedisProps) => void) => mutate(preview, "redis-container", (p) => change(p as RedisProps));
  const withoutDefaultLine = (c: string) => c.replace(/^user default .*$/m, "");

  it("passes on an update's preview: redis.conf declares the default user off, the include's users have strong passwords and no admin command", async () => {
    expect(await findingsOf("redis-auth-required", compliant, ctx)).toEqual([]);
  });
  it("decides at a first preview, when the users include is unknown: nothing is downgraded", async () => {
    expect(await findingsOf("redis-auth-required", preview, ctx)).toEqual([]);
  });
  it("fails when redis.conf declares the default user on with nopass, even at a first preview", async () => {
    const open = onPreview((p) => { p.uploads[0].content = p.uploads[0].content.replace(/^user default .*$/m, "user default on nopass ~* +@all"); });
    expect(await messagesOf("redis-auth-required", open, ctx)).toEqual([expect.stringMatching(/^user "default" \(\/usr\/local\/etc\/redis\/redis.conf:\d+\) is on with nopass: only protected-mode/)]);
  });
  it("fails when nopass comes after the password: it clears it", async () => {
    const open = editConf((c) => c.replace(/^user default .*$/m, "user default on >Secret0123456789xyz nopass -@all +get ~*"));
    expect(await messagesOf("redis-auth-required", open, ctx)).toEqual([expect.stringMatching(/is on with nopass/)]);
  });
  it("fails when the official image's protected-mode default (off) meets a nopass default user", async () => {
    const open = editConf((c) => c.replace(/^protected-mode yes$/m, "").replace(/^user default .*$/m, "user default on nopass ~* +get"));
    expect(await messagesOf("redis-auth-required", open, ctx)).toEqual([expect.stringMatching(/protected-mode is no \(Redis's default\): every client on the network/)]);
  });
  it("reads a known include when redis.conf does not declare the default user", async () => {
    const inInclude = onRedis((p) => {
      p.uploads[0].content = withoutDefaultLine(p.uploads[0].content);
      p.uploads[1].content = `user default on nopass ~* +get\n${p.uploads[1].content}`;
    });
    expect(await messagesOf("redis-auth-required", inInclude, ctx)).toEqual([expect.stringMatching(/users.acl:1\) is on with nopass/)]);
  });
  it("cannot decide at a first preview when only the unknown include could lock the default user out", async () => {
    const undecided = onPreview((p) => { p.uploads[0].content = withoutDefaultLine(p.uploads[0].content); });
    expect(await messagesOf("redis-auth-required", undecided, ctx, "advisory")).toEqual([expect.stringMatching(/can.t be known during preview/)]);
  });
  it("fails without a default user declaration, aclfile or requirepass: Redis's own default user is open", async () => {
    const none = editConf((c) => withoutDefaultLine(c).replace(/^include .*$/m, ""));
    expect(await messagesOf("redis-auth-required", none, ctx)).toEqual([expect.stringMatching(/^the default user \(Redis's own\) is on with nopass/)]);
  });
  it("judges requirepass as the default user's password: too short, and with every command", async () => {
    const pass = onRedis((p) => { p.uploads[0].content = withoutDefaultLine(p.uploads[0].content).replace(/^include .*$/m, ""); p.command = [...p.command, "--requirepass", "foobared"]; });
    expect(await messagesOf("redis-auth-required", pass, ctx)).toEqual([
      expect.stringMatching(/user "default" \(command line:1, requirepass\) has a password of 8 characters; use at least 32/),
      expect.stringMatching(/may run FLUSHALL, FLUSHDB, CONFIG SET/),
    ]);
  });
  it("judges every user: one that may run FLUSHALL fails although the app user is fine", async () => {
    const ops = editConf((c) => `${c}user ops on #${"a".repeat(64)} ~* +@all -@dangerous +flushall\n`);
    expect(await messagesOf("redis-auth-required", ops, ctx)).toEqual([expect.stringMatching(/^user "ops" .* may run FLUSHALL:/)]);
  });
  it("still judges an ACL file: fails when it has no default line (Redis keeps that user open)", async () => {
    const viaAclFile = onRedis((p) => {
      p.uploads[0].content = withoutDefaultLine(p.uploads[0].content).replace(/^include (.*)$/m, "aclfile $1");
      p.uploads[1].content = "user app on >Secret0123456789Secret0123456789abcd ~* +@all -@dangerous\n";
    });
    expect(await messagesOf("redis-auth-required", viaAclFile, ctx)).toEqual([expect.stringMatching(/^the default user \(Redis's own\) is on with nopass/)]);
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
  it("fails when dir points off the data volume", async () => {
    expect(await messagesOf("redis-persistence", withArgs("--dir", "/tmp"), ctx)).toEqual([expect.stringMatching(/to \/tmp, which is on no volume/)]);
  });
  it("fails when appendfsync no leaves the AOF to the kernel", async () => {
    expect(await messagesOf("redis-persistence", editConf((c) => c.replace("appendfsync everysec", "appendfsync no")), ctx)).toEqual([expect.stringMatching(/^appendfsync is no/)]);
  });
  it("fails when a second save line after the include replaces the hourly rules by a daily one", async () => {
    expect(await messagesOf("redis-persistence", editConf((c) => `${c}save 86400 1\n`), ctx)).toEqual([expect.stringMatching(/waits 86400 s/)]);
  });
  it("fails when dir is on a read-only mount and AOF is off: Redis starts, every snapshot fails", async () => {
    const found = await messagesOf("redis-persistence", onRedis((p) => { readOnlyData(p); p.command = [...p.command, "--appendonly", "no"]; }), ctx);
    expect(found).toEqual([expect.stringMatching(/^appendonly is no/), "Redis writes dump.rdb to /data, on the read-only mount /data: every snapshot fails."]);
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
  it("fails when no policy is chosen: the default noeviction fails every write once full", async () => {
    expect(await messagesOf("redis-maxmemory-policy", editConf((c) => c.replace(/^maxmemory-policy .*$/m, "")), ctx)).toEqual([expect.stringMatching(/^maxmemory-policy is noeviction \(Redis's default\)/)]);
  });
  it("fails with allkeys-lru: it evicts Celery's queued tasks", async () => {
    expect(await messagesOf("redis-maxmemory-policy", withArgs("--maxmemory-policy", "allkeys-lru"), ctx)).toEqual([expect.stringMatching(/evicts keys without a TTL/)]);
  });
  it("fails when maxmemory exceeds 90% of the container's memory limit", async () => {
    expect(await messagesOf("redis-maxmemory-policy", withArgs("--maxmemory", "1gb"), ctx)).toEqual([expect.stringMatching(/more than 90% of the container's 1024 MiB/)]);
  });
});

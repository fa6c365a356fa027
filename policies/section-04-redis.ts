// Checklist section 4, Redis Configuration: version, authentication, persistence and memory policy,
// judged on the Redis each container really runs (policies/lib/redis: config file, includes, command
// line, image defaults and every ACL user), never on one line of one file.
import { containerImage, containerService } from "./lib/containers";
import { checklistFramework, resourcePolicy, type ChecklistResourcePolicy } from "./lib/framework";
import { redisMemoryBytes, redisModelOf, type EffectiveSetting, type RedisContainerModel, type RedisModel, type RedisUser } from "./lib/redis";
import { CONTAINER } from "./lib/resource-types";
import type { StackContext } from "./lib/stack-context";
import { undecidable } from "./lib/unknowns";
import { imageMajorVersion } from "./section-03-database";
import { MIN_PASSWORD_LENGTH } from "./section-02-secrets";
import type { ResourceValidationArgs, ReportViolation } from "@pulumi/policy";

/** Where a setting comes from, for messages. */
const where = (s: EffectiveSetting) => (s.origin ? ` (${s.origin.file}:${s.origin.line})` : " (Redis's default)");

/** A setting the verdict needs: undecidable while a file unknown at preview could still set it. */
function decided(model: RedisModel, name: string): EffectiveSetting {
  const setting = model.setting(name);
  if (setting.undecided) undecidable(`uploads[${setting.undecided}].content`);
  if (setting.unreadable) undecidable(`command (${name})`);
  return setting;
}

/** A check on the Redis a container runs; other containers, and a Redis that would not start (4.1 says so), are skipped. */
const onRunningRedis = (check: (model: RedisContainerModel, report: ReportViolation) => void): ChecklistResourcePolicy["validateResource"] =>
  (args: ResourceValidationArgs, report: ReportViolation, _stack: StackContext) => {
    if (containerService(args.props) !== "redis") return;
    const model = redisModelOf(args);
    if (model.input.launch.kind !== "server" || model.startupError) return;
    check(model, report);
  };

export const redisVersion7Plus = resourcePolicy({
  name: "redis-version-7-plus",
  description: "Redis containers run an image whose tag states major version 7 or later, and redis-server starts with the configuration they give it.",
  severity: "medium",
  remediationSteps:
    "Use a redis image tagged with its version, 7 or later (e.g. redis:7.4.1-bookworm), and give redis-server a configuration it accepts: " +
    "every file it names (config file, include, aclfile) uploaded where it reads it, no unknown directive, no user declared twice, no aclfile next to user lines.",
  framework: checklistFramework("4.1"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    if (containerService(args.props) !== "redis") return;
    const image = containerImage(args.props);
    const major = imageMajorVersion(image);
    if (major === undefined) report(`the image tag "${image.tag ?? ""}" states no Redis version.`);
    else if (major < 7) report(`Redis ${major} is older than 7.`);
    const model = redisModelOf(args);
    if (model.input.launch.kind !== "server") report(`the container does not start redis-server (it runs ${model.input.launch.argv.join(" ") || "nothing"}).`);
    else if (model.startupError) report(`redis-server would exit at start-up: ${model.startupError}.`);
  },
});

/** Commands no user a client can log in as may run: they wipe, reconfigure, stop or take over the server. */
export const REDIS_ADMIN_COMMANDS: ReadonlyArray<readonly [command: string, sub?: string]> = [
  ["flushall"], ["flushdb"], ["config", "set"], ["config", "rewrite"], ["debug"], ["shutdown"], ["acl", "setuser"], ["acl", "deluser"],
  ["acl", "load"], ["module", "load"], ["replicaof"], ["slaveof"], ["failover"],
];

const userLabel = (user: RedisUser) =>
  user.origin === undefined ? `the default user (Redis's own)` : `user "${user.acl.name}" (${user.origin.file}:${user.origin.line}${"via" in user.origin ? ", requirepass" : ""})`;

function judgeUser(model: RedisModel, user: RedisUser, report: ReportViolation): void {
  if (!user.acl.enabled) return;
  const label = userLabel(user);
  if (user.acl.nopass) {
    if (user.acl.name === "default") {
      // protected-mode then refuses every non-loopback connection, the app's too: a lock, not a password.
      const protectedMode = decided(model, "protected-mode");
      report(protectedMode.value === "yes"
        ? `${label} is on with nopass: only protected-mode${where(protectedMode)} keeps network clients out, and it refuses the app's connections too.`
        : `${label} is on with nopass and protected-mode is ${protectedMode.value}${where(protectedMode)}: every client on the network runs commands without a password.`);
    } else report(`${label} is on with nopass: any password logs in as it.`);
    return;
  }
  const weak = user.acl.passwords.filter((p) => p.clear !== undefined && p.clear.length < MIN_PASSWORD_LENGTH);
  for (const p of weak) report(`${label} has a password of ${p.clear!.length} characters; use at least ${MIN_PASSWORD_LENGTH}.`);
  const admin = REDIS_ADMIN_COMMANDS.filter(([command, sub]) => model.canRun(user, command, sub));
  if (admin.length > 0 && user.acl.passwords.length > 0) {
    report(`${label} may run ${admin.map(([c, s]) => (s ? `${c} ${s}` : c).toUpperCase()).join(", ")}: no user a client logs in as may wipe, reconfigure or stop Redis.`);
  }
}

export const redisAuthRequired = resourcePolicy({
  name: "redis-auth-required",
  description:
    "Redis refuses clients without a strong password: the default user is off or password-protected (requirepass, a user line or the aclfile, " +
    "whichever Redis applies last), no user is on with nopass, every password is long enough, and no user may run FLUSHALL, FLUSHDB, CONFIG SET, DEBUG, SHUTDOWN, ACL SETUSER or REPLICAOF.",
  severity: "critical",
  remediationSteps:
    "Declare `user default off resetpass resetkeys resetchannels -@all` in redis.conf and put the named users with their generated passwords " +
    `(at least ${MIN_PASSWORD_LENGTH} characters) in an included file of their own; give the app \`+@all -@dangerous\` and the exporter only what it reads. ` +
    "No `nopass` user, and no user with +@all or +@dangerous left in.",
  framework: checklistFramework("4.2"),
  resourceTypes: [CONTAINER],
  validateResource: onRunningRedis((model, report) => {
    // Users in a file unknown at preview (the generated passwords of a first deployment) are judged once it is known.
    if (!model.defaultUserDecided) undecidable(`uploads[${model.unknownUserFiles[0] ?? "aclfile"}].content`);
    for (const user of model.users) judgeUser(model, user, report);
  }),
});

/** At most this long between RDB snapshots under writes: a restore from dump.rdb loses at most this much. */
const MAX_SNAPSHOT_INTERVAL_SECONDS = 3600;

export const redisPersistence = resourcePolicy({
  name: "redis-persistence",
  description:
    "Redis persists with AOF (appendonly yes, appendfsync everysec or always) and RDB snapshots at least hourly, written to a directory on a writable volume, " +
    "counting included files and command-line overrides.",
  severity: "high",
  remediationSteps:
    `Set \`appendonly yes\`, \`appendfsync everysec\` and a \`save\` rule of at most ${MAX_SNAPSHOT_INTERVAL_SECONDS} seconds in redis.conf, with \`dir\` on the data volume, mounted writable; ` +
    "do not override them with `--appendonly no`, `--save \"\"` or `--dir` on the command line.",
  framework: checklistFramework("4.3"),
  resourceTypes: [CONTAINER],
  validateResource: onRunningRedis((model, report) => {
    const appendonly = decided(model, "appendonly");
    if (appendonly.value !== "yes") report(`appendonly is ${appendonly.value}${where(appendonly)}: without AOF a crash loses every write since the last snapshot.`);
    else {
      const fsync = decided(model, "appendfsync");
      if (fsync.value === "no") report(`appendfsync is no${where(fsync)}: the AOF reaches the disk when the kernel flushes it (about 30 s), not every second.`);
    }
    if (model.save.undecided) undecidable(`uploads[${model.save.undecided}].content`);
    const save = model.save.rules;
    if (save.length === 0) report("save is disabled: no RDB snapshots.");
    else if (Math.min(...save.map(([seconds]) => seconds)) > MAX_SNAPSHOT_INTERVAL_SECONDS) {
      report(`the most frequent snapshot rule waits ${Math.min(...save.map(([s]) => s))} s; take one at least every ${MAX_SNAPSHOT_INTERVAL_SECONDS} s.`);
    }
    decided(model, "dir");
    const onVolume = model.inputs.mountPoints.some((m) => model.dataDir === m.replace(/\/+$/, "") || model.dataDir.startsWith(`${m.replace(/\/+$/, "")}/`));
    if (!onVolume) report(`Redis writes its AOF and dump.rdb to ${model.dataDir}, which is on no volume: a new container starts empty.`);
    // With appendonly yes Redis would not start (4.1); without AOF it starts, and every BGSAVE fails.
    else if (model.readOnlyDataMount !== undefined) report(`Redis writes dump.rdb to ${model.dataDir}, on the read-only mount ${model.readOnlyDataMount}: every snapshot fails.`);
  }),
});

/** Room left for the AOF-rewrite fork's copy-on-write pages and client buffers. */
const MAX_SHARE_OF_CONTAINER_MEMORY = 0.9;
const TTL_ONLY_POLICIES: ReadonlySet<string> = new Set(["volatile-lru", "volatile-lfu", "volatile-ttl", "volatile-random"]);

export const redisMaxmemoryPolicy = resourcePolicy({
  name: "redis-maxmemory-policy",
  description:
    "Redis has a memory ceiling below the container's limit and an eviction policy that evicts only keys with a TTL (cache entries), never Celery's queued tasks.",
  severity: "medium",
  remediationSteps:
    `Set maxmemory above 0 and at most ${MAX_SHARE_OF_CONTAINER_MEMORY * 100}% of the container's memory limit, and maxmemory-policy volatile-lru ` +
    "(or volatile-lfu/volatile-ttl): allkeys-* evicts the broker's queues, noeviction turns a full cache into failing writes.",
  framework: checklistFramework("4.5"),
  resourceTypes: [CONTAINER],
  validateResource: onRunningRedis((model, report) => {
    const maxmemory = decided(model, "maxmemory");
    const bytes = redisMemoryBytes(maxmemory.value ?? "0") ?? 0;
    const limitMb = model.inputs.memoryMb;
    if (bytes === 0) report(`maxmemory is ${maxmemory.value ?? "0"}${where(maxmemory)}: Redis grows until the container is killed.`);
    else if (limitMb !== undefined && bytes > limitMb * 1024 * 1024 * MAX_SHARE_OF_CONTAINER_MEMORY) {
      report(`maxmemory is ${maxmemory.value}${where(maxmemory)}, more than ${MAX_SHARE_OF_CONTAINER_MEMORY * 100}% of the container's ${limitMb} MiB: the kernel kills Redis before it evicts.`);
    }
    const policy = decided(model, "maxmemory-policy");
    const value = policy.value ?? "noeviction";
    if (value === "noeviction") report(`maxmemory-policy is noeviction${where(policy)}: a full cache makes every write fail.`);
    else if (!TTL_ONLY_POLICIES.has(value)) report(`maxmemory-policy is ${value}${where(policy)}: it evicts keys without a TTL, Celery's queued tasks among them.`);
  }),
});

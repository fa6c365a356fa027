// Checklist section 4, Redis Configuration: version, authentication, persistence and memory policy,
// judged on the configuration Redis will really run with: the uploaded redis.conf named on the
// command line, then the command line's `--directive value` overrides, else Redis's defaults.
import { containerImage, containerService, uploadAt, uploadText } from "./lib/containers";
import { checklistFramework, resourcePolicy, type ChecklistResourcePolicy } from "./lib/framework";
import { redisMemoryBytes, redisYes } from "./lib/redis-conf";
import { CONTAINER } from "./lib/resource-types";
import { redisRuntimeConfig, type RedisRuntimeConfig } from "./lib/service-config";
import type { StackContext } from "./lib/stack-context";
import { imageMajorVersion } from "./section-03-database";
import type { ResourceValidationArgs, ReportViolation } from "@pulumi/policy";
import type { PropRecord } from "./lib/values";

/** A check on a Redis container's effective config; other containers are skipped. */
const onRedis = (check: (config: RedisRuntimeConfig, props: PropRecord, report: ReportViolation) => void): ChecklistResourcePolicy["validateResource"] =>
  (args: ResourceValidationArgs, report: ReportViolation, _stack: StackContext) => {
    if (containerService(args.props) !== "redis") return;
    check(redisRuntimeConfig(args.props), args.props, report);
  };

/** Redis's `include` is not followed: a rule that found nothing says where else it may be. */
const includeNote = (config: RedisRuntimeConfig) =>
  config.settings.includes.length > 0 ? ` (included files ${config.settings.includes.join(", ")} are not read)` : "";

export const redisVersion7Plus = resourcePolicy({
  name: "redis-version-7-plus",
  description: "Redis containers run an image whose tag states major version 7 or later.",
  severity: "medium",
  remediationSteps: "Use a redis image tagged with its version, 7 or later (e.g. redis:7.4.1-bookworm).",
  framework: checklistFramework("4.1"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    if (containerService(args.props) !== "redis") return;
    const image = containerImage(args.props);
    const major = imageMajorVersion(image);
    if (major === undefined) report(`the image tag "${image.tag ?? ""}" states no Redis version.`);
    else if (major < 7) report(`Redis ${major} is older than 7.`);
  },
});

/**
 * Whether an ACL file keeps the default user from serving unauthenticated clients. Without a
 * `user default` line Redis keeps it "on nopass ~* +@all"; a user defined in the file starts off.
 */
export function aclDisablesDefaultUser(aclText: string): boolean {
  const line = aclText.split(/\r?\n/).map((l) => l.trim().split(/\s+/)).filter((w) => w[0] === "user" && w[1] === "default").pop();
  if (!line) return false;
  const rules = line.slice(2);
  if (rules.filter((r) => r === "on" || r === "off").pop() !== "on") return true;
  return !rules.includes("nopass") && rules.some((r) => r.startsWith(">") || r.startsWith("#"));
}

export const redisAuthRequired = resourcePolicy({
  name: "redis-auth-required",
  description: "Redis refuses unauthenticated clients: an ACL file whose default user is off (or has a password), or requirepass.",
  severity: "critical",
  remediationSteps: "Point redis.conf at an ACL file (aclfile) with `user default off` and one user per client, or set requirepass (in a file of its own: it is a secret).",
  framework: checklistFramework("4.2"),
  resourceTypes: [CONTAINER],
  validateResource: onRedis((config, props, report) => {
    const aclFile = config.settings.get("aclfile");
    if (aclFile !== undefined) {
      const upload = uploadAt(props, aclFile);
      if (!upload) {
        report(`aclfile ${aclFile} is not among the container's uploads: the default user's rules cannot be verified.`);
        return;
      }
      // The ACL file holds the passwords: unknown at a first preview, so this rule is then advisory.
      const text = uploadText(upload) ?? "";
      if (!aclDisablesDefaultUser(text)) report(`the ACL file ${aclFile} leaves the default user on without a password.`);
      return;
    }
    if ((config.settings.get("requirepass") ?? "") === "") report(`neither aclfile nor requirepass is set: anyone on the network can use Redis${includeNote(config)}.`);
  }),
});

export const redisPersistence = resourcePolicy({
  name: "redis-persistence",
  description: "Redis persists with both AOF (appendonly yes) and RDB snapshots (save rules), counting command-line overrides.",
  severity: "high",
  remediationSteps: "Set `appendonly yes` and `save` rules in redis.conf, and do not override them with `--appendonly no` or `--save \"\"` on the command line.",
  framework: checklistFramework("4.3"),
  resourceTypes: [CONTAINER],
  validateResource: onRedis((config, _props, report) => {
    // appendonly defaults to no; save rules default to Redis 7's built-in ones.
    const appendonly = config.settings.get("appendonly") ?? "no";
    if (!redisYes(appendonly)) report(`appendonly is ${appendonly}: without AOF a crash loses every write since the last snapshot${includeNote(config)}.`);
    if (config.settings.saveRules.length === 0) report(`save is disabled: no RDB snapshots${includeNote(config)}.`);
  }),
});

const EVICTION_POLICIES: ReadonlySet<string> = new Set([
  "noeviction", "volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu", "volatile-random", "allkeys-random", "volatile-ttl",
]);

export const redisMaxmemoryPolicy = resourcePolicy({
  name: "redis-maxmemory-policy",
  description: "Redis has a memory ceiling (maxmemory) and an explicitly chosen maxmemory-policy.",
  severity: "medium",
  remediationSteps: "Set maxmemory below the container's memory limit and an explicit maxmemory-policy (volatile-lru keeps Celery's broker keys, which carry no TTL).",
  framework: checklistFramework("4.5"),
  resourceTypes: [CONTAINER],
  validateResource: onRedis((config, _props, report) => {
    const maxmemory = config.settings.get("maxmemory") ?? "0";
    if (!(redisMemoryBytes(maxmemory) ?? 0)) report(`maxmemory is ${maxmemory}: Redis grows until the container is killed${includeNote(config)}.`);
    const policy = config.settings.get("maxmemory-policy");
    if (policy === undefined) report(`maxmemory-policy is not set: the implicit noeviction was never chosen${includeNote(config)}.`);
    else if (!EVICTION_POLICIES.has(policy.toLowerCase())) report(`maxmemory-policy "${policy}" is not a Redis eviction policy.`);
  }),
});

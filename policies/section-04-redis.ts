// Checklist section 4, Redis Configuration: version, authentication, persistence and memory policy,
// judged on the configuration Redis will really run with: the uploaded redis.conf named on the
// command line, then the command line's `--directive value` overrides, else Redis's defaults.
import { containerImage, containerService, uploadAt, uploadContent, uploadTextAt } from "./lib/containers";
import { checklistFramework, resourcePolicy, type ChecklistResourcePolicy } from "./lib/framework";
import { expandRedisIncludes, redisMemoryBytes, redisSettings, redisUserAdmitsWithoutAuth, redisYes, type RedisSettings } from "./lib/redis-conf";
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
  return line !== undefined && !redisUserAdmitsWithoutAuth(line.slice(2));
}

/** The text of an included file from the container's uploads; throws when it is unknown at preview. */
const uploadedInclude = (props: PropRecord) => (path: string): string => {
  const text = uploadTextAt(props, path);
  if (text === undefined) throw new IncludeNotUploaded(path);
  return text;
};

class IncludeNotUploaded extends Error {
  constructor(readonly path: string) {
    super(`include ${path} is not among the container's uploads`);
  }
}

/**
 * The verdict on the known text alone, when it has one: a single `user default` declaration in the
 * uploaded redis.conf or on the command line is final, because Redis 7 refuses to start when an
 * included file declares that user again (and ignores requirepass for a declared default user).
 */
function declaredDefaultUserVerdict(settings: RedisSettings, image: number | undefined, report: ReportViolation): boolean {
  const declared = settings.users.filter((u) => u.name === "default");
  if (declared.length === 0) return false;
  if (declared.length > 1) report(`the default user is declared ${declared.length} times: redis-server 7 refuses to start.`);
  else if (settings.get("aclfile") !== undefined) report("aclfile is set next to `user` declarations: redis-server refuses to start; declare users in one place.");
  else if (redisUserAdmitsWithoutAuth(declared[0].rules)) report(`\`user default ${declared[0].rules.join(" ")}\` lets every client in without a password.`);
  else if (settings.includes.length > 0 && (image === undefined || image < 7)) {
    report(`an included file (${settings.includes.join(", ")}) could declare the default user again, which only Redis 7+ refuses; the image states ${image === undefined ? "no version" : `Redis ${image}`}.`);
  }
  return true;
}

export const redisAuthRequired = resourcePolicy({
  name: "redis-auth-required",
  description: "Redis refuses unauthenticated clients: the default user declared off (or with a password) in redis.conf, an ACL file that does so, or requirepass.",
  severity: "critical",
  remediationSteps: "Declare `user default off resetpass resetkeys resetchannels -@all` in redis.conf and put the named users with their passwords in an included file of their own (it is a secret); or use an ACL file with `user default off`, or requirepass.",
  framework: checklistFramework("4.2"),
  resourceTypes: [CONTAINER],
  validateResource: onRedis((config, props, report) => {
    // Known content first: at a first preview the included users file and any ACL file are unknown.
    const image = imageMajorVersion(containerImage(props));
    if (declaredDefaultUserVerdict(config.settings, image, report)) return;
    let settings: RedisSettings;
    try {
      // Nothing known decides: read what the includes say (unknown content makes the rule advisory).
      settings = redisSettings(expandRedisIncludes(config.settings.directives, uploadedInclude(props)));
    } catch (err) {
      if (!(err instanceof IncludeNotUploaded)) throw err;
      report(`${err.message}: whether it authenticates clients cannot be verified.`);
      return;
    }
    if (declaredDefaultUserVerdict(settings, image, report)) return;
    const aclFile = settings.get("aclfile");
    if (aclFile !== undefined) {
      const upload = uploadAt(props, aclFile);
      if (!upload) {
        report(`aclfile ${aclFile} is not among the container's uploads: the default user's rules cannot be verified.`);
        return;
      }
      // The ACL file holds the passwords: unknown at a first preview, so this rule is then advisory.
      const text = uploadContent(upload) ?? "";
      if (!aclDisablesDefaultUser(text)) report(`the ACL file ${aclFile} leaves the default user on without a password.`);
      return;
    }
    if ((settings.get("requirepass") ?? "") === "") report("the default user is not declared off, and neither aclfile nor requirepass is set: anyone on the network can use Redis.");
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

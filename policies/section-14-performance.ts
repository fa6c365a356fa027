// Section 14, Performance: the app caches in Redis, nginx compresses text responses, and (optional)
// the site's DNS records go through Cloudflare's CDN. Query review, indexes and minification (14.2,
// 14.3, 14.6) live in the app's code and its build, not in this stack.
import { checklistFramework, stackPolicy, type ChecklistPolicy } from "./lib/framework";
import { containerHostNames, containerName, runsService } from "./lib/containers";
import { appServices, containers, reportMissingService } from "./lib/stack-resources";
import { dnsRecords, recordNames } from "./lib/dns-records";
import { directives, effective, httpBlock } from "./lib/nginx-conf";
import { requireNginx, servedNames, servingTlsServers } from "./section-09-tls";
import type { PolicyResource } from "@pulumi/policy";
import { appSettings, readableValue, type AppSetting } from "./lib/app-settings";
import { redisModelOf } from "./lib/redis";
import { undecidable } from "./lib/unknowns";

const CACHE_URL_VARS = ["CACHE_URL", "REDIS_CACHE_URL", "DJANGO_CACHE_URL", "REDIS_URL"];

/** Why the Redis an app names cannot serve its cache: it would not start, or listens on another port than REDIS_PORT. */
function cacheServerProblem(redis: PolicyResource, portSetting: AppSetting | undefined): string | undefined {
  const model = redisModelOf(redis);
  if (model.input.launch.kind !== "server" || model.startupError) return "that container does not run a redis-server that starts";
  const port = model.setting("port");
  if (port.undecided || port.unreadable) undecidable("redis port");
  const wanted = portSetting === undefined ? "6379" : readableValue(portSetting);
  if (wanted === undefined) undecidable("REDIS_PORT");
  return wanted === port.value ? undefined : `Redis listens on port ${port.value}${port.origin ? ` (${port.origin.file}:${port.origin.line})` : ""}, not REDIS_PORT ${wanted}`;
}

export const redisCache = stackPolicy({
  name: "redis-cache",
  description: "A Redis container runs in the stack and every long-running Django app container is pointed at it for caching: REDIS_HOST names it and REDIS_PORT is the port its redis-server really listens on.",
  severity: "medium",
  remediationSteps: "Run redis (7+) and give the app REDIS_HOST (the Redis container's name or network alias) and REDIS_PORT (the `port` redis-server ends up with, 6379 by default), or a redis:// CACHE_URL/REDIS_URL.",
  framework: checklistFramework("14.1"),
  validateStack: (args, report) => {
    const redis = containers(args.resources).filter((c) => runsService(c, "redis"));
    if (redis.length === 0) reportMissingService(args.resources, report, "No Redis container (image redis or valkey) is in the stack.");
    const apps = appServices(args.resources);
    if (apps.length === 0) report("No long-running Django app container is in the stack.");
    for (const app of apps) {
      const settings = appSettings(app);
      const hostSetting = settings.get("REDIS_HOST");
      if (hostSetting !== undefined) {
        const host = readableValue(hostSetting);
        if (host === undefined) undecidable("REDIS_HOST");
        const target = redis.find((r) => containerHostNames(r.props).has(host));
        if (!target) report(`Container ${containerName(app)} has REDIS_HOST "${host}", which is no Redis container of the stack.`, app.urn);
        else {
          const problem = cacheServerProblem(target, settings.get("REDIS_PORT"));
          if (problem) report(`Container ${containerName(app)} caches in ${containerName(target)}, but ${problem}.`, app.urn);
        }
        continue;
      }
      const cache = CACHE_URL_VARS.flatMap((name) => {
        const setting = settings.get(name);
        return setting ? [{ name, setting }] : [];
      })[0];
      if (cache === undefined && settings.hidden.length > 0) throw settings.hidden[0];
      const url = cache && readableValue(cache.setting);
      // A cache URL in a secret the preview cannot read: its name says Redis, or the verdict waits.
      if (cache !== undefined && url === undefined) {
        if (/REDIS/.test(cache.name)) continue;
        undecidable(cache.name);
      }
      if (url === undefined || !/^rediss?:\/\//.test(url)) report(`Container ${containerName(app)} has no Redis cache location (REDIS_HOST or a redis:// CACHE_URL).`, app.urn);
    }
  },
});

/** MIME types that must be compressed (text/html always is once gzip is on). */
export const COMPRESSED_TYPES: readonly (readonly string[])[] = [["text/css"], ["application/javascript", "text/javascript"], ["application/json"]];

export const staticCompression = stackPolicy({
  name: "static-compression",
  description: "nginx gzips HTML, CSS, JavaScript and JSON responses on every HTTPS site.",
  severity: "low",
  remediationSteps: "In nginx.conf's http block set gzip on and gzip_types text/css application/javascript application/json (plus other text types).",
  framework: checklistFramework("14.4", "14.7"),
  validateStack: (args, report) => {
    for (const { container, conf } of requireNginx(args.resources, report)) {
      const http = httpBlock(conf);
      for (const server of servingTlsServers(conf)) {
        const label = directives(server, "server_name")[0]?.args.join(" ") ?? "";
        if (effective("gzip", http, server)?.[0] !== "on") {
          report(`nginx ${containerName(container)}, ${label}: gzip is off.`, container.urn);
          continue;
        }
        const types = effective("gzip_types", http, server) ?? [];
        const missing = COMPRESSED_TYPES.filter((alternatives) => !types.includes("*") && !alternatives.some((t) => types.includes(t))).map((a) => a[0]);
        if (missing.length > 0) report(`nginx ${containerName(container)}, ${label}: gzip_types lacks ${missing.join(", ")}.`, container.urn);
      }
    }
  },
});

/**
 * 14.5 is optional, so a stack without a CDN passes. A CDN in use must be whole and must not blind
 * the edge: behind Cloudflare nginx sees Cloudflare's addresses unless it restores the client's.
 */
export const cdnProxied = stackPolicy({
  name: "cdn",
  description:
    "When the site uses Cloudflare's CDN (a proxied DNS record), every name nginx serves is proxied and nginx restores the client " +
    "address from CF-Connecting-IP for Cloudflare's ranges only; a stack without a CDN passes (optional item).",
  severity: "medium",
  remediationSteps:
    "Set proxied: true on all of the site's A/AAAA/CNAME records, and in nginx.conf add set_real_ip_from for each Cloudflare range " +
    "with real_ip_header CF-Connecting-IP (else rate limits and fail2ban act on Cloudflare's addresses).",
  framework: checklistFramework("14.5"),
  tags: ["optional"],
  validateStack: (args, report) => {
    const records = dnsRecords(args.resources).filter((r) => ["A", "AAAA", "CNAME"].includes(r.type));
    if (!records.some((r) => r.proxied)) return;
    for (const { container, conf } of requireNginx(args.resources, report)) {
      const unproxied = servedNames(conf).filter((name) => !records.some((r) => r.proxied && recordNames(r, name)));
      if (unproxied.length > 0) report(`The CDN is in use but ${unproxied.join(", ")} ${unproxied.length === 1 ? "is" : "are"} not proxied.`, container.urn);
      const http = httpBlock(conf);
      const header = effective("real_ip_header", http)?.[0]?.toLowerCase();
      const trusted = directives(http, "set_real_ip_from").map((d) => d.args[0] ?? "");
      if (header !== "cf-connecting-ip" || trusted.length === 0 || trusted.some((cidr) => /^(0\.0\.0\.0\/0|::\/0|all)$/.test(cidr))) {
        report(`nginx ${containerName(container)} is behind Cloudflare but does not restore client addresses (real_ip_header CF-Connecting-IP with set_real_ip_from Cloudflare's ranges only).`, container.urn);
      }
    }
  },
});

export const section14Policies: readonly ChecklistPolicy[] = [redisCache, staticCompression, cdnProxied];

// Section 14, Performance: the app caches in Redis, nginx compresses text responses, and (optional)
// the site's DNS records go through Cloudflare's CDN. Query review, indexes and minification (14.2,
// 14.3, 14.6) live in the app's code and its build, not in this stack.
import { checklistFramework, stackPolicy, type ChecklistPolicy } from "./lib/framework";
import { containerHostNames, containerName, runsService } from "./lib/containers";
import { appServices, containers, reportMissingService } from "./lib/stack-resources";
import { dnsRecords, recordNames } from "./lib/dns-records";
import { NginxFindings } from "./lib/nginx/findings";
import { inForce, valueOf, type Level } from "./lib/nginx/model";
import { gzipCompresses } from "./lib/nginx/request";
import { requestUrl, servedNames, siteRequests } from "./lib/nginx/sites";
import { requireNginx } from "./lib/nginx/stack";
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
/** Responses shorter than gzip_min_length go out uncompressed: above this, small CSS/JSON stays raw. */
export const MAX_GZIP_MIN_LENGTH = 1024;
/** Browsers gzip_disable must not match: a regex that does switches compression off for real visitors. */
const MODERN_BROWSERS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
];

function compressionProblems(chain: readonly Level[]): string[] {
  if (valueOf(chain, "gzip", "off") !== "on") return ["gzip is off"];
  const problems: string[] = [];
  const large = (contentType: string) => gzipCompresses(chain, { contentType, length: 1 << 20, userAgent: "" });
  const missing = COMPRESSED_TYPES.filter((alternatives) => !alternatives.some(large)).map((a) => a[0]);
  if (missing.length > 0) problems.push(`gzip_types lacks ${missing.join(", ")}`);
  if (!gzipCompresses(chain, { contentType: "text/html", length: MAX_GZIP_MIN_LENGTH, userAgent: "" })) {
    problems.push(`gzip_min_length ${valueOf(chain, "gzip_min_length")} leaves responses of ${MAX_GZIP_MIN_LENGTH} bytes uncompressed`);
  }
  if (MODERN_BROWSERS.some((userAgent) => !gzipCompresses(chain, { contentType: "text/html", length: 1 << 20, userAgent }))) {
    problems.push("gzip_disable switches compression off for current browsers");
  }
  return problems;
}

export const staticCompression = stackPolicy({
  name: "static-compression",
  description: "nginx gzips HTML, CSS, JavaScript and JSON in every HTTPS location that serves files or the app, for every served name.",
  severity: "low",
  remediationSteps:
    "In nginx.conf's http block set gzip on, gzip_types text/css application/javascript application/json (plus other text types) and " +
    `gzip_min_length at most ${MAX_GZIP_MIN_LENGTH}; no server or location may turn gzip off, replace gzip_types without these types, or ` +
    "gzip_disable current browsers.",
  framework: checklistFramework("14.4", "14.7"),
  validateStack: (args, report) => {
    for (const site of requireNginx(args.resources, report)) {
      const findings = new NginxFindings();
      for (const request of siteRequests(site.model, site.sockets.filter((s) => s.ssl))) {
        for (const outcome of request.outcomes) {
          if (outcome.action.kind !== "proxy" && outcome.action.kind !== "static") continue;
          for (const problem of compressionProblems(outcome.chain)) findings.add(outcome.server, outcome.location, requestUrl(request.socket, request.host, request.uri), problem);
        }
      }
      findings.report(report, site.name, site.container.urn);
    }
  },
});

const ANYWHERE = /^(0\.0\.0\.0\/0|::\/0|all|::\/\d|0\.0\.0\.0)$/;

/**
 * 14.5 is optional, so a stack without a CDN passes. A CDN in use must be whole and must not blind
 * the edge: behind Cloudflare nginx sees Cloudflare's addresses unless it restores the client's.
 */
export const cdnProxied = stackPolicy({
  name: "cdn",
  description:
    "When the site uses Cloudflare's CDN (a proxied DNS record), every name nginx serves is proxied and every location that reaches " +
    "the app restores the client address from CF-Connecting-IP for Cloudflare's ranges only; a stack without a CDN passes (optional item).",
  severity: "medium",
  remediationSteps:
    "Set proxied: true on all of the site's A/AAAA/CNAME records, and in nginx.conf's http block add set_real_ip_from for each Cloudflare " +
    "range with real_ip_header CF-Connecting-IP (else rate limits and fail2ban act on Cloudflare's addresses); a server or location with " +
    "its own set_real_ip_from replaces the whole list.",
  framework: checklistFramework("14.5"),
  tags: ["optional"],
  validateStack: (args, report) => {
    const records = dnsRecords(args.resources).filter((r) => ["A", "AAAA", "CNAME"].includes(r.type));
    if (!records.some((r) => r.proxied)) return;
    for (const site of requireNginx(args.resources, report)) {
      const unproxied = servedNames(site.model, site.sockets).filter((name) => !records.some((r) => r.proxied && recordNames(r, name)));
      if (unproxied.length > 0) report(`The CDN is in use but ${unproxied.join(", ")} ${unproxied.length === 1 ? "is" : "are"} not proxied.`, site.container.urn);
      const findings = new NginxFindings();
      for (const request of siteRequests(site.model, site.sockets.filter((s) => s.ssl))) {
        for (const outcome of request.outcomes) {
          if (outcome.action.kind !== "proxy") continue;
          const header = valueOf(outcome.chain, "real_ip_header")?.toLowerCase();
          const trusted = inForce(outcome.chain, "set_real_ip_from").map((d) => d.args[0] ?? "");
          if (header !== "cf-connecting-ip" || trusted.length === 0 || trusted.some((cidr) => ANYWHERE.test(cidr))) {
            findings.add(outcome.server, outcome.location, requestUrl(request.socket, request.host, request.uri),
              "behind Cloudflare but does not restore client addresses (real_ip_header CF-Connecting-IP with set_real_ip_from Cloudflare's ranges only)");
          }
        }
      }
      findings.report(report, site.name, site.container.urn);
    }
  },
});

export const section14Policies: readonly ChecklistPolicy[] = [redisCache, staticCompression, cdnProxied];

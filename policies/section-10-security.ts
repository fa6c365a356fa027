// Section 10, Security Hardening: only nginx publishes ports, and only 80/443; fail2ban jails for
// nginx; security headers that browsers honour on every HTTPS response; per-client rate limits on
// every request that reaches login, admin and API code. SSH (10.2) is the host's, and CSRF (10.7) is
// the app's settings, checked after deployment. The nginx rules ask the model in lib/nginx.
import { checklistFramework, stackPolicy, type ChecklistPolicy } from "./lib/framework";
import { containerName } from "./lib/containers";
import { containers, nginxContainers } from "./lib/stack-resources";
import { known, undecidable, UNKNOWN } from "./lib/unknowns";
import { containerRuntime } from "./lib/docker/runtime";
import { isWebPort, publicSockets } from "./lib/docker/published";
import { parseIni } from "./lib/ini";
import { frameOptionsProtect, judgeCsp, nosniff, PRIVATE_REFERRER_POLICIES, referrerPolicy, type HeaderField } from "./lib/http-headers";
import { NginxFindings } from "./lib/nginx/findings";
import { inForce, valueOf, type RateZone } from "./lib/nginx/model";
import { clientAddressSource, limitReqChain, PUBLIC_CLIENT, PUBLIC_CLIENT_V6 } from "./lib/nginx/request";
import { requestUrl, responseProblems, siteRequests } from "./lib/nginx/sites";
import { requireNginx } from "./lib/nginx/stack";

export const WEB_PORTS = [80, 443];

export const onlyWebPortsPublished = stackPolicy({
  name: "only-web-ports-published",
  description:
    "Only nginx publishes ports on the host's public addresses, and only 80 and 443: no other container publishes a port off loopback " +
    "(an unset ip is 0.0.0.0, [::] every IPv6 address), sets publishAllPorts or uses the host network, and nginx publishes nothing else.",
  severity: "critical",
  alwaysMandatory: true,
  remediationSteps:
    "Remove `ports` and publishAllPorts from every container but nginx (reach them over Docker networks or an SSH tunnel to a 127.0.0.1 " +
    "port), publish nginx on 80 and 443 only, and do not use networkMode host.",
  framework: checklistFramework("10.1"),
  validateStack: (args, report) => {
    const nginx = new Set(nginxContainers(args.resources).map((c) => c.urn));
    for (const container of containers(args.resources)) {
      const name = containerName(container);
      for (const { port, problem } of publicSockets(containerRuntime(container))) {
        if (!nginx.has(container.urn)) report(`Container ${name} ${problem}; only nginx may publish.`, container.urn);
        else if (!isWebPort(port)) report(`nginx ${name} ${problem}; only 80 and 443 are allowed.`, container.urn);
      }
    }
  },
});

const ROOT_STACK = "pulumi:pulumi:Stack";
/** Ban actions that reach traffic to Docker-published ports (FORWARD, not INPUT). */
const DOCKER_AWARE_ACTION = /chain\s*=\s*"?DOCKER-USER|chain_hook\s*=\s*"?forward|cloudflare/i;

export const fail2banConfig = stackPolicy({
  name: "fail2ban-config",
  description: "The stack exports a fail2ban jail.local (output fail2banJailLocal) with enabled nginx jails whose bans reach Docker-published ports.",
  severity: "medium",
  remediationSteps:
    "Export the rendered jail.local as the stack output fail2banJailLocal, with enabled [nginx-…] jails whose action bans in the " +
    'DOCKER-USER chain (iptables) or with chain_hook="forward" (nftables), and install it on the host.',
  framework: checklistFramework("10.3"),
  validateStack: (args, report) => {
    const root = args.resources.find((r) => r.type === ROOT_STACK);
    // Without the root stack resource the outputs are not visible: nothing to judge here (post-deployment check covers it).
    if (!root) return;
    const jailLocal = known(() => root.props.fail2banJailLocal as string | undefined);
    if (jailLocal === UNKNOWN) undecidable("fail2banJailLocal");
    if (typeof jailLocal !== "string" || jailLocal.trim() === "") {
      report("The stack has no fail2banJailLocal output: the host's fail2ban has no jails for nginx.", root.urn);
      return;
    }
    const ini = parseIni(jailLocal);
    const defaultAction = ini.get("default")?.get("action") ?? "";
    const nginxJails = [...ini.entries()].filter(([name, keys]) => /nginx/i.test(name) && /^(true|yes|1)$/i.test(keys.get("enabled") ?? ""));
    if (nginxJails.length === 0) report("fail2banJailLocal enables no nginx jail.", root.urn);
    for (const [name, keys] of nginxJails) {
      if (!DOCKER_AWARE_ACTION.test(keys.get("action") ?? defaultAction)) {
        report(`fail2ban jail [${name}] bans in the INPUT chain, which Docker-published ports bypass.`, root.urn);
      }
    }
  },
});

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Referrer policies that keep paths and queries (order numbers, reset tokens) away from other origins. */
export const ALLOWED_REFERRER_POLICIES = PRIVATE_REFERRER_POLICIES;

const verdicts = new Map<string, string[]>();

/** What a browser makes of one HTTPS response's security headers (empty when they protect it); one verdict per distinct header set. */
function headerProblems(fields: readonly HeaderField[]): string[] {
  const key = JSON.stringify(fields);
  const cached = verdicts.get(key);
  if (cached) return cached;
  const problems: string[] = [];
  verdicts.set(key, problems);
  if (!nosniff(fields)) problems.push("X-Content-Type-Options is not nosniff");
  const csp = judgeCsp(fields);
  problems.push(...csp.problems);
  // Browsers ignore X-Frame-Options when a policy sets frame-ancestors.
  if (csp.setsFrameAncestors ? !csp.framingRestricted : !frameOptionsProtect(fields)) {
    problems.push("framing is not restricted (CSP frame-ancestors 'none'/'self' or X-Frame-Options DENY/SAMEORIGIN)");
  }
  const referrer = referrerPolicy(fields);
  if (!ALLOWED_REFERRER_POLICIES.includes(referrer)) problems.push(referrer === "" ? "no valid Referrer-Policy" : `Referrer-Policy ${referrer} leaks URLs to other origins`);
  if (!fields.some((f) => f.name.toLowerCase() === "permissions-policy" && /=/.test(f.value))) problems.push("no Permissions-Policy");
  return problems;
}

export const securityHeaders = stackPolicy({
  name: "security-headers",
  description:
    "Every HTTPS response of every served name and location, errors included, carries security headers that browsers honour: " +
    "X-Content-Type-Options nosniff, a restrictive Content-Security-Policy, framing restricted, a private Referrer-Policy and a " +
    "Permissions-Policy; no response reveals the nginx version.",
  severity: "high",
  remediationSteps:
    "Send with `always` from each TLS server, and repeat in every location (and error_page location) with its own add_header: " +
    "X-Content-Type-Options nosniff; a Content-Security-Policy whose script-src (or default-src) lists origins without 'unsafe-inline', " +
    "'unsafe-inline' event handlers, `*` or bare schemes, with default-src, object-src 'none' and base-uri set (third-party origins such as " +
    "https://js.stripe.com are fine); frame-ancestors 'none' or X-Frame-Options DENY; Referrer-Policy one of " +
    `${ALLOWED_REFERRER_POLICIES.join(", ")}; a Permissions-Policy. Set server_tokens off in the http block and in no server or location turn it on. ` +
    "Browsers enforce every CSP header, use the first directive of a name in one policy and ignore malformed values.",
  framework: checklistFramework("10.4", "10.8"),
  validateStack: (args, report) => {
    for (const site of requireNginx(args.resources, report)) {
      const findings = new NginxFindings();
      for (const request of siteRequests(site.model, site.sockets)) {
        const example = requestUrl(request.socket, request.host, request.uri);
        for (const outcome of request.outcomes) {
          if (outcome.action.kind !== "close" && valueOf(outcome.chain, "server_tokens", "on") !== "off") {
            findings.add(outcome.server, outcome.location, example, "server_tokens is not off, so responses reveal the nginx version");
          }
          if (!request.socket.ssl) continue;
          // A redirect renders nothing: only HSTS (hsts-header) matters on it.
          const judged = (response: { status: number; fields: readonly HeaderField[] }) => (REDIRECTS.has(response.status) ? [] : headerProblems(response.fields));
          for (const [problem, statuses] of responseProblems(outcome, judged)) findings.add(outcome.server, outcome.location, example, problem, statuses);
        }
      }
      findings.report(report, site.name, site.container.urn);
    }
  },
});

/** Request paths that must be rate limited per client, with the thresholds their zones must meet. */
export const RATE_LIMITED_PATHS = [
  { what: "login", prefixes: ["/accounts/login", "/admin/login"], samples: ["/accounts/login/", "/admin/login/"], maxPerMinute: 20, maxBurst: 20 },
  { what: "admin", prefixes: ["/admin/"], samples: ["/admin/", "/admin/orders/"], maxPerMinute: 300, maxBurst: 100 },
  { what: "API", prefixes: ["/api/"], samples: ["/api/", "/api/v1/orders/"], maxPerMinute: 1200, maxBurst: 200 },
] as const;

/** Variables a client sets itself: a key holding one lets each request pick a fresh bucket. */
const CLIENT_CHOSEN = /\$(request_uri|uri|document_uri|args|query_string|is_args|arg_\w+|http_\w+|cookie_\w+|request)\b/;
const PER_CLIENT = /\$(binary_remote_addr|remote_addr)\b/;

/** Why a zone's key does not count each client separately (undefined when it does). */
function keyProblem(zone: RateZone): string | undefined {
  if (!PER_CLIENT.test(zone.key)) return `zone ${zone.name} is keyed on "${zone.key}", which is not the client address, so all clients share one bucket`;
  const chosen = CLIENT_CHOSEN.exec(zone.key);
  if (chosen) return `zone ${zone.name}'s key "${zone.key}" includes $${chosen[1]}, which the client chooses, so each request can get a fresh bucket`;
  return undefined;
}

export const rateLimiting = stackPolicy({
  name: "rate-limiting",
  description:
    "Every request that reaches the app on a login, admin or API path, on every public socket and name, passes a limit_req zone keyed " +
    "on the client address (one no client can choose through set_real_ip_from), within the stated rate and burst, enforced (not dry-run) and answered with 429.",
  severity: "high",
  remediationSteps:
    "Define limit_req_zone $binary_remote_addr zones and apply them with limit_req in every location that can answer these paths " +
    `(regex and nested locations included): ${RATE_LIMITED_PATHS.map((p) => `${p.what} (${p.prefixes.join(", ")}) at most ${p.maxPerMinute}r/m with burst at most ${p.maxBurst}`).join("; ")}. ` +
    "Set limit_req_status 429, and no limit_req_dry_run on. A location with its own limit_req drops the inherited ones. " +
    "set_real_ip_from must name only the proxies in front of nginx (Cloudflare's ranges), never 0.0.0.0/0 or ::/0: a client it trusts sets its own address in real_ip_header.",
  framework: checklistFramework("10.5", "10.6"),
  validateStack: (args, report) => {
    for (const site of requireNginx(args.resources, report)) {
      const findings = new NginxFindings();
      const samples = RATE_LIMITED_PATHS.flatMap((p) => [...p.samples]);
      for (const request of siteRequests(site.model, site.sockets, samples)) {
        const path = RATE_LIMITED_PATHS.find((p) => p.prefixes.some((prefix) => request.uri.startsWith(prefix)));
        if (!path) continue;
        const example = requestUrl(request.socket, request.host, request.uri);
        for (const outcome of request.outcomes) {
          // Only requests that reach the app can guess passwords or load the API.
          if (outcome.action.kind !== "proxy") continue;
          const add = (problem: string) => findings.add(outcome.server, outcome.location, example, problem);
          // The location whose limits the request met (try_files may hand it to another location afterwards).
          const limitChain = limitReqChain(outcome);
          const limits = inForce(limitChain, "limit_req").map((d) => ({
            zone: site.model.zones.get(d.args.find((a) => a.startsWith("zone="))?.slice(5) ?? ""),
            burst: Number(d.args.find((a) => a.startsWith("burst="))?.slice(6) ?? 0),
          }));
          // A client set_real_ip_from trusts writes its own address into the header nginx reads, so a key on it is the client's choice.
          const forged = clientAddressSource(outcome, request.socket.address.startsWith("[") ? PUBLIC_CLIENT_V6 : PUBLIC_CLIENT);
          if (forged && forged.header !== "proxy_protocol" && limits.some((l) => l.zone && PER_CLIENT.test(l.zone.key))) {
            add(`${path.what} requests are not rate limited per client (set_real_ip_from ${forged.trusted.args[0]} trusts any client, which then picks its address, and so its bucket, in the ${forged.header} header)`);
            continue;
          }
          const perClient = limits.filter((l) => l.zone && keyProblem(l.zone) === undefined);
          if (perClient.length === 0) {
            const why = limits.map((l) => (l.zone ? keyProblem(l.zone) : undefined)).find((w) => w !== undefined);
            add(`${path.what} requests are not rate limited per client${why ? ` (${why})` : ""}`);
            continue;
          }
          const strictest = perClient.reduce((a, b) => (b.zone!.ratePerSecond < a.zone!.ratePerSecond ? b : a));
          const perMinute = strictest.zone!.ratePerSecond * 60;
          if (perMinute > path.maxPerMinute) add(`${path.what} requests are limited to ${strictest.zone!.rateText} (zone ${strictest.zone!.name}), above ${path.maxPerMinute}r/m`);
          if (strictest.burst > path.maxBurst) add(`${path.what} requests get burst=${strictest.burst}, above ${path.maxBurst}`);
          if (valueOf(limitChain, "limit_req_dry_run", "off") === "on") add("limit_req_dry_run is on, so limits are only logged");
          if (valueOf(limitChain, "limit_req_status", "503") !== "429") add(`limit_req_status is ${valueOf(limitChain, "limit_req_status", "503")} (nginx's default 503), not 429`);
        }
      }
      findings.report(report, site.name, site.container.urn);
    }
  },
});

export const section10Policies: readonly ChecklistPolicy[] = [onlyWebPortsPublished, fail2banConfig, securityHeaders, rateLimiting];

// Section 10, Security Hardening: only nginx publishes ports, and only 80/443; fail2ban jails for
// nginx; security headers on every HTTPS response; rate limits on login, admin and API. SSH (10.2)
// is the host's, and CSRF (10.7) is the app's settings, checked after deployment.
import { checklistFramework, stackPolicy, type ChecklistPolicy } from "./lib/framework";
import { containerName } from "./lib/containers";
import { containers, nginxContainers } from "./lib/stack-resources";
import { known, undecidable, UNKNOWN } from "./lib/unknowns";
import { containerRuntime } from "./lib/docker/runtime";
import { isWebPort, publicSockets } from "./lib/docker/published";
import { parseIni } from "./lib/ini";
import { directives, effective, effectiveHeaders, httpBlock, locationPath, locations, servers, type NginxDirective } from "./lib/nginx-conf";
import { requireNginx, servingTlsServers } from "./section-09-tls";

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
    const nginx = new Set(nginxContainers(args.resources).map((n) => n.container.urn));
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

/** The headers every HTTPS response needs, with what their value must say. */
export const REQUIRED_SECURITY_HEADERS: Readonly<Record<string, RegExp>> = {
  "content-security-policy": /default-src|script-src/i,
  "x-content-type-options": /^nosniff$/i,
  "x-frame-options": /^(deny|sameorigin)$/i,
  "referrer-policy": /^(no-referrer|same-origin|strict-origin|strict-origin-when-cross-origin|no-referrer-when-downgrade)$/i,
  "permissions-policy": /=/,
};

function headerProblems(headers: readonly NginxDirective[]): string[] {
  return Object.entries(REQUIRED_SECURITY_HEADERS).flatMap(([header, value]) => {
    const found = headers.find((h) => h.args[0]?.toLowerCase() === header);
    if (!found) return [`${header} missing`];
    if (!value.test(found.args[1] ?? "")) return [`${header} "${found.args[1] ?? ""}" is not a safe value`];
    return found.args[2] === "always" ? [] : [`${header} without always`];
  });
}

export const securityHeaders = stackPolicy({
  name: "security-headers",
  description:
    "Every HTTPS location sends Content-Security-Policy, X-Content-Type-Options nosniff, X-Frame-Options, Referrer-Policy and " +
    "Permissions-Policy with `always`, and nginx hides its version (server_tokens off).",
  severity: "high",
  remediationSteps:
    "Add the five add_header lines with `always` to each TLS server and repeat them in every location with its own add_header; " +
    "set server_tokens off in the http block.",
  framework: checklistFramework("10.4", "10.8"),
  validateStack: (args, report) => {
    for (const { container, conf } of requireNginx(args.resources, report)) {
      const name = containerName(container);
      const http = httpBlock(conf);
      for (const server of servers(conf)) {
        if ((effective("server_tokens", http, server)?.[0] ?? "on") !== "off") {
          report(`nginx ${name}: server_tokens is not off, so responses reveal the nginx version.`, container.urn);
          break;
        }
      }
      for (const server of servingTlsServers(conf)) {
        const label = directives(server, "server_name")[0]?.args.join(" ") ?? "";
        const scopes = [
          { where: "server", headers: effectiveHeaders(http, server) },
          ...locations(server).map(({ location, chain }) => ({ where: `location ${locationPath(location)}`, headers: effectiveHeaders(http, ...chain) })),
        ];
        for (const { where, headers } of scopes) {
          const problems = headerProblems(headers);
          if (problems.length > 0) report(`nginx ${name}, ${label} ${where}: ${problems.join("; ")}.`, container.urn);
        }
      }
    }
  },
});

/** Request paths that must be rate limited, with a sample path nginx would route. */
export const RATE_LIMITED_PATHS: Readonly<Record<string, string>> = {
  login: "/accounts/login/",
  "admin login": "/admin/login/",
  admin: "/admin/",
  api: "/api/",
};

/** The location nginx picks for `path` among prefix locations (longest prefix wins; regexes ignored). */
function prefixLocationFor(server: readonly NginxDirective[], path: string): { location: NginxDirective; chain: (readonly NginxDirective[])[] } | undefined {
  const candidates = locations(server).filter(({ location }) => {
    const modifier = location.args.length > 1 ? location.args[0] : "";
    const p = locationPath(location);
    return modifier === "=" ? p === path : (modifier === "" || modifier === "^~") && path.startsWith(p);
  });
  return candidates.sort((a, b) => locationPath(b.location).length - locationPath(a.location).length)[0];
}

export const rateLimiting = stackPolicy({
  name: "rate-limiting",
  description: "nginx rate-limits login, admin and API requests per client with limit_req zones and answers over-limit requests with 429.",
  severity: "high",
  remediationSteps:
    "Define limit_req_zone $binary_remote_addr zones, set limit_req_status 429 in the http block, and add " +
    "`limit_req zone=<zone> burst=<n> nodelay;` to the locations for /accounts/login, /admin/login, /admin/ and /api/.",
  framework: checklistFramework("10.5", "10.6"),
  validateStack: (args, report) => {
    for (const { container, conf } of requireNginx(args.resources, report)) {
      const name = containerName(container);
      const http = httpBlock(conf);
      const zones = new Set(directives(http, "limit_req_zone").flatMap((d) => d.args.filter((a) => a.startsWith("zone=")).map((a) => a.slice(5).split(":")[0])));
      if (zones.size === 0) report(`nginx ${name} defines no limit_req_zone.`, container.urn);
      for (const server of servingTlsServers(conf)) {
        const label = directives(server, "server_name")[0]?.args.join(" ") ?? "";
        if ((effective("limit_req_status", http, server)?.[0] ?? "503") !== "429") report(`nginx ${name}, ${label}: limit_req_status is not 429 (nginx's default is 503).`, container.urn);
        for (const [what, path] of Object.entries(RATE_LIMITED_PATHS)) {
          const match = prefixLocationFor(server, path);
          const chain = match?.chain ?? [server];
          // nginx inherits limit_req only when the inner level has none, so the innermost ones apply.
          const inForce = [...chain].reverse().map((scope) => directives(scope, "limit_req")).find((l) => l.length > 0) ?? [];
          const zoned = inForce.filter((l) => l.args.some((a) => a.startsWith("zone=") && zones.has(a.slice(5))));
          if (zoned.length === 0) report(`nginx ${name}, ${label}: ${what} requests (${path}) are not rate limited.`, container.urn);
        }
      }
    }
  },
});

export const section10Policies: readonly ChecklistPolicy[] = [onlyWebPortsPublished, fail2banConfig, securityHeaders, rateLimiting];

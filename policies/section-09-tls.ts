// Section 9, SSL/TLS: what the nginx.conf a container receives says about protocols, ciphers, the
// HTTP redirect and HSTS; a certbot container that renews; DNS records for every served name.
import type { PolicyResource } from "@pulumi/policy";
import { checklistFramework, stackPolicy, type ChecklistPolicy } from "./lib/framework";
import { argvOf, containerName, runsImage } from "./lib/containers";
import { containers, nginxContainers, reportMissingService, type NginxContainer } from "./lib/stack-resources";
import { known, UNKNOWN } from "./lib/unknowns";
import { dnsRecords } from "./lib/dns-records";
import { addressProblems, CAA_ISSUER, caaProblems } from "./lib/dns-host-records";
import { configText, configValue } from "./lib/stack-context";
import {
  directives, effective, effectiveHeaders, httpBlock, isRejectingServer, isTlsServer, locationPath, locations, servers,
  type NginxDirective,
} from "./lib/nginx-conf";

type Scope = readonly NginxDirective[];

/** nginx containers, or a violation when the stack has none. */
export function requireNginx(resources: readonly PolicyResource[], report: (message: string) => void): NginxContainer[] {
  const found = nginxContainers(resources);
  if (found.length === 0) reportMissingService(resources, report, "No nginx container (image nginx or an /etc/nginx/nginx.conf upload) is in the stack.");
  for (const n of found) if (n.conf.length === 0) report(`nginx container ${containerName(n.container)} receives no nginx.conf to judge.`);
  return found.filter((n) => n.conf.length > 0);
}

/** TLS servers that serve content (the catch-all that rejects unknown names does not count). */
export const servingTlsServers = (conf: Scope): Scope[] => servers(conf).filter((s) => isTlsServer(s) && !isRejectingServer(s));

/** Names the TLS servers answer for (server_name, minus "_" and wildcards/regexes). */
export function servedNames(conf: Scope): string[] {
  const names = servingTlsServers(conf).flatMap((s) => directives(s, "server_name").flatMap((d) => d.args));
  return [...new Set(names.filter((n) => n !== "_" && n !== "" && !n.startsWith("~") && !n.includes("*")).map((n) => n.toLowerCase()))];
}

/** Cipher tokens that admit broken or unauthenticated suites unless negated with "!". */
const WEAK_CIPHER = /^(ALL|DEFAULT|COMPLEMENTOFDEFAULT|LOW|MEDIUM|EXP|EXPORT.*|.*RC4.*|.*DES.*|.*MD5.*|.*NULL.*|aNULL|eNULL|ADH.*|AECDH.*|.*anon.*|.*PSK.*|.*SRP.*|.*IDEA.*|.*SEED.*|.*CBC.*|.*-SHA|SHA1?|.*CAMELLIA.*)$/i;

export const tlsNginx = stackPolicy({
  name: "tls-nginx",
  description: "nginx serves HTTPS with a certificate, allows only TLS 1.2 and 1.3, and lists no weak or legacy cipher suites.",
  severity: "critical",
  alwaysMandatory: true,
  remediationSteps:
    "In nginx.conf's http block set ssl_protocols TLSv1.2 TLSv1.3 and ssl_ciphers to Mozilla's intermediate list " +
    "(ECDHE/DHE with AES-GCM or CHACHA20-POLY1305 only), and give each TLS server ssl_certificate and ssl_certificate_key.",
  framework: checklistFramework("9.3"),
  validateStack: (args, report) => {
    for (const { container, conf } of requireNginx(args.resources, report)) {
      const name = containerName(container);
      const tls = servingTlsServers(conf);
      if (tls.length === 0) report(`nginx ${name} has no server listening with ssl.`, container.urn);
      for (const server of tls) {
        const label = directives(server, "server_name")[0]?.args.join(" ") ?? "(no server_name)";
        const protocols = effective("ssl_protocols", httpBlock(conf), server);
        // nginx's default (1.23+) still enables TLSv1 and TLSv1.1.
        const legacy = protocols === undefined ? ["default (TLSv1 TLSv1.1 …)"] : protocols.filter((p) => p !== "TLSv1.2" && p !== "TLSv1.3");
        if (legacy.length > 0) report(`nginx ${name}, server ${label}: ssl_protocols allows ${legacy.join(", ")}.`, container.urn);
        const ciphers = effective("ssl_ciphers", httpBlock(conf), server);
        const weak = ciphers === undefined ? ["default HIGH:!aNULL:!MD5 (includes CBC suites)"]
          : ciphers.join(":").split(/[:\s,]+/).filter((c) => c !== "" && !/^[!-]/.test(c) && WEAK_CIPHER.test(c.replace(/^\+/, "")));
        if (weak.length > 0) report(`nginx ${name}, server ${label}: ssl_ciphers admits weak suites: ${weak.join(", ")}.`, container.urn);
        if (effective("ssl_certificate", httpBlock(conf), server) === undefined) report(`nginx ${name}, server ${label}: no ssl_certificate.`, container.urn);
      }
    }
  },
});

const ACME_PATH = "/.well-known/acme-challenge/";

/** Whether a `return` sends the client to the same URL over HTTPS with a permanent redirect. */
function redirectsToHttps(scope: Scope): boolean {
  return directives(scope, "return").some((r) => (r.args[0] === "301" || r.args[0] === "308") && /^https:\/\//.test(r.args[1] ?? "") && (r.args[1] ?? "").includes("$request_uri"));
}

export const httpRedirectHttps = stackPolicy({
  name: "http-redirect-https",
  description: "Every plain-HTTP server for the site's names answers with a permanent redirect to https:// keeping $request_uri; only the ACME challenge path is served over HTTP.",
  severity: "high",
  alwaysMandatory: true,
  remediationSteps:
    "In each `listen 80` server, keep `location ^~ /.well-known/acme-challenge/ { root …; }` and make every other request " +
    "`return 301 https://$host$request_uri;`.",
  framework: checklistFramework("9.4"),
  validateStack: (args, report) => {
    for (const { container, conf } of requireNginx(args.resources, report)) {
      const names = new Set(servedNames(conf));
      const plain = servers(conf).filter((s) => !isTlsServer(s) && !isRejectingServer(s)
        && directives(s, "server_name").some((d) => d.args.some((n) => names.has(n.toLowerCase()))));
      if (plain.length === 0) report(`nginx ${containerName(container)} has no plain-HTTP server for ${[...names].join(", ") || "its names"} to redirect to HTTPS.`, container.urn);
      for (const server of plain) {
        // A server-level return runs before any location is chosen: everything is redirected.
        if (redirectsToHttps(server)) continue;
        const label = directives(server, "server_name")[0]?.args.join(" ") ?? "";
        const others = locations(server).filter(({ location }) => !locationPath(location).startsWith(ACME_PATH.slice(0, -1)));
        for (const { location, chain } of others) {
          if (!redirectsToHttps(chain[chain.length - 1]!)) {
            report(`nginx ${containerName(container)}, HTTP server ${label}: location ${locationPath(location)} does not return 301 https://…$request_uri.`, container.urn);
          }
        }
        if (!others.some(({ location }) => location.args.length === 1 && locationPath(location) === "/")) {
          report(`nginx ${containerName(container)}, HTTP server ${label} has no catch-all redirect (a server-level return or location /).`, container.urn);
        }
      }
    }
  },
});

export const HSTS_MIN_MAX_AGE = 31_536_000;

/** Why a header list lacks a compliant HSTS header, or undefined when it has one. */
function hstsProblem(headers: readonly NginxDirective[]): string | undefined {
  const hsts = headers.find((h) => h.args[0]?.toLowerCase() === "strict-transport-security");
  if (!hsts) return "no Strict-Transport-Security header";
  const value = hsts.args[1] ?? "";
  const maxAge = Number(/max-age=(\d+)/i.exec(value)?.[1] ?? NaN);
  if (!(maxAge >= HSTS_MIN_MAX_AGE)) return `HSTS max-age ${Number.isNaN(maxAge) ? "missing" : maxAge} is below ${HSTS_MIN_MAX_AGE}`;
  if (!/includeSubDomains/i.test(value)) return "HSTS lacks includeSubDomains";
  if (hsts.args[2] !== "always") return "HSTS is not sent with `always` (missing on error responses)";
  return undefined;
}

export const hstsHeader = stackPolicy({
  name: "hsts-header",
  description: "Every HTTPS response, in every location and on errors too, carries Strict-Transport-Security with max-age of at least one year and includeSubDomains.",
  severity: "high",
  remediationSteps:
    'Add `add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;` to each TLS server, and repeat it ' +
    "in every location that has its own add_header (nginx does not inherit add_header into such locations).",
  framework: checklistFramework("9.5"),
  validateStack: (args, report) => {
    for (const { container, conf } of requireNginx(args.resources, report)) {
      for (const server of servingTlsServers(conf)) {
        const label = directives(server, "server_name")[0]?.args.join(" ") ?? "";
        const scopes: { where: string; headers: NginxDirective[] }[] = [
          { where: "server", headers: effectiveHeaders(httpBlock(conf), server) },
          ...locations(server).map(({ location, chain }) => ({ where: `location ${locationPath(location)}`, headers: effectiveHeaders(httpBlock(conf), ...chain) })),
        ];
        for (const { where, headers } of scopes) {
          const problem = hstsProblem(headers);
          if (problem) report(`nginx ${containerName(container)}, ${label} ${where}: ${problem}.`, container.urn);
        }
      }
    }
  },
});

const RESTARTING = new Set(["always", "unless-stopped", "on-failure"]);

export const certbotRenewal = stackPolicy({
  name: "certbot-renewal",
  description: "A Certbot container obtains the site's Let's Encrypt certificate and keeps running a renewal loop, restarted by Docker if it stops.",
  severity: "high",
  remediationSteps:
    "Run certbot/certbot with restart unless-stopped and a command that runs `certbot certonly --webroot …` once and then " +
    "`certbot renew` in a loop (e.g. every 12 hours), sharing /etc/letsencrypt with nginx.",
  framework: checklistFramework("9.2", "9.6"),
  validateStack: (args, report) => {
    const certbots = containers(args.resources).filter((c) => runsImage(c, /(^|\/)certbot(\/[a-z-]+)?$|^certbot\/dns-[a-z]+$/));
    if (certbots.length === 0) reportMissingService(args.resources, report, "No Certbot container (image certbot/certbot) is in the stack.");
    for (const certbot of certbots) {
      const script = argvOf(certbot).join(" ");
      const name = containerName(certbot);
      if (!/\bcertonly\b|\bcertbot\s+run\b/.test(script)) report(`Certbot ${name} never requests a certificate (no certbot certonly).`, certbot.urn);
      if (!/\brenew\b/.test(script)) report(`Certbot ${name} never runs certbot renew.`, certbot.urn);
      else if (!/\bwhile\b|\bsleep\b|\bcron|--loop/.test(script)) report(`Certbot ${name} runs renew once instead of in a loop.`, certbot.urn);
      const restart = known(() => certbot.props.restart as string | undefined);
      // Docker's default restart policy is "no": a crashed renewal loop would stay down.
      if (restart !== UNKNOWN && !RESTARTING.has(restart ?? "no")) report(`Certbot ${name} has restart "${restart ?? "no"}": a stopped renewal loop is not restarted.`, certbot.urn);
    }
  },
});

export const dnsRecordsForDomains = stackPolicy({
  name: "dns-records",
  description:
    "Every name nginx serves over HTTPS resolves, in the stack's DNS, only to the Docker host's addresses (every A/AAAA record, through " +
    "CNAMEs in the zone), and the CAA records in force for it let Let's Encrypt, and only it, issue.",
  severity: "high",
  remediationSteps:
    "Declare a cloudflare.DnsRecord of type A (and AAAA if the host has IPv6) with the host's address (config cloudflare.hostIpv4/hostIpv6) " +
    `for the primary domain and each alias, and nothing pointing elsewhere; CAA issue "${CAA_ISSUER}" and issuewild ";" at the apex.`,
  framework: checklistFramework("9.1"),
  validateStack: (args, report, stack) => {
    const records = dnsRecords(args.resources);
    const apex = (configText(stack, "domain") ?? "").toLowerCase();
    const cloudflare = (configValue(stack, "cloudflare") ?? {}) as { hostIpv4?: string; hostIpv6?: string };
    for (const { container, conf } of requireNginx(args.resources, report)) {
      const names = servedNames(conf);
      if (names.length === 0) report(`nginx ${containerName(container)} serves no named HTTPS site.`, container.urn);
      for (const name of names) {
        for (const problem of [...addressProblems(records, name, apex, { ipv4: cloudflare.hostIpv4, ipv6: cloudflare.hostIpv6 }), ...caaProblems(records, name, apex)]) {
          report(`${problem}.`, container.urn);
        }
      }
    }
  },
});

export const section09Policies: readonly ChecklistPolicy[] = [tlsNginx, httpRedirectHttps, hstsHeader, certbotRenewal, dnsRecordsForDomains];

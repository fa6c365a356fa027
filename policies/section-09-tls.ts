// Section 9, SSL/TLS: the TLS nginx really negotiates on every public socket and name, the HTTP
// redirect every plain-HTTP name gets, HSTS on every HTTPS response, a certbot container that renews
// through a challenge path nginx really serves, DNS records for every served name. The rules ask the
// effective-configuration model (lib/nginx); none reads nginx text.
import type { PolicyResource } from "@pulumi/policy";
import { checklistFramework, stackPolicy, type ChecklistPolicy } from "./lib/framework";
import { argvOf, containerName, runsImage } from "./lib/containers";
import { containers, reportMissingService } from "./lib/stack-resources";
import { known, UNKNOWN } from "./lib/unknowns";
import { dnsRecords } from "./lib/dns-records";
import { addressProblems, CAA_ISSUER, caaProblems } from "./lib/dns-host-records";
import { configText, configValue } from "./lib/stack-context";
import { acmeDirectory, certbotRuns, certificateCovers, LETS_ENCRYPT_DIRECTORY, longestSleep, requestedNames } from "./lib/certbot";
import { parseHsts } from "./lib/http-headers";
import { containerMounts, shellWords } from "./lib/nginx/container-input";
import { NginxFindings } from "./lib/nginx/findings";
import { isUnderDir } from "./lib/nginx/input";
import { serverFor, type ListenSocket } from "./lib/nginx/model";
import { respond, staticFilePath, type Outcome } from "./lib/nginx/request";
import { requestUrl, responseProblems, servedNames, siteRequests, socketHosts, UNKNOWN_HOST, witnessUris } from "./lib/nginx/sites";
import { requireNginx, type NginxSite } from "./lib/nginx/stack";
import { handshake, intermediateProfileGaps, MOZILLA_INTERMEDIATE } from "./lib/nginx/tls";

export const tlsNginx = stackPolicy({
  name: "tls-nginx",
  description:
    "Every public HTTPS socket of nginx negotiates only what Mozilla's intermediate profile allows, for every name a client sends: " +
    "TLS 1.2 and 1.3, the profile's cipher suites as OpenSSL expands ssl_ciphers, a DH group of at least 2048 bits, a certificate; " +
    "no published port serves plain HTTP where HTTPS is expected, and nginx accepts its configuration.",
  severity: "critical",
  alwaysMandatory: true,
  remediationSteps:
    "Set ssl_protocols TLSv1.2 TLSv1.3 in the http block (nginx takes the protocol versions from each listen socket's default server, " +
    `so a per-server setting does not help), ssl_ciphers to Mozilla's intermediate list (${MOZILLA_INTERMEDIATE.tls12Ciphers.join(":")}) ` +
    "with no ssl_conf_command that re-enables older protocols or ciphers, ssl_dhparam to the ffdhe2048 group, an ssl_certificate for " +
    "every TLS server, and `ssl` on every listen of port 443.",
  framework: checklistFramework("9.3"),
  validateStack: (args, report) => {
    for (const site of requireNginx(args.resources, report, { reportStartupErrors: true })) {
      const urn = site.container.urn;
      const tls = site.sockets.filter((s) => s.ssl);
      if (!tls.some((socket) => socketHosts(socket).some((host) => !handshake(site.model, socket, host).rejected))) {
        report(`nginx ${site.name} has no published socket that completes a TLS handshake.`, urn);
      }
      for (const socket of site.sockets.filter((s) => !s.ssl && s.port === 443)) {
        report(`nginx ${site.name} serves plain HTTP on ${socket.address}:443 (no listen there says ssl).`, urn);
      }
      const seen = new Set<string>();
      for (const socket of tls) {
        for (const sni of [undefined, ...socketHosts(socket)]) {
          const h = handshake(site.model, socket, sni);
          if (h.rejected) continue;
          for (const gap of intermediateProfileGaps(h)) {
            const message = `nginx ${site.name}, ${socket.address}:${socket.port} ${sni === undefined ? "without SNI" : `for ${sni === UNKNOWN_HOST ? "an unconfigured name" : sni}`}: ${gap}.`;
            const key = `${socket.address}:${socket.port}|${h.server.index}|${gap}`;
            if (!seen.has(key)) report(message, urn);
            seen.add(key);
          }
        }
      }
    }
  },
});

const ACME_PREFIX = "/.well-known/acme-challenge/";
const PERMANENT = new Set([301, 308]);

/** Requests every served name must redirect (other paths may also be refused, never served). */
const MUST_REDIRECT = ["/", "/probe/path/"];

/**
 * Why a plain-HTTP answer is not a permanent redirect to the same URL over HTTPS (undefined when it
 * is, or when it refuses a path that need not be served).
 */
function redirectProblem(outcome: Outcome, host: string, requestUri: string, mustRedirect: boolean, names: ReadonlySet<string>, httpsPorts: ReadonlySet<number>): string | undefined {
  const action = outcome.action;
  if (action.kind === "close") return mustRedirect ? "closes the connection instead of redirecting" : undefined;
  if (action.kind !== "return") return `serves ${action.kind === "proxy" ? "the app" : "content"} over plain HTTP`;
  if (action.url === undefined) return action.status >= 400 && !mustRedirect ? undefined : `answers ${action.status} without redirecting to HTTPS`;
  let url: URL;
  try {
    url = new URL(action.url);
  } catch {
    return `redirects to "${action.url}", not to an https:// URL`;
  }
  if (url.protocol !== "https:") return `redirects to ${action.url}, not to HTTPS`;
  if (url.hostname !== host && !names.has(url.hostname)) return `redirects to ${url.host}, which is not the requested name nor a name nginx serves over HTTPS`;
  if (!httpsPorts.has(url.port === "" ? 443 : Number(url.port))) return `redirects to port ${url.port || 443}, where nginx serves no HTTPS`;
  if (`${url.pathname}${url.search}` !== requestUri) return `redirects to ${url.pathname}${url.search}, dropping the requested path or query`;
  if (!PERMANENT.has(action.status)) return `redirects with ${action.status} instead of a permanent 301 or 308`;
  return undefined;
}

export const httpRedirectHttps = stackPolicy({
  name: "http-redirect-https",
  description:
    "Every public plain-HTTP socket answers every name the site serves, on every path but the ACME challenge, with a permanent " +
    "redirect (301 or 308) to the same URL over HTTPS; names the site does not serve get that redirect or nothing, never content.",
  severity: "high",
  alwaysMandatory: true,
  remediationSteps:
    "Publish port 80 with a server for every HTTPS name (aliases and IPv6 listens included) that keeps `location ^~ /.well-known/acme-challenge/ { root …; }` " +
    "and answers everything else with `return 301 https://$host$request_uri;` (a 302, a lost $request_uri or a `return` limited to some locations does not do).",
  framework: checklistFramework("9.4"),
  validateStack: (args, report) => {
    for (const site of requireNginx(args.resources, report)) {
      const names = new Set(servedNames(site.model, site.sockets));
      const httpsPorts = new Set(site.sockets.filter((s) => s.ssl).map((s) => site.hostPortOf(s.port) ?? s.port));
      const plain = site.sockets.filter((s) => !s.ssl);
      if (plain.length === 0) report(`nginx ${site.name} has no public plain-HTTP socket, so http:// requests for ${[...names].join(", ") || "its names"} get no redirect.`, site.container.urn);
      const findings = new NginxFindings();
      for (const socket of plain) {
        for (const host of new Set([...names, ...socketHosts(socket)])) {
          const server = serverFor(socket, host);
          for (const uri of witnessUris(server, MUST_REDIRECT).filter((u) => !u.startsWith(ACME_PREFIX))) {
            const requestUri = `${uri}?probe=1`;
            const mustRedirect = names.has(host) && MUST_REDIRECT.includes(uri);
            for (const outcome of respond({ socket, host, uri, args: "probe=1" })) {
              const problem = redirectProblem(outcome, host, requestUri, mustRedirect, names, httpsPorts);
              if (problem) findings.add(outcome.server, outcome.location, requestUrl(socket, host, requestUri), problem);
            }
          }
        }
      }
      findings.report(report, site.name, site.container.urn);
    }
  },
});

export const HSTS_MIN_MAX_AGE = 31_536_000;

export const hstsHeader = stackPolicy({
  name: "hsts-header",
  description:
    "Every HTTPS response of every served name and location, errors included, carries one valid Strict-Transport-Security header " +
    "with max-age of at least one year and includeSubDomains.",
  severity: "high",
  remediationSteps:
    `Send \`add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;\` (max-age at least ${HSTS_MIN_MAX_AGE}) from every ` +
    "TLS server, and repeat it in every location (and error_page location) with its own add_header, since nginx then drops the " +
    "inherited ones. Browsers read only the first such header and ignore one with a repeated or malformed directive.",
  framework: checklistFramework("9.5"),
  validateStack: (args, report) => {
    for (const site of requireNginx(args.resources, report)) {
      const findings = new NginxFindings();
      for (const request of siteRequests(site.model, site.sockets.filter((s) => s.ssl))) {
        for (const outcome of request.outcomes) {
          for (const [problem, statuses] of responseProblems(outcome, (response) => {
            const hsts = parseHsts(response.fields);
            if (typeof hsts === "string") return [hsts];
            if (hsts.maxAge < HSTS_MIN_MAX_AGE) return [`HSTS max-age ${hsts.maxAge} is below ${HSTS_MIN_MAX_AGE}`];
            return hsts.includeSubDomains ? [] : ["HSTS lacks includeSubDomains"];
          })) findings.add(outcome.server, outcome.location, requestUrl(request.socket, request.host, request.uri), problem, statuses);
        }
      }
      findings.report(report, site.name, site.container.urn);
    }
  },
});

const RESTARTING = new Set(["always", "unless-stopped", "on-failure"]);
/**
 * Let's Encrypt's integration guide: check for renewal at least daily. Its certificates last 90 days and
 * certbot renews in the last 30 (renew_before_expiry), so a daily loop has 30 tries for outages and limits.
 */
const MAX_RENEWAL_INTERVAL_SECONDS = 86_400;
const CERTBOT_IMAGE = /(^|\/)certbot(\/[a-z-]+)?$|^certbot\/dns-[a-z]+$/;

/** The volume and folder in it where certbot's HTTP-01 webroot (-w/--webroot-path) puts challenge files. */
function certbotWebroot(certbot: PolicyResource): { volume: string; folder: string; path: string } | undefined {
  const words = argvOf(certbot).flatMap(shellWords);
  if (!words.includes("--webroot") && !words.some((w, i) => (w === "-a" || w === "--authenticator") && words[i + 1] === "webroot")) return undefined;
  const at = words.findIndex((w) => w === "-w" || w === "--webroot-path" || w.startsWith("--webroot-path="));
  if (at < 0) return undefined;
  const path = words[at]!.includes("=") ? words[at]!.slice(words[at]!.indexOf("=") + 1) : words[at + 1] ?? "";
  const mount = containerMounts(certbot).find((m) => m.volume !== undefined && isUnderDir(path, m.target));
  return mount ? { volume: mount.volume!, folder: path.slice(mount.target.replace(/\/+$/, "").length), path } : undefined;
}

/** Whether nginx answers a challenge request with the file certbot wrote (following one redirect to HTTPS). */
function challengeProblem(site: NginxSite, sockets: readonly ListenSocket[], host: string, webroot: { volume: string; folder: string; path: string }, followed = false): string | undefined {
  const uri = `${ACME_PREFIX}probe-token`;
  for (const socket of sockets) {
    for (const outcome of respond({ socket, host, uri })) {
      // certbot has written the challenge file before Let's Encrypt asks: try_files finds it, so its fallback never answers.
      if (outcome.filesAbsent) continue;
      const action = outcome.action;
      if (action.kind === "static") {
        const file = staticFilePath(outcome, uri) ?? "";
        const mount = containerMounts(site.container).find((m) => m.volume === webroot.volume && isUnderDir(file, m.target));
        if (!mount || file.slice(mount.target.replace(/\/+$/, "").length) !== `${webroot.folder}${uri}`) {
          return `${requestUrl(socket, host, uri)} reads ${file}, not the file certbot writes under ${webroot.path} (volume ${webroot.volume})`;
        }
        continue;
      }
      if (action.kind === "return" && action.url?.startsWith(`https://${host}`) && !followed) {
        const tls = site.sockets.filter((s) => s.ssl && s.port === site.containerPortOf(443));
        const after = challengeProblem(site, tls, host, webroot, true);
        if (after) return after;
        continue;
      }
      const what = action.kind === "return" ? `${action.status}${action.url ? ` to ${action.url}` : ""}` : action.kind === "close" ? "a closed connection" : `the ${action.kind} handler`;
      return `${requestUrl(socket, host, uri)} is answered with ${what}, so Let's Encrypt cannot read the challenge`;
    }
  }
  return undefined;
}

export const certbotRenewal = stackPolicy({
  name: "certbot-renewal",
  description:
    "A Certbot container obtains the site's Let's Encrypt certificate, from the production CA and for every name nginx serves over HTTPS, " +
    "and keeps running a renewal loop that saves what it renews, restarted by Docker if it stops, " +
    "and nginx serves its HTTP-01 challenge files from certbot's webroot for every served name on port 80.",
  severity: "high",
  remediationSteps:
    "Run certbot/certbot with restart unless-stopped and a command that runs `certbot certonly --webroot -w <webroot> …` once and then " +
    "`certbot renew` in a loop (e.g. every 12 hours), sharing /etc/letsencrypt with nginx; mount the webroot's volume in nginx and serve " +
    "`location ^~ /.well-known/acme-challenge/ { root <that mount>; }` on port 80 for every name (^~ so no regex location takes it). " +
    "Name every HTTPS name nginx serves with -d, leave out --dry-run, --staging/--test-cert and any --server but Let's Encrypt's production directory, " +
    "and let the loop sleep at most a day between renewal tries.",
  framework: checklistFramework("9.2", "9.6"),
  validateStack: (args, report) => {
    const certbots = containers(args.resources).filter((c) => runsImage(c, CERTBOT_IMAGE));
    if (certbots.length === 0) reportMissingService(args.resources, report, "No Certbot container (image certbot/certbot) is in the stack.");
    for (const certbot of certbots) {
      const script = argvOf(certbot).join(" ");
      const name = containerName(certbot);
      if (!/\bcertonly\b|\bcertbot\s+run\b/.test(script)) report(`Certbot ${name} never requests a certificate (no certbot certonly).`, certbot.urn);
      if (!/\brenew\b/.test(script)) report(`Certbot ${name} never runs certbot renew.`, certbot.urn);
      else if (!/\bwhile\b|\bsleep\b|\bcron|--loop/.test(script)) report(`Certbot ${name} runs renew once instead of in a loop.`, certbot.urn);
      else {
        const pause = longestSleep(argvOf(certbot));
        if (pause !== undefined && pause > MAX_RENEWAL_INTERVAL_SECONDS) {
          report(`Certbot ${name}'s renewal loop sleeps ${pause === Infinity ? "forever" : `${+(pause / 86_400).toFixed(2)} days`} between tries: certbot renews only in a certificate's last 30 days, ` +
            `so tries less often than daily (Let's Encrypt's advice) leave too few before it expires.`, certbot.urn);
        }
      }
      const restart = known(() => certbot.props.restart as string | undefined);
      // Docker's default restart policy is "no": a crashed renewal loop would stay down.
      if (restart !== UNKNOWN && !RESTARTING.has(restart ?? "no")) report(`Certbot ${name} has restart "${restart ?? "no"}": a stopped renewal loop is not restarted.`, certbot.urn);
      // What each run really does: --dry-run saves nothing, --staging/--server fetch from a CA browsers do not trust.
      const runs = certbotRuns(argvOf(certbot)).filter((run) => run.verb === "certonly" || run.verb === "run" || run.verb === "renew");
      for (const run of runs) {
        if (run.flags.has("dry-run")) {
          report(`Certbot ${name} runs \`certbot ${run.verb} --dry-run\`, which only tests against the staging CA and saves nothing: ${run.verb === "renew" ? "no certificate is ever renewed" : "no certificate is obtained"}.`, certbot.urn);
        }
        const directory = acmeDirectory(run);
        if (directory !== LETS_ENCRYPT_DIRECTORY) {
          report(`Certbot ${name} runs \`certbot ${run.verb}\` against ${directory}, not Let's Encrypt's production CA (${LETS_ENCRYPT_DIRECTORY}): browsers do not trust what it issues.`, certbot.urn);
        }
      }
      const requested = runs.filter((run) => run.verb !== "renew").flatMap(requestedNames);
      const webroot = certbotWebroot(certbot);
      // Other nginx rules report missing or unjudgeable nginx configurations.
      for (const site of requireNginx(args.resources, () => undefined)) {
        // renew keeps each certificate's names; only certonly/run choose them.
        const uncovered = servedNames(site.model, site.sockets).filter((host) => !certificateCovers(requested, host));
        if (runs.some((run) => run.verb !== "renew") && uncovered.length > 0) {
          report(`nginx ${site.name} serves ${uncovered.join(", ")} over HTTPS, but Certbot ${name} requests its certificate for ${requested.join(", ") || "no name"} (-d): browsers reject the certificate there.`, site.container.urn);
        }
        if (!webroot) continue;
        const port80 = site.sockets.filter((s) => !s.ssl && s.port === site.containerPortOf(80));
        if (port80.length === 0) {
          report(`nginx ${site.name} serves no plain HTTP on the host's port 80, where Let's Encrypt sends certbot's HTTP-01 challenges.`, site.container.urn);
          continue;
        }
        for (const host of servedNames(site.model, site.sockets)) {
          const problem = challengeProblem(site, port80, host, webroot);
          if (problem) report(`nginx ${site.name}: ${problem}.`, site.container.urn);
        }
      }
    }
  },
});

export const dnsRecordsForDomains = stackPolicy({
  name: "dns-records",
  description:
    "Every name nginx serves over HTTPS on a public socket resolves, in the stack's DNS, only to the Docker host's addresses (every A/AAAA " +
    "record, through CNAMEs in the zone), and the CAA records in force for it let Let's Encrypt, and only it, issue.",
  severity: "high",
  remediationSteps:
    "Declare a cloudflare.DnsRecord of type A (and AAAA if the host has IPv6) with the host's address (config cloudflare.hostIpv4/hostIpv6) " +
    `for the primary domain and each alias nginx serves, and nothing pointing elsewhere; CAA issue "${CAA_ISSUER}" and issuewild ";" at the apex.`,
  framework: checklistFramework("9.1"),
  validateStack: (args, report, stack) => {
    const records = dnsRecords(args.resources);
    const apex = (configText(stack, "domain") ?? "").toLowerCase();
    const cloudflare = (configValue(stack, "cloudflare") ?? {}) as { hostIpv4?: string; hostIpv6?: string };
    for (const site of requireNginx(args.resources, report)) {
      const names = servedNames(site.model, site.sockets);
      if (names.length === 0) report(`nginx ${site.name} serves no named HTTPS site.`, site.container.urn);
      for (const name of names) {
        for (const problem of [...addressProblems(records, name, apex, { ipv4: cloudflare.hostIpv4, ipv6: cloudflare.hostIpv6 }), ...caaProblems(records, name, apex)]) {
          report(`${problem}.`, site.container.urn);
        }
      }
    }
  },
});

export const section09Policies: readonly ChecklistPolicy[] = [tlsNginx, httpRedirectHttps, hstsHeader, certbotRenewal, dnsRecordsForDomains];

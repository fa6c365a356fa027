// What the edge's nginx is declared to serve, read from the nginx.conf the program uploads into the
// container, with the policy pack's nginx reader (policies/lib/nginx-conf.ts). Kept in this one module
// so that it can move onto the pack's per-server model (policies/lib/nginx/) when that lands: the
// protocols and ciphers of the TLS listener, the names it serves, the headers each location adds (and
// on which answers), the limit_req rates, and the redirect of the plain-HTTP server.
import {
  directives,
  effective,
  effectiveHeaders,
  httpBlock,
  isRejectingServer,
  isTlsServer,
  locationPath,
  parseNginxConf,
  servers,
  type NginxDirective,
} from "../../policies/lib/nginx-conf";
import { uploadsMatching, type DeclaredContainer } from "./containers";

/** nginx's defaults when ssl_protocols / ssl_ciphers are not set (nginx 1.22 and later). */
const DEFAULT_PROTOCOLS = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];
const DEFAULT_CIPHERS = "HIGH:!aNULL:!MD5";
/** add_header without `always` applies to these answers only (ngx_http_headers_filter). */
const STATUSES_WITHOUT_ALWAYS = new Set([200, 201, 204, 206, 301, 302, 303, 304, 307, 308]);

export interface DeclaredHeader {
  readonly name: string;
  readonly value: string;
  readonly always: boolean;
}

export interface DeclaredRateLimit {
  readonly zone: string;
  readonly ratePerSecond: number;
  readonly rateText: string;
  readonly burst: number;
  readonly nodelay: boolean;
}

export interface DeclaredLocation {
  readonly modifier: string;
  readonly path: string;
  readonly headers: readonly DeclaredHeader[];
  readonly rateLimit?: DeclaredRateLimit;
  /** `return 301 …` target, when the location redirects. */
  readonly redirect?: { readonly status: number; readonly target: string };
}

export interface DeclaredServer {
  readonly names: readonly string[];
  readonly port: number;
  readonly tls: boolean;
  /** Headers of the server level (what an error answered before location matching gets). */
  readonly headers: readonly DeclaredHeader[];
  readonly locations: readonly DeclaredLocation[];
}

export interface DeclaredEdge {
  readonly container: string;
  /** nginx's listen port -> the host port Docker publishes it on. */
  readonly published: ReadonlyMap<number, number>;
  readonly https: DeclaredServer;
  readonly http?: DeclaredServer;
  readonly protocols: readonly string[];
  /** The OpenSSL cipher string for TLS 1.2 and below. */
  readonly ciphers: string;
  /** TLS 1.3 suites from `ssl_conf_command Ciphersuites`; undefined: OpenSSL's default three. */
  readonly tls13Suites?: readonly string[];
  readonly confFile: string;
  /** host:port of every `upstream { server … }` nginx proxies to (gunicorn …). */
  readonly upstreams: readonly string[];
}

function headersOf(chain: (readonly NginxDirective[])[]): DeclaredHeader[] {
  return effectiveHeaders(...chain).map((d) => ({ name: d.args[0] ?? "", value: d.args[1] ?? "", always: d.args[2] === "always" }));
}

/** "10r/m" -> 1/6 per second. */
function rateOf(text: string): number {
  const match = /^(\d+(?:\.\d+)?)r\/([sm])$/.exec(text);
  if (!match) throw new Error(`nginx.conf: limit_req_zone rate "${text}" is not N r/s or r/m`);
  return Number(match[1]) / (match[2] === "m" ? 60 : 1);
}

function zones(http: readonly NginxDirective[]): Map<string, { rateText: string; ratePerSecond: number }> {
  const result = new Map<string, { rateText: string; ratePerSecond: number }>();
  for (const d of directives(http, "limit_req_zone")) {
    const zone = d.args.find((a) => a.startsWith("zone="))?.slice(5).split(":")[0];
    const rate = d.args.find((a) => a.startsWith("rate="))?.slice(5);
    if (zone && rate) result.set(zone, { rateText: rate, ratePerSecond: rateOf(rate) });
  }
  return result;
}

function server(block: readonly NginxDirective[], http: readonly NginxDirective[], rateZones: ReturnType<typeof zones>): DeclaredServer {
  const listen = directives(block, "listen")[0]?.args[0] ?? "80";
  const port = Number(/(\d+)$/.exec(listen)?.[1] ?? 80);
  const locations = directives(block, "location").map((location): DeclaredLocation => {
    const inner = location.block ?? [];
    const limit = effective("limit_req", http, block, inner);
    const zone = limit?.find((a) => a.startsWith("zone="))?.slice(5);
    const ret = directives(inner, "return")[0]?.args;
    return {
      modifier: location.args.length > 1 ? location.args[0]! : "",
      path: locationPath(location),
      headers: headersOf([http, block, inner]),
      rateLimit: zone && rateZones.has(zone)
        ? { zone, ...rateZones.get(zone)!, burst: Number(limit!.find((a) => a.startsWith("burst="))?.slice(6) ?? 0), nodelay: limit!.includes("nodelay") }
        : undefined,
      redirect: ret && /^30[1278]$/.test(ret[0] ?? "") ? { status: Number(ret[0]), target: ret[1] ?? "" } : undefined,
    };
  });
  return { names: directives(block, "server_name").flatMap((d) => d.args), port, tls: isTlsServer(block), headers: headersOf([http, block]), locations };
}

/** The location nginx picks for a URI: exact match, else the longest prefix unless a regex matches first. */
export function locationFor(server: DeclaredServer, uri: string): DeclaredLocation | undefined {
  const exact = server.locations.find((l) => l.modifier === "=" && l.path === uri);
  if (exact) return exact;
  const prefixes = server.locations.filter((l) => (l.modifier === "" || l.modifier === "^~") && uri.startsWith(l.path));
  const longest = prefixes.sort((a, b) => b.path.length - a.path.length)[0];
  if (longest?.modifier === "^~") return longest;
  const regex = server.locations.find((l) => (l.modifier === "~" || l.modifier === "~*") && new RegExp(l.path, l.modifier === "~*" ? "i" : "").test(uri));
  return regex ?? longest;
}

/** The headers nginx adds to an answer with `status` from this location (or the server level). */
export function headersOn(location: DeclaredLocation | DeclaredServer, status: number): DeclaredHeader[] {
  return location.headers.filter((h) => h.always || STATUSES_WITHOUT_ALWAYS.has(status));
}

/** The edge: the container that receives an nginx.conf and publishes the TLS port. */
export function declaredEdge(containers: readonly DeclaredContainer[]): DeclaredEdge {
  for (const container of containers) {
    const conf = uploadsMatching(container, /(^|\/)nginx\.conf$/)[0];
    if (!conf) continue;
    const parsed = parseNginxConf(conf.text);
    const http = httpBlock(parsed);
    const rateZones = zones(http);
    const serving = servers(parsed).filter((s) => !isRejectingServer(s) && directives(s, "server_name").length > 0);
    const tls = serving.find(isTlsServer);
    if (!tls) continue;
    const https = server(tls, http, rateZones);
    const plainServer = serving.find((s) => !isTlsServer(s) && directives(s, "server_name").some((d) => d.args.some((n) => https.names.includes(n))));
    const suites = directives(http, "ssl_conf_command").find((d) => d.args[0]?.toLowerCase() === "ciphersuites")?.args[1];
    return {
      container: container.name,
      published: new Map(container.ports.map((p) => [p.internal, p.external])),
      https,
      http: plainServer ? server(plainServer, http, rateZones) : undefined,
      protocols: effective("ssl_protocols", http, tls) ?? DEFAULT_PROTOCOLS,
      ciphers: (effective("ssl_ciphers", http, tls) ?? [DEFAULT_CIPHERS]).join(":"),
      tls13Suites: suites?.split(":"),
      confFile: conf.file,
      upstreams: directives(http, "upstream").flatMap((u) => directives(u.block ?? [], "server").map((d) => d.args[0] ?? "")),
    };
  }
  throw new Error("the program declares no container that receives an nginx.conf with a TLS server: there is no edge to verify");
}

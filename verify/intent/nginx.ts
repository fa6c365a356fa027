// What the edge's nginx is declared to serve, read through the policy pack's effective-configuration
// model (policies/lib/nginx/): the same container input, server and location selection, add_header
// merging, error_page and TLS handshake the pack judges before deployment, so verify compares the
// live edge with exactly what the pack approved. Nothing here reads nginx text itself.
import type { PolicyResource } from "@pulumi/policy";
import { requireNginx, type NginxSite } from "../../policies/lib/nginx/stack";
import { allLocations, blocks, inForce, serverFor, type Level, type ListenSocket, type NginxLocation, type NginxServer } from "../../policies/lib/nginx/model";
import { CIPHER_SUITES } from "../../policies/lib/nginx/openssl-ciphers";
import { addedHeaders, errorPageChain, respond, type Outcome } from "../../policies/lib/nginx/request";
import { servedNames } from "../../policies/lib/nginx/sites";
import { handshake } from "../../policies/lib/nginx/tls";
import { UserInputError } from "../../check/errors";

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

/** One listen socket of the edge and the host port Docker publishes it on. */
export interface EdgeSocket {
  readonly socket: ListenSocket;
  readonly hostPort: number;
}

export interface DeclaredEdge {
  readonly container: string;
  readonly site: NginxSite;
  /** The names served over TLS (the pack's servedNames: handshake accepted, requests not dropped). */
  readonly names: readonly string[];
  readonly https: EdgeSocket;
  /** The plain-HTTP socket that answers the served names, when one is published. */
  readonly http?: EdgeSocket;
  /** Protocol versions a client can complete (ssl_protocols and ssl_conf_command under OpenSSL 3's security level). */
  readonly protocols: readonly string[];
  /** TLS 1.2-and-older suites the cipher string enables, as OpenSSL 3.0 expands it. */
  readonly tls12Ciphers: readonly string[];
  readonly tls13Suites: readonly string[];
  /** host:port of every `upstream { server … }` nginx proxies to (gunicorn …). */
  readonly upstreams: readonly string[];
  /** Every host port the edge container publishes. */
  readonly publishedPorts: readonly number[];
}

export type Scheme = "http" | "https";

const socketOf = (edge: DeclaredEdge, scheme: Scheme): ListenSocket | undefined => (scheme === "https" ? edge.https : edge.http)?.socket;

/** The server a request for `host` reaches on the scheme's socket. */
export function serverAt(edge: DeclaredEdge, scheme: Scheme, host: string): NginxServer | undefined {
  const socket = socketOf(edge, scheme);
  return socket && serverFor(socket, host);
}

/** How nginx answers GET `uri` for `host` (the first way, when a condition the request does not decide splits it). */
export function outcomeOf(edge: DeclaredEdge, scheme: Scheme, host: string, uri: string): Outcome | undefined {
  const socket = socketOf(edge, scheme);
  return socket && respond({ socket, host, uri: uri.split("?")[0]!, args: uri.split("?")[1] })[0];
}

/**
 * The headers add_header puts on an answer with `status` to `uri`: the levels in force where the
 * answer is made (error_page's target for an error), `always` ones on every status, the others on
 * 2xx/3xx only. Without a URI, the server level's (an answer made before a location is chosen, as a
 * refused request line).
 */
export function declaredHeaders(edge: DeclaredEdge, scheme: Scheme, host: string, uri: string | undefined, status: number): DeclaredHeader[] {
  let chain: readonly Level[] | undefined;
  if (uri === undefined) chain = serverAt(edge, scheme, host)?.chain;
  else {
    const outcome = outcomeOf(edge, scheme, host, uri);
    chain = outcome && (status >= 400 ? errorPageChain(outcome, status).chain : outcome.chain);
  }
  return (chain ? addedHeaders(chain, status) : []).map(({ name, value, always }) => ({ name, value, always }));
}

/** The limit_req in force for these levels, with its zone's rate. */
export function rateLimitOf(edge: DeclaredEdge, chain: readonly Level[]): DeclaredRateLimit | undefined {
  const line = inForce(chain, "limit_req")[0];
  const zoneName = line?.args.find((a) => a.startsWith("zone="))?.slice(5);
  const zone = zoneName === undefined ? undefined : edge.site.model.zones.get(zoneName);
  if (!line || !zone) return undefined;
  return {
    zone: zone.name, ratePerSecond: zone.ratePerSecond, rateText: zone.rateText,
    burst: Number(line.args.find((a) => a.startsWith("burst="))?.slice(6) ?? 0),
    nodelay: line.args.includes("nodelay"),
  };
}

/** The rate limit a request to `uri` over HTTPS meets. */
export function rateLimitAt(edge: DeclaredEdge, host: string, uri: string): DeclaredRateLimit | undefined {
  const outcome = outcomeOf(edge, "https", host, uri);
  return outcome && outcome.action.kind !== "return" ? rateLimitOf(edge, outcome.chain) : undefined;
}

/** Every location of the HTTPS server for `host` with the limit_req in force there. */
export function limitedLocations(edge: DeclaredEdge, host: string): { location: NginxLocation; limit: DeclaredRateLimit }[] {
  const server = serverAt(edge, "https", host);
  return (server ? allLocations(server) : []).flatMap((location) => {
    const limit = rateLimitOf(edge, location.chain);
    return limit ? [{ location, limit }] : [];
  });
}

/** The redirect plain HTTP answers for `uri`, as nginx interpolates it; undefined when it does not redirect. */
export function redirectOf(edge: DeclaredEdge, host: string, uri: string): { status: number; url?: string } | undefined {
  const action = outcomeOf(edge, "http", host, uri)?.action;
  return action?.kind === "return" && action.status >= 300 && action.status < 400 ? { status: action.status, url: action.url } : undefined;
}

/** The TLS 1.2-and-older suites a certificate of `keyType` can negotiate under `protocol`. */
export function suitesFor(edge: DeclaredEdge, protocol: string, keyType: string): string[] {
  if (protocol === "TLSv1.3") return [...edge.tls13Suites];
  const auth = keyType === "ec" ? "ECDSA" : keyType === "rsa" || keyType === "rsa-pss" ? "RSA" : keyType.toUpperCase();
  // A suite runs on its own protocol and later ones (TLS 1.2's GCM suites not on TLS 1.1).
  const order = ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2"];
  const reaches = (suiteProtocol: string) => order.indexOf(suiteProtocol) <= order.indexOf(protocol);
  const suites = new Map(CIPHER_SUITES.map((s) => [s.name, s]));
  return edge.tls12Ciphers.filter((name) => {
    const suite = suites.get(name);
    return suite !== undefined && reaches(suite.protocol) && (suite.au === auth || suite.au === "None");
  });
}

/** The edge: the stack's nginx container with a public TLS socket that serves names. */
export function declaredEdge(resources: readonly PolicyResource[]): DeclaredEdge {
  const problems: string[] = [];
  for (const site of requireNginx(resources, (message) => problems.push(message))) {
    const tls = site.sockets.find((s) => s.ssl && servedNames(site.model, [s]).length > 0);
    if (!tls) continue;
    const names = servedNames(site.model, [tls]);
    const plain = site.sockets.find((s) => !s.ssl && s.servers.some((server) => names.some((n) => serverFor(s, n) === server)));
    const shake = handshake(site.model, tls, names[0]);
    const published = (socket: ListenSocket): EdgeSocket => ({ socket, hostPort: site.hostPortOf(socket.port) ?? socket.port });
    const ports = site.container.props.ports as { external?: number; internal?: number }[] | undefined;
    return {
      container: site.name, site, names,
      https: published(tls),
      http: plain && published(plain),
      protocols: shake.negotiable,
      tls12Ciphers: shake.negotiable.some((p) => p !== "TLSv1.3") ? shake.tls12Ciphers : [],
      tls13Suites: shake.negotiable.includes("TLSv1.3") ? shake.tls13Suites : [],
      upstreams: blocks(site.model.http, "upstream").flatMap((u) => (u.block ?? []).filter((d) => d.name === "server").map((d) => d.args[0] ?? "")),
      publishedPorts: (ports ?? []).map((p) => p.external ?? p.internal ?? 0).filter((p) => p > 0),
    };
  }
  // The program is the user's input: a stack with no edge is a mistake to name, not an internal error.
  throw new UserInputError(`the program declares no nginx container with a published TLS server that serves a name: there is no edge to verify${problems.length > 0 ? ` (${problems.join(" ")})` : ""}`);
}

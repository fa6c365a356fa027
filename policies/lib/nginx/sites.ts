// "Every" for the nginx rules: every listen socket clients can reach, every name a request can carry
// there (each server_name, a sample of each wildcard, and a name nobody configured), every location a
// request can reach. Rules walk this matrix through respond(), the same way nginx routes a request.
import type { HeaderField } from "../http-headers";
import { allLocations, inForce, serverFor, valueOf, type Level, type ListenSocket, type NginxModel, type NginxServer } from "./model";
import { addedHeaders, errorPageChain, outcomeStatus, respond, type Outcome } from "./request";
import { handshake } from "./tls";
import { regexWitness } from "./witness";

/** Container ports reachable from outside: the published internal ports, or "all" (host network, nothing published). */
export type ReachablePorts = ReadonlySet<number> | "all";

/** A Host nobody configured: what scanners and forged requests send. */
export const UNKNOWN_HOST = "unconfigured-name.invalid";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost|unix:.*)$/;

/**
 * Sockets a client outside the container can connect to: not loopback, on a reachable port, and IPv6
 * ones only when IPv6 reaches the container (Docker's proxy forwards IPv6 clients to the container's
 * IPv4 address unless the container's network has IPv6).
 */
export function publicSockets(model: NginxModel, ports: ReachablePorts, ipv6: boolean): ListenSocket[] {
  return model.sockets.filter((s) => !LOOPBACK.test(s.address) && (ipv6 || !s.address.startsWith("[")) && (ports === "all" || ports.has(s.port)));
}

/** Sample names for a server's server_name entries (a wildcard becomes one name it matches). */
function sampleNames(server: NginxServer): string[] {
  return server.names.flatMap((n) => {
    switch (n.kind) {
      case "exact": return n.name === "" ? [] : [n.name];
      case "head": return [`sample${n.suffix}`];
      case "tail": return [`${n.prefix}com`];
      case "regex": return [];
    }
  });
}

/** Names a request on `socket` can carry that reach distinct behaviour: every configured name and an unknown one. */
export function socketHosts(socket: ListenSocket): string[] {
  return [...new Set([...socket.servers.flatMap(sampleNames), UNKNOWN_HOST])];
}

/** Hosts whose requests are answered on `socket` (over TLS: the handshake for that SNI name is not rejected). */
export function answeredHosts(model: NginxModel, socket: ListenSocket): string[] {
  return socketHosts(socket).filter((host) => !socket.ssl || !handshake(model, socket, host).rejected);
}

/**
 * "/", the extra URIs, and a URI reaching each location of the server: a prefix or exact location's
 * own path, a regex location's generated witness, also placed under each extra folder ("/api/" and
 * `\.json$` give "/api/probe/.json"), so a regex that takes over part of a folder is found.
 */
export function witnessUris(server: NginxServer, extra: readonly string[] = []): string[] {
  const uris = ["/", ...extra];
  for (const location of allLocations(server)) {
    if (location.modifier === "@") continue;
    if (!location.regex) {
      uris.push(location.path === "" ? "/" : location.path);
      continue;
    }
    const w = regexWitness(location.regex);
    if (!w) continue;
    const underFolders = extra.filter((e) => e.endsWith("/")).map((folder) => `${folder}probe${w}`);
    uris.push(...[w, ...underFolders].filter((u) => location.regex!.test(u)));
  }
  return [...new Set(uris)];
}

export interface SiteRequest {
  readonly socket: ListenSocket;
  readonly host: string;
  readonly uri: string;
  readonly outcomes: readonly Outcome[];
}

/** The request matrices already answered, per model: rules asking for the same one share it. */
const answered = new WeakMap<NginxModel, Map<string, SiteRequest[]>>();

/** Every (socket, host, URI) a client can send and what nginx answers, over the sockets given. */
export function siteRequests(model: NginxModel, sockets: readonly ListenSocket[], extraUris: readonly string[] = []): SiteRequest[] {
  const key = JSON.stringify([sockets.map((s) => `${s.address}:${s.port}`), extraUris]);
  const known = answered.get(model) ?? new Map<string, SiteRequest[]>();
  answered.set(model, known);
  const cached = known.get(key);
  if (cached) return cached;
  const out: SiteRequest[] = [];
  for (const socket of sockets) {
    for (const host of answeredHosts(model, socket)) {
      const server = serverFor(socket, host);
      for (const uri of witnessUris(server, extraUris)) {
        out.push({ socket, host, uri, outcomes: respond({ socket, host, uri, args: "probe=1" }) });
      }
    }
  }
  known.set(key, out);
  return out;
}

/** Whether a request's answers serve content (not only closing the connection or refusing). */
export const serves = (outcomes: readonly Outcome[]): boolean => outcomes.some((o) => o.action.kind !== "close");

const served = new WeakMap<NginxModel, Map<string, string[]>>();

/**
 * Names the site serves over TLS on the public sockets: each configured exact name whose handshake is
 * accepted and whose requests are not all dropped.
 */
export function servedNames(model: NginxModel, sockets: readonly ListenSocket[]): string[] {
  const key = sockets.map((s) => `${s.address}:${s.port}`).join(" ");
  const known = served.get(model) ?? new Map<string, string[]>();
  served.set(model, known);
  const cached = known.get(key);
  if (cached) return cached;
  const names = new Set<string>();
  for (const socket of sockets.filter((s) => s.ssl)) {
    for (const host of answeredHosts(model, socket)) {
      if (host === UNKNOWN_HOST || host.startsWith("sample.")) continue;
      const server = serverFor(socket, host);
      if (!server.names.some((n) => n.kind === "exact" && n.name === host)) continue;
      if (serves(respond({ socket, host, uri: "/" }))) names.add(host);
    }
  }
  known.set(key, [...names]);
  return [...names];
}

/** A response nginx sends for an outcome, with the headers add_header puts on it. */
export interface JudgedResponse {
  readonly status: number;
  readonly fields: readonly HeaderField[];
  readonly chain: readonly Level[];
}

/**
 * The responses an outcome can produce: its own status, and the errors it can end in (a proxied
 * request: 502 from a dead upstream; files: 404; a rate limit: its status), each after error_page.
 */
export function judgedResponses(outcome: Outcome): JudgedResponse[] {
  const own = outcomeStatus(outcome);
  if (own === undefined) return [];
  const statuses = [own];
  if (outcome.action.kind === "proxy") statuses.push(502);
  if (outcome.action.kind === "static") statuses.push(404);
  if (outcome.action.kind !== "return" && inForce(outcome.chain, "limit_req").length > 0) statuses.push(Number(valueOf(outcome.chain, "limit_req_status", "503")));
  return [...new Set(statuses)].map((status) => {
    const { chain, status: sent } = status >= 400 ? errorPageChain(outcome, status) : { chain: outcome.chain, status };
    return { status: sent, chain, fields: addedHeaders(chain, sent).map((h) => ({ name: h.name, value: h.value })) };
  });
}

/** "https://name:443/path" for messages. */
export const requestUrl = (socket: ListenSocket, host: string, uri: string): string =>
  `${socket.ssl ? "https" : "http"}://${host}${(socket.ssl && socket.port === 443) || (!socket.ssl && socket.port === 80) ? "" : `:${socket.port}`}${uri}`;

/** Judges each response of an outcome: each problem with the statuses whose responses have it. */
export function responseProblems(outcome: Outcome, judge: (response: JudgedResponse) => readonly string[]): [problem: string, statuses: number[]][] {
  const statuses = new Map<string, number[]>();
  for (const response of judgedResponses(outcome)) {
    for (const problem of judge(response)) statuses.set(problem, [...(statuses.get(problem) ?? []), response.status]);
  }
  return [...statuses];
}

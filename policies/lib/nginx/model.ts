// nginx's effective HTTP configuration: the listen sockets and the servers behind each, the server a
// Host selects, the location a URI selects, and the value of a directive in force at any level,
// computed as nginx computes them (ngx_http_find_virtual_server, ngx_http_core_find_location, the
// modules' merge functions). Proven against nginx 1.22 in tests/servers/nginx-model.test.ts.
import { DIRECTIVES } from "./directives";
import type { NginxInput } from "./input";
import type { ConfigProblem, LoadedConfig } from "./load";
import type { NginxDirective } from "./syntax";

/** One configuration level: http, a server, a location, an `if` block. */
export type Level = readonly NginxDirective[];

export type LocationModifier = "" | "=" | "^~" | "~" | "~*" | "@";

export interface NginxLocation {
  readonly modifier: LocationModifier;
  /** The prefix, exact URI, regex source or @name. */
  readonly path: string;
  readonly regex?: RegExp;
  readonly directive: NginxDirective;
  readonly locations: readonly NginxLocation[];
  /** Levels in force here, outermost first: http, server, enclosing locations, this one. */
  readonly chain: readonly Level[];
  readonly server: NginxServer;
}

export interface ListenDirective {
  /** "*" (all IPv4), "[::]" (all IPv6), an address, or "unix:…". */
  readonly address: string;
  readonly port: number;
  readonly ssl: boolean;
  readonly http2: boolean;
  readonly defaultServer: boolean;
  readonly directive?: NginxDirective;
}

export type ServerName =
  | { readonly kind: "exact"; readonly name: string }
  | { readonly kind: "head"; readonly suffix: string; readonly text: string } // *.example.com
  | { readonly kind: "tail"; readonly prefix: string; readonly text: string } // www.example.*
  | { readonly kind: "regex"; readonly regex: RegExp; readonly text: string };

export interface NginxServer {
  /** Order of appearance, from 0. */
  readonly index: number;
  readonly directive: NginxDirective;
  readonly names: readonly ServerName[];
  /** The first server_name as written ("" when none): $server_name. */
  readonly primaryName: string;
  readonly listens: readonly ListenDirective[];
  readonly locations: readonly NginxLocation[];
  /** http, then this server. */
  readonly chain: readonly Level[];
}

/** One address:port nginx accepts connections on, with the servers that answer there. */
export interface ListenSocket {
  readonly address: string;
  readonly port: number;
  /** TLS when any server's listen for this address:port says ssl (nginx ORs the flag). */
  readonly ssl: boolean;
  readonly http2: boolean;
  /** default_server, else the first server listening here. */
  readonly defaultServer: NginxServer;
  readonly servers: readonly NginxServer[];
}

export interface RateZone {
  readonly name: string;
  readonly key: string;
  /** Requests per second. */
  readonly ratePerSecond: number;
  readonly rateText: string;
  readonly directive: NginxDirective;
}

/** The lines of `name` in force at the innermost level of `chain` that has any (nginx's merge rule). */
export function inForce(chain: readonly Level[], name: string): NginxDirective[] {
  const spec = DIRECTIVES[name];
  const levels = spec?.merge === "local" ? chain.slice(-1) : chain;
  for (let i = levels.length - 1; i >= 0; i--) {
    const found = levels[i]!.filter((d) => d.name === name && !d.block);
    if (found.length > 0) return found;
  }
  return [];
}

/** The first argument of the line in force, or `fallback` (nginx's default) when no level sets it. */
export const valueOf = (chain: readonly Level[], name: string, fallback?: string): string | undefined =>
  inForce(chain, name)[0]?.args[0] ?? fallback;

export const blocks = (level: Level, name: string): NginxDirective[] => level.filter((d) => d.name === name && d.block !== undefined);

/** Parses a `listen` directive's arguments; undefined for forms nginx would refuse. */
export function parseListen(d: NginxDirective): ListenDirective | undefined {
  const [first, ...options] = d.args;
  if (!first) return undefined;
  let address = "*";
  let port = 80;
  if (first.startsWith("unix:")) {
    address = first;
    port = 0;
  } else if (/^\d+$/.test(first)) {
    port = Number(first);
  } else {
    const v6 = /^(\[[^\]]*\])(?::(\d+))?$/.exec(first);
    const v4 = /^([^:]+)(?::(\d+))?$/.exec(first);
    const match = v6 ?? v4;
    if (!match) return undefined;
    address = match[1] === "0.0.0.0" ? "*" : match[1]!.toLowerCase();
    if (address === "[::0]" || address === "[0:0:0:0:0:0:0:0]") address = "[::]";
    port = match[2] ? Number(match[2]) : 80;
  }
  return {
    address, port, directive: d,
    ssl: options.includes("ssl"),
    http2: options.includes("http2"),
    defaultServer: options.includes("default_server") || options.includes("default"),
  };
}

function parseServerName(text: string): ServerName[] {
  if (text.startsWith("~")) {
    try {
      return [{ kind: "regex", regex: pcreToRegExp(text.slice(1), false), text }];
    } catch {
      return [];
    }
  }
  const name = text.toLowerCase();
  if (name.startsWith(".")) return [{ kind: "exact", name: name.slice(1) }, { kind: "head", suffix: name, text }];
  if (name.startsWith("*.")) return [{ kind: "head", suffix: name.slice(1), text }];
  if (name.endsWith(".*")) return [{ kind: "tail", prefix: name.slice(0, -1), text }];
  return [{ kind: "exact", name }];
}

/** PCRE as nginx hands it to the library, in JavaScript's dialect (named groups (?P<n>…) become (?<n>…)). */
export function pcreToRegExp(source: string, caseless: boolean): RegExp {
  return new RegExp(source.replace(/\(\?P</g, "(?<"), caseless ? "i" : "");
}

export interface NginxModel {
  readonly input: NginxInput;
  readonly loaded: LoadedConfig;
  /** The http block's directives ([] without one). */
  readonly http: Level;
  readonly servers: readonly NginxServer[];
  readonly sockets: readonly ListenSocket[];
  readonly zones: ReadonlyMap<string, RateZone>;
  /** nginx -t's verdict: the reasons it refuses to start (empty when it starts). */
  readonly errors: readonly ConfigProblem[];
}

/**
 * ngx_http_limit_req_zone: an optional r/s or r/m suffix (none means per second), and ngx_atoi of the
 * rest, which takes digits only and must be positive: "rate=0.5r/s", "rate=0r/m" or "rate=10r/h" make
 * nginx refuse to start ("invalid rate", proven with nginx 1.22 -t), "rate=10" is 10r/s.
 */
const RATE = /^rate=(\d+)(r\/[sm])?$/;

function rateZones(http: Level, errors: ConfigProblem[]): Map<string, RateZone> {
  const zones = new Map<string, RateZone>();
  for (const d of http.filter((x) => x.name === "limit_req_zone")) {
    const zoneArg = d.args.find((a) => a.startsWith("zone="))?.slice(5) ?? "";
    const name = zoneArg.split(":")[0] ?? "";
    const rateArg = d.args.find((a) => a.startsWith("rate=")) ?? "";
    const rate = RATE.exec(rateArg);
    if (!name || !rate || Number(rate[1]) <= 0 || !/:\d+[km]?$/i.test(zoneArg)) {
      errors.push({ message: `invalid limit_req_zone "${d.args.join(" ")}"`, file: d.file, line: d.line });
      continue;
    }
    if (zones.has(name)) {
      errors.push({ message: `limit_req_zone "${name}" is already bound to key "${zones.get(name)!.key}"`, file: d.file, line: d.line });
      continue;
    }
    const perUnit = Number(rate[1]);
    zones.set(name, { name, key: d.args[0] ?? "", ratePerSecond: rate[2] === "r/m" ? perUnit / 60 : perUnit, rateText: rateArg.slice(5), directive: d });
  }
  return zones;
}

function buildLocations(level: Level, chain: readonly Level[], server: () => NginxServer, errors: ConfigProblem[], parent?: NginxLocation): NginxLocation[] {
  const out: NginxLocation[] = [];
  const staticPaths = new Set<string>();
  for (const d of blocks(level, "location")) {
    const [a, b] = d.args;
    let modifier: LocationModifier = "";
    let path = a ?? "";
    if (b !== undefined && ["=", "^~", "~", "~*"].includes(a!)) {
      modifier = a as LocationModifier;
      path = b;
    } else if (path.startsWith("@")) modifier = "@";
    else if (path.startsWith("=") && path.length > 1) { modifier = "="; path = path.slice(1); }
    else if (path.startsWith("~*")) { modifier = "~*"; path = path.slice(2); }
    else if (path.startsWith("~")) { modifier = "~"; path = path.slice(1); }
    let regex: RegExp | undefined;
    if (modifier === "~" || modifier === "~*") {
      try {
        regex = pcreToRegExp(path, modifier === "~*");
      } catch {
        errors.push({ message: `pcre2_compile() failed for "${path}"`, file: d.file, line: d.line });
        continue;
      }
    } else if (modifier !== "@") {
      const key = `${modifier === "=" ? "=" : ""}${path}`;
      if (staticPaths.has(key)) errors.push({ message: `duplicate location "${path}"`, file: d.file, line: d.line });
      staticPaths.add(key);
      if (parent && (parent.modifier === "" || parent.modifier === "^~") && !path.startsWith(parent.path)) {
        errors.push({ message: `location "${path}" is outside location "${parent.path}"`, file: d.file, line: d.line });
      }
    }
    const own = d.block ?? [];
    const locationChain = [...chain, own];
    const nested: NginxLocation[] = [];
    const location: NginxLocation = {
      modifier, path, regex, directive: d, chain: locationChain, locations: nested,
      get server() { return server(); },
    };
    nested.push(...buildLocations(own, locationChain, server, errors, location));
    out.push(location);
  }
  return out;
}

export function buildNginxModel(input: NginxInput, loaded: LoadedConfig): NginxModel {
  const errors = [...loaded.errors];
  const httpBlocks = blocks(loaded.main, "http");
  const http: Level = httpBlocks[0]?.block ?? [];
  const servers: NginxServer[] = blocks(http, "server").map((d, index) => {
    const own = d.block ?? [];
    const chain = [http, own];
    const nameArgs = own.filter((x) => x.name === "server_name").flatMap((x) => x.args);
    const listens = own.filter((x) => x.name === "listen").map((x) => {
      const parsed = parseListen(x);
      if (!parsed) errors.push({ message: `invalid listen "${x.args.join(" ")}"`, file: x.file, line: x.line });
      return parsed;
    }).filter((l): l is ListenDirective => l !== undefined);
    // Without a listen directive a server listens on *:80 (the official image's master runs as root).
    const effectiveListens = listens.length > 0 ? listens : [{ address: "*", port: 80, ssl: false, http2: false, defaultServer: false }];
    let self: NginxServer | undefined;
    const server: NginxServer = {
      index, directive: d, chain,
      names: nameArgs.length > 0 ? nameArgs.flatMap(parseServerName) : [{ kind: "exact", name: "" }],
      primaryName: nameArgs[0] ?? "",
      listens: effectiveListens,
      locations: buildLocations(own, chain, () => self!, errors),
    };
    self = server;
    return server;
  });
  return { input, loaded, http, servers, sockets: listenSockets(servers, errors), zones: rateZones(http, errors), errors };
}

function listenSockets(servers: readonly NginxServer[], errors: ConfigProblem[]): ListenSocket[] {
  const byKey = new Map<string, { address: string; port: number; ssl: boolean; http2: boolean; servers: NginxServer[]; defaults: NginxServer[] }>();
  for (const server of servers) {
    for (const listen of server.listens) {
      const key = `${listen.address}:${listen.port}`;
      const entry = byKey.get(key) ?? { address: listen.address, port: listen.port, ssl: false, http2: false, servers: [], defaults: [] };
      entry.ssl ||= listen.ssl;
      entry.http2 ||= listen.http2;
      if (!entry.servers.includes(server)) entry.servers.push(server);
      if (listen.defaultServer) {
        if (entry.defaults.length > 0 && listen.directive) {
          errors.push({ message: `a duplicate default server for ${key}`, file: listen.directive.file, line: listen.directive.line });
        }
        entry.defaults.push(server);
      }
      byKey.set(key, entry);
    }
  }
  return [...byKey.values()].map((e) => {
    const defaultServer = e.defaults[0] ?? e.servers[0]!;
    // `ssl on` (before 1.25.1) in the socket's default server makes every connection there TLS.
    const sslOn = valueOf(defaultServer.chain, "ssl") === "on";
    return { address: e.address, port: e.port, ssl: e.ssl || sslOn, http2: e.http2, servers: e.servers, defaultServer };
  });
}

/** The Host as nginx compares it: lowercase, without port and trailing dot. */
export function normalizeHost(host: string): string {
  const lower = host.trim().toLowerCase();
  const withoutPort = lower.startsWith("[") ? lower.replace(/(\])(:\d+)?$/, "$1") : lower.replace(/:\d+$/, "");
  return withoutPort.replace(/\.$/, "");
}

/** The server that answers `host` on `socket`: exact name, longest *.suffix, longest prefix.*, first regex, else the default. */
export function serverFor(socket: ListenSocket, host: string | undefined): NginxServer {
  const name = host === undefined ? "" : normalizeHost(host);
  const candidates = socket.servers;
  const exact = candidates.find((s) => s.names.some((n) => n.kind === "exact" && n.name === name));
  if (exact) return exact;
  let best: { server: NginxServer; length: number } | undefined;
  for (const s of candidates) for (const n of s.names) {
    if (n.kind === "head" && name.endsWith(n.suffix) && (!best || n.suffix.length > best.length)) best = { server: s, length: n.suffix.length };
  }
  if (best) return best.server;
  for (const s of candidates) for (const n of s.names) {
    if (n.kind === "tail" && name.startsWith(n.prefix) && (!best || n.prefix.length > best.length)) best = { server: s, length: n.prefix.length };
  }
  if (best) return best.server;
  const regex = candidates.find((s) => s.names.some((n) => n.kind === "regex" && n.regex.test(name)));
  return regex ?? socket.defaultServer;
}

type Found = { readonly location?: NginxLocation; readonly done: boolean };

/** ngx_http_core_find_location: exact, longest prefix (into its nested ones), then regexes in order unless ^~. */
function findIn(locations: readonly NginxLocation[], uri: string): Found {
  const exact = locations.find((l) => l.modifier === "=" && l.path === uri);
  if (exact) return { location: exact, done: true };
  let prefix: NginxLocation | undefined;
  for (const l of locations) {
    if ((l.modifier === "" || l.modifier === "^~") && uri.startsWith(l.path) && (!prefix || l.path.length > prefix.path.length)) prefix = l;
  }
  let current = prefix;
  if (prefix) {
    const nested = findIn(prefix.locations, uri);
    if (nested.done) return nested;
    current = nested.location ?? prefix;
    if (prefix.modifier === "^~") return { location: current, done: false };
  }
  for (const l of locations) {
    if (l.regex && l.regex.test(uri)) {
      const nested = findIn(l.locations, uri);
      return { location: nested.location ?? l, done: true };
    }
  }
  return { location: current, done: false };
}

/** The location that answers `uri` (already normalised) on `server`; undefined means the server level itself. */
export function locationFor(server: NginxServer, uri: string): NginxLocation | undefined {
  return findIn(server.locations, uri).location;
}

/** Every location of a server, nested ones included, in order. */
export function allLocations(server: NginxServer): NginxLocation[] {
  const out: NginxLocation[] = [];
  const walk = (ls: readonly NginxLocation[]) => ls.forEach((l) => { out.push(l); walk(l.locations); });
  walk(server.locations);
  return out;
}

export const namedLocation = (server: NginxServer, name: string): NginxLocation | undefined =>
  allLocations(server).find((l) => l.modifier === "@" && l.path === name);

/** "server example.org (nginx.conf:12)" for messages. */
export function describeServer(server: NginxServer): string {
  const names = server.names.length > 0 && server.primaryName !== "" ? server.directive.block?.filter((d) => d.name === "server_name").flatMap((d) => d.args).join(" ") : "(no server_name)";
  return `server ${names} (${shortFile(server.directive.file)}:${server.directive.line})`;
}

export function describeLocation(location: NginxLocation | undefined): string {
  if (!location) return "server level";
  const mod = location.modifier === "" || location.modifier === "@" ? "" : `${location.modifier} `;
  return `location ${mod}${location.path} (${shortFile(location.directive.file)}:${location.directive.line})`;
}

export const shortFile = (file: string): string => file.slice(file.lastIndexOf("/") + 1);

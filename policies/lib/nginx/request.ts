// What nginx does with one request: the server the Host selects, the server's rewrite phase (return,
// rewrite, if), the location, the location's rewrite phase and `if` blocks, then the content handler.
// A condition the request does not decide (a cookie, a file test) yields both outcomes, so a rule
// judges every way the request can go.
import {
  inForce, locationFor, namedLocation, normalizeHost, pcreToRegExp, serverFor, valueOf,
  type Level, type ListenSocket, type NginxLocation, type NginxServer,
} from "./model";
import type { NginxDirective } from "./syntax";
import { cidrContains, maskOf, parseIp, width } from "../ip";

export interface HttpRequest {
  readonly socket: ListenSocket;
  /** The Host header (and SNI); undefined for a request without one. */
  readonly host: string | undefined;
  /** Normalised path, without the query. */
  readonly uri: string;
  readonly args?: string;
  readonly method?: string;
  /** The client address, for allow/deny (default: a public address no rule names). */
  readonly client?: string;
}

export type Action =
  | { readonly kind: "return"; readonly status: number; readonly text?: string; readonly url?: string }
  /** `return 444`: the connection is closed without a response. */
  | { readonly kind: "close" }
  | { readonly kind: "proxy"; readonly target: string }
  /** Files from disk: the request's path under `root`, or under `alias` in place of the location's prefix. */
  | { readonly kind: "static"; readonly root?: string; readonly alias?: string }
  | { readonly kind: "status" };

export interface Outcome {
  readonly request: HttpRequest;
  readonly server: NginxServer;
  /** undefined when the server's rewrite phase answered before any location was chosen. */
  readonly location?: NginxLocation;
  /** Levels in force for the answer, outermost first (http, server, locations, an `if` block). */
  readonly chain: readonly Level[];
  readonly action: Action;
  /** Conditions this outcome assumed (empty when the request decides everything). */
  readonly assumptions: readonly string[];
  /**
   * Levels in force at the locations the request passed through before an internal redirect (try_files
   * to a URI or @name) after their preaccess phase ran, first one first; absent when there were none.
   */
  readonly earlier?: readonly (readonly Level[])[];
  /** The outcome assumed that no file a try_files line names exists (its fallback answered). */
  readonly filesAbsent?: boolean;
}

/**
 * The levels whose limit_req (with its limit_req_status and dry run) the request met: ngx_http_limit_req
 * checks only the first location with limits (it declines once r->main->limit_req_status is set), so
 * a location left by try_files keeps its limits over those of the location it hands the request to.
 */
export function limitReqChain(outcome: Outcome): readonly Level[] {
  return [...(outcome.earlier ?? []), outcome.chain].find((chain) => inForce(chain, "limit_req").length > 0) ?? outcome.chain;
}

/** A value computed from variables the request does not fix ($cookie_x, $remote_addr …). */
const UNDECIDED = Symbol("undecided");
type Value = string | typeof UNDECIDED;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_OUTCOMES = 64;
const MAX_CYCLES = 10;

interface State {
  readonly uri: string;
  readonly args: string;
  readonly assumptions: readonly string[];
  /** The `if` block whose configuration is in force (the last true one, as in nginx). */
  readonly ifBlock?: Level;
  /** A try_files line found none of its files. */
  readonly filesAbsent?: boolean;
}

/** The request's variables as nginx would set them on this server. */
function variable(name: string, req: HttpRequest, server: NginxServer, state: State): Value {
  const host = req.host === undefined ? server.primaryName.toLowerCase() : normalizeHost(req.host);
  switch (name) {
    case "host": return host;
    case "http_host": return req.host ?? "";
    case "server_name": return server.primaryName;
    case "scheme": return req.socket.ssl ? "https" : "http";
    case "https": return req.socket.ssl ? "on" : "";
    case "server_port": return String(req.socket.port);
    case "request_uri": return `${req.uri}${req.args ? `?${req.args}` : ""}`;
    case "uri": case "document_uri": return state.uri;
    case "args": case "query_string": return state.args;
    case "is_args": return state.args ? "?" : "";
    case "request_method": return req.method ?? "GET";
    default: {
      const arg = /^arg_(\w+)$/.exec(name);
      if (!arg) return UNDECIDED;
      const pair = state.args.split("&").map((p) => p.split("=")).find(([k]) => k === arg[1]);
      return pair ? decodeURIComponent(pair[1] ?? "") : "";
    }
  }
}

/** Substitutes $name and ${name}; undecided when any variable is. */
export function interpolate(text: string, lookup: (name: string) => Value): Value {
  let undecided = false;
  const out = text.replace(/\$(?:\{(\w+)\}|(\w+))/g, (_, braced: string | undefined, bare: string | undefined) => {
    const v = lookup((braced ?? bare)!);
    if (v === UNDECIDED) {
      undecided = true;
      return "";
    }
    return v;
  });
  return undecided ? UNDECIDED : out;
}

/** An `if (…)` condition: true, false, or undefined when the request does not decide it. */
function condition(args: readonly string[], lookup: (name: string) => Value): boolean | undefined {
  const words = [...args];
  if (words.length === 0) return undefined;
  words[0] = words[0]!.replace(/^\(/, "");
  words[words.length - 1] = words[words.length - 1]!.replace(/\)$/, "");
  const clean = words.filter((w) => w !== "");
  if (clean.length === 2 && /^!?-[fdex]$/.test(clean[0]!)) return undefined;
  const left = interpolate(clean[0] ?? "", lookup);
  if (left === UNDECIDED) return undefined;
  if (clean.length === 1) return left !== "" && left !== "0";
  const [, op, right = ""] = clean;
  switch (op) {
    case "=": return left === right;
    case "!=": return left !== right;
    case "~": case "~*": case "!~": case "!~*": {
      let matched: boolean;
      try {
        matched = pcreToRegExp(right, op.includes("*")).test(left);
      } catch {
        return undefined;
      }
      return op.startsWith("!") ? !matched : matched;
    }
    default: return undefined;
  }
}

/** next: go on (to the location search, or the content handler); restart: search the location again. */
type Step = { readonly kind: "next" } | { readonly kind: "restart" } | { readonly kind: "answer"; readonly action: Action };

/**
 * Runs one level's rewrite-module directives in order (return, rewrite, if, break), forking on
 * conditions the request does not decide. A true `if` runs its block, then the rest of the level,
 * with the block's configuration in force.
 */
function rewritePhase(level: Level, req: HttpRequest, server: NginxServer, state: State): { step: Step; state: State }[] {
  const lookup = (name: string) => variable(name, req, server, state);
  for (let i = 0; i < level.length; i++) {
    const d = level[i]!;
    if (d.name === "return" && !d.block) return [{ step: { kind: "answer", action: returnAction(d, lookup) }, state }];
    if (d.name === "break" && !d.block) return [{ step: { kind: "next" }, state }];
    if (d.name === "rewrite" && !d.block) {
      const [pattern = "", replacement = "", flag] = d.args;
      let m: RegExpExecArray | null;
      try {
        m = pcreToRegExp(pattern, false).exec(state.uri);
      } catch {
        continue;
      }
      if (!m) continue;
      const captured = m;
      const withGroups = replacement.replace(/\$(\d)/g, (_, n: string) => captured[Number(n)] ?? "");
      const keepArgs = !withGroups.endsWith("?");
      const target = interpolate(withGroups.replace(/\?$/, ""), lookup);
      if (/^(https?:\/\/|\$scheme)/.test(replacement) || flag === "redirect" || flag === "permanent") {
        const status = flag === "permanent" ? 301 : 302;
        const url = target === UNDECIDED ? undefined : `${target}${keepArgs && state.args ? `${target.includes("?") ? "&" : "?"}${state.args}` : ""}`;
        return [{ step: { kind: "answer", action: { kind: "return", status, url } }, state }];
      }
      if (target === UNDECIDED) continue;
      const [newUri = target, newArgs] = target.split("?");
      const next: State = { ...state, uri: newUri, args: newArgs !== undefined ? newArgs : keepArgs ? state.args : "" };
      if (flag === "last") return [{ step: { kind: "restart" }, state: next }];
      if (flag === "break") return [{ step: { kind: "next" }, state: next }];
      state = next;
      continue;
    }
    if (d.name === "if" && d.block) {
      const verdict = condition(d.args, lookup);
      const rest = level.slice(i + 1);
      const assume = (what: string) => (verdict === undefined ? [...state.assumptions, `${what} (${d.args.join(" ")})`] : state.assumptions);
      const inside = () => rewritePhase([...d.block!, ...rest], req, server, { ...state, assumptions: assume("if"), ifBlock: d.block });
      const outside = () => rewritePhase(rest, req, server, { ...state, assumptions: assume("if not") });
      if (verdict === true) return inside();
      if (verdict === false) return outside();
      return [...inside(), ...outside()].slice(0, MAX_OUTCOMES);
    }
  }
  return [{ step: { kind: "next" }, state }];
}

function returnAction(d: NginxDirective, lookup: (name: string) => Value): Action {
  const [first = "", second] = d.args;
  if (/^\d{3}$/.test(first)) {
    const status = Number(first);
    if (status === 444) return { kind: "close" };
    if (second === undefined) return { kind: "return", status };
    const value = interpolate(second, lookup);
    const text = value === UNDECIDED ? undefined : value;
    return REDIRECT_STATUSES.has(status) ? { kind: "return", status, url: text } : { kind: "return", status, text };
  }
  // `return URL;` is a 302 redirect.
  const value = interpolate(first, lookup);
  return { kind: "return", status: 302, url: value === UNDECIDED ? undefined : value };
}

/** The content handler of a location (its own or its `if` block's): proxy, stub_status or files. */
function contentAction(location: NginxLocation, ifBlock: Level | undefined, chain: readonly Level[]): Action {
  for (const level of [ifBlock, location.chain[location.chain.length - 1]]) {
    if (!level) continue;
    const pass = level.find((d) => /^(proxy|fastcgi|uwsgi|scgi|grpc)_pass$/.test(d.name) && !d.block);
    if (pass) return { kind: "proxy", target: pass.args[0] ?? "" };
    if (level.some((d) => d.name === "stub_status")) return { kind: "status" };
  }
  const alias = valueOf(chain, "alias");
  return alias !== undefined ? { kind: "static", alias } : { kind: "static", root: valueOf(chain, "root", "html") };
}

/** A client on the internet, for the access phase (allow/deny): an address no rule names specifically. */
export const PUBLIC_CLIENT = "203.0.113.50";
/** The same for IPv6 sockets. */
export const PUBLIC_CLIENT_V6 = "2001:db8::50";

/**
 * Whether `address` (brackets allowed) is in `cidr` (an address alone is a full-length prefix), as
 * ngx_cidr_match compares them: addresses of another family never match; undefined when `cidr` is no
 * address (a hostname).
 */
export function addressInCidr(address: string, cidr: string): boolean | undefined {
  const [net = "", bitsText] = cidr.split("/");
  const network = parseIp(net.replace(/^\[(.*)\]$/, "$1"));
  if (!network) return net.startsWith("unix:") ? false : undefined;
  const client = parseIp(address.replace(/^\[(.*)\]$/, "$1"));
  if (!client) return false;
  const full = width(network.family);
  const bits = bitsText === undefined || !/^\d+$/.test(bitsText) ? full : Math.min(Number(bitsText), full);
  return cidrContains({ family: network.family, base: network.value & maskOf(network.family, bits), bits }, client);
}

/** ngx_http_access_module: the first allow/deny rule matching the client decides; no rule allows. */
export function accessAllows(chain: readonly Level[], client: string): boolean | undefined {
  const levels = [...chain].reverse().find((level) => level.some((d) => (d.name === "allow" || d.name === "deny") && !d.block));
  for (const rule of levels?.filter((d) => d.name === "allow" || d.name === "deny") ?? []) {
    const target = rule.args[0] ?? "";
    const matches = target === "all" ? true : addressInCidr(client, target);
    if (matches === undefined) return undefined;
    if (matches) return rule.name === "allow";
  }
  return true;
}

/** Where a request's client address ($remote_addr, $binary_remote_addr) really comes from. */
export interface ClientAddressSource {
  /** The request header (or proxy_protocol) nginx takes the address from. */
  readonly header: string;
  /** The set_real_ip_from line that trusts the connecting client. */
  readonly trusted: NginxDirective;
}

/**
 * ngx_http_realip_module replaces the client address with real_ip_header's value when the connecting
 * address is in set_real_ip_from: first in the post-read phase with the server's configuration, then,
 * if that did not replace it, in the preaccess phase (before limit_req) with the location's. Undefined
 * when neither trusts `client`, so the address stays the TCP peer's. Proven with nginx 1.22
 * (tests/servers/nginx-model.test.ts, "real client address").
 */
export function clientAddressSource(outcome: Outcome, client: string): ClientAddressSource | undefined {
  for (const chain of [outcome.server.chain, ...(outcome.earlier ?? []), outcome.chain]) {
    const trusted = inForce(chain, "set_real_ip_from").find((d) => addressInCidr(client, d.args[0] ?? "") === true);
    if (trusted) return { header: valueOf(chain, "real_ip_header", "X-Real-IP")!, trusted };
  }
  return undefined;
}

/** The path on disk a static outcome reads for its request URI. */
export function staticFilePath(outcome: Outcome, uri: string): string | undefined {
  const action = outcome.action;
  if (action.kind !== "static") return undefined;
  if (action.alias !== undefined) {
    const prefix = outcome.location && !outcome.location.regex ? outcome.location.path : "";
    return `${action.alias}${uri.slice(prefix.length)}`;
  }
  return `${(action.root ?? "html").replace(/\/+$/, "")}${uri}`;
}

/**
 * Every way nginx can answer `req`: the server by Host, its rewrite phase, the location by URI (again
 * after a `rewrite … last`), the location's rewrite phase and its `if` blocks, then the content handler.
 */
export function respond(req: HttpRequest): Outcome[] {
  const server = serverFor(req.socket, req.host);
  const initial: State = { uri: req.uri, args: req.args ?? "", assumptions: [] };
  const outcomes: Outcome[] = [];
  const emit = (o: Omit<Outcome, "request" | "server">) => outcomes.length < MAX_OUTCOMES && outcomes.push({ request: req, server, ...o });

  /**
   * The location phases for `state.uri` (or for `given`, a named location): rewrite, access, then
   * try_files (precontent) and the content handler. `earlier`: chains of the locations the request
   * left by an internal redirect after their preaccess phase ran; `internal`: reached that way.
   */
  const inLocation = (state: State, cycle: number, given?: NginxLocation, earlier: readonly (readonly Level[])[] = [], internal = false) => {
    const location = given ?? locationFor(server, state.uri);
    const emitHere = (o: Omit<Outcome, "request" | "server">) => emit({ ...o, ...(earlier.length > 0 ? { earlier } : {}), ...(state.filesAbsent ? { filesAbsent: true } : {}) });
    if (!location) {
      emitHere({ chain: server.chain, action: { kind: "return", status: 404 }, assumptions: state.assumptions });
      return;
    }
    const own = location.chain[location.chain.length - 1]!;
    for (const { step, state: s } of rewritePhase(own, req, server, { ...state, ifBlock: undefined })) {
      const chain = s.ifBlock ? [...location.chain, s.ifBlock] : location.chain;
      if (step.kind === "answer") emitHere({ location, chain, action: step.action, assumptions: s.assumptions });
      else if (step.kind === "restart") {
        if (cycle < MAX_CYCLES) inLocation(s, cycle + 1, undefined, earlier, internal);
        else emitHere({ location, chain, action: { kind: "return", status: 500 }, assumptions: s.assumptions });
      } else if (!internal && own.some((d) => d.name === "internal")) {
        emitHere({ location, chain, action: { kind: "return", status: 404 }, assumptions: s.assumptions });
      } else if (accessAllows(chain, req.client ?? PUBLIC_CLIENT) === false) {
        emitHere({ location, chain, action: { kind: "return", status: 403 }, assumptions: s.assumptions });
      } else {
        const tryFiles = own.find((d) => d.name === "try_files" && !d.block);
        if (!tryFiles || tryFiles.args.length < 2) {
          emitHere({ location, chain, action: contentAction(location, s.ifBlock, chain), assumptions: s.assumptions });
          continue;
        }
        // ngx_http_try_files_module: the first file that exists is served by this location's content
        // handler; when none does (the request cannot tell), the last argument: =code, @name, or a URI
        // (an internal redirect, query from that URI only). Either way after this location's preaccess.
        const files = tryFiles.args.slice(0, -1).join(" ");
        const fallback = tryFiles.args[tryFiles.args.length - 1]!;
        emitHere({ location, chain, action: contentAction(location, s.ifBlock, chain), assumptions: [...s.assumptions, `one of ${files} exists`] });
        const none: State = { ...s, assumptions: [...s.assumptions, `none of ${files} exists`], filesAbsent: true };
        const passed = [...earlier, chain];
        /** This location answers the fallback itself. */
        const answerAbsent = (action: Action, assumptions = none.assumptions) => emitHere({ location, chain, action, assumptions, filesAbsent: true });
        const code = /^=(\d{3})$/.exec(fallback);
        if (code) answerAbsent(Number(code[1]) === 444 ? { kind: "close" } : { kind: "return", status: Number(code[1]) });
        else if (cycle >= MAX_CYCLES) answerAbsent({ kind: "return", status: 500 });
        else if (fallback.startsWith("@")) {
          const named = namedLocation(server, fallback);
          if (named) inLocation(none, cycle + 1, named, passed, true);
          else answerAbsent({ kind: "return", status: 500 });
        } else {
          const target = interpolate(fallback, (name) => variable(name, req, server, s));
          if (target === UNDECIDED) answerAbsent({ kind: "return", status: 500 }, [...none.assumptions, `fallback ${fallback} undecided`]);
          else {
            const [uri = target, args = ""] = target.split("?");
            inLocation({ ...none, uri, args }, cycle + 1, undefined, passed, true);
          }
        }
      }
    }
  };

  for (const { step, state } of rewritePhase(server.chain[1]!, req, server, initial)) {
    if (step.kind === "answer") emit({ chain: server.chain, action: step.action, assumptions: state.assumptions });
    else inLocation(state, step.kind === "restart" ? 1 : 0);
  }
  return outcomes;
}

/**
 * The configuration that sends the response for `status`: error_page maps it to another URI or a named
 * location (an internal redirect, whose location's add_header then applies), else the outcome's own.
 */
export function errorPageChain(outcome: Outcome, status: number): { chain: readonly Level[]; status: number } {
  const page = inForce(outcome.chain, "error_page").find((d) => d.args.slice(0, -1).includes(String(status)));
  if (!page) return { chain: outcome.chain, status };
  const target = page.args[page.args.length - 1] ?? "";
  const override = page.args.find((a) => /^=\d*$/.test(a));
  const finalStatus = override && override.length > 1 ? Number(override.slice(1)) : status;
  if (target.startsWith("@")) {
    const named = namedLocation(outcome.server, target);
    return { chain: named?.chain ?? outcome.chain, status: finalStatus };
  }
  if (!target.startsWith("/")) return { chain: outcome.chain, status: finalStatus };
  const location = locationFor(outcome.server, target.split("?")[0]!);
  return { chain: location?.chain ?? outcome.server.chain, status: finalStatus };
}

/** Statuses on which add_header without `always` adds its header (ngx_http_headers_filter). */
const ADD_HEADER_STATUSES = new Set([200, 201, 204, 206, 301, 302, 303, 304, 307, 308]);

export interface AddedHeader {
  readonly name: string;
  readonly value: string;
  readonly always: boolean;
  readonly directive: NginxDirective;
}

/** The headers add_header puts on a response with `status`, from the levels in force. */
export function addedHeaders(chain: readonly Level[], status: number): AddedHeader[] {
  return inForce(chain, "add_header")
    .map((d) => ({ name: d.args[0] ?? "", value: d.args[1] ?? "", always: d.args[2] === "always", directive: d }))
    .filter((h) => h.value !== "" && (h.always || ADD_HEADER_STATUSES.has(status)));
}

/** The status a successful outcome answers with (files and proxied answers: 200). */
export function outcomeStatus(outcome: Outcome): number | undefined {
  switch (outcome.action.kind) {
    case "return": return outcome.action.status;
    case "close": return undefined;
    default: return 200;
  }
}

/** nginx's gzip_min_length and friends in bytes ("1k", "1024"). */
export function sizeInBytes(text: string): number {
  const m = /^(\d+)([kKmM]?)$/.exec(text);
  if (!m) return Number.NaN;
  return Number(m[1]) * (m[2] === "" ? 1 : /k/i.test(m[2]!) ? 1024 : 1024 * 1024);
}

/**
 * Whether ngx_http_gzip_filter compresses a response of this type and length for this User-Agent
 * (gzip, gzip_types with text/html always in, gzip_min_length, gzip_disable; the client accepts gzip).
 */
export function gzipCompresses(chain: readonly Level[], response: { contentType: string; length: number; userAgent: string }): boolean {
  if (valueOf(chain, "gzip", "off") !== "on") return false;
  const types = inForce(chain, "gzip_types").flatMap((d) => d.args);
  if (response.contentType !== "text/html" && !(types.length === 0 ? ["text/html"] : types).some((t) => t === "*" || t === response.contentType)) return false;
  if (response.length < sizeInBytes(valueOf(chain, "gzip_min_length", "20")!)) return false;
  for (const d of inForce(chain, "gzip_disable")) {
    for (const pattern of d.args) {
      if (pattern === "msie6" || pattern === "degradation") continue;
      try {
        if (pcreToRegExp(pattern.replace(/^~\*?/, ""), true).test(response.userAgent)) return false;
      } catch {
        continue;
      }
    }
  }
  return true;
}

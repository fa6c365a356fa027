// What nginx does with each directive the pack judges: where it may stand, and how repeated lines and
// inner levels combine. Checked against nginx 1.22 (`nginx -t`, tests/servers/nginx-model.test.ts).
// A directive not listed here is kept in the tree but neither validated nor merged.

/** Contexts: "sif"/"lif" are `if` blocks in a server and in a location. */
export type NginxContext = "main" | "events" | "http" | "server" | "location" | "sif" | "lif" | "upstream" | "types" | "map" | "limit_except" | "stream" | "mail" | "other";

/**
 * - scalar: one line per level (a second is "is duplicate"); an inner level's line replaces the outer one.
 * - bitmask: every line of a level adds its flags (ssl_protocols TLSv1.2; ssl_protocols TLSv1; enables both);
 *   an inner level replaces the outer set.
 * - list: every line of a level counts; an inner level with at least one line replaces the outer list
 *   wholesale (add_header, limit_req, proxy_hide_header, set_real_ip_from …).
 * - local: belongs to the level it stands in and is never inherited (listen, server_name, handlers, rewrite-phase code).
 */
export type MergeKind = "scalar" | "bitmask" | "list" | "local";

export interface DirectiveSpec {
  readonly contexts: readonly NginxContext[];
  readonly merge: MergeKind;
  /** For list directives whose lines must differ (limit_req: a zone twice in one level is "is duplicate"). */
  readonly uniqueBy?: (args: readonly string[]) => string;
}

const HSL: NginxContext[] = ["http", "server", "location"];
const HSLI: NginxContext[] = ["http", "server", "location", "lif"];
const HS: NginxContext[] = ["http", "server"];
const REWRITE: NginxContext[] = ["server", "location", "sif", "lif"];

const scalar = (contexts: NginxContext[]): DirectiveSpec => ({ contexts, merge: "scalar" });
const list = (contexts: NginxContext[]): DirectiveSpec => ({ contexts, merge: "list" });
const local = (contexts: NginxContext[]): DirectiveSpec => ({ contexts, merge: "local" });

export const DIRECTIVES: Readonly<Record<string, DirectiveSpec>> = {
  http: local(["main"]),
  events: local(["main"]),
  server: local(["http"]),
  location: local(["server", "location"]),
  if: local(["server", "location"]),
  include: local(["main", "events", "http", "server", "location", "sif", "lif", "upstream", "types", "map", "limit_except", "stream", "mail", "other"]),
  listen: local(["server"]),
  server_name: local(["server"]),
  limit_req_zone: local(["http"]),
  upstream: local(["http"]),
  types: local(HSL),

  // Rewrite phase and content handlers: never inherited by inner locations.
  return: local(REWRITE),
  rewrite: local(REWRITE),
  break: local(REWRITE),
  set: local(REWRITE),
  proxy_pass: local(["location", "lif", "limit_except"]),
  fastcgi_pass: local(["location", "lif"]),
  uwsgi_pass: local(["location", "lif"]),
  scgi_pass: local(["location", "lif"]),
  grpc_pass: local(["location", "lif"]),
  stub_status: local(["server", "location"]),
  alias: scalar(["location"]),
  try_files: local(["server", "location"]),
  internal: local(["location"]),

  // TLS: decided per server (the handshake reads the listen socket's default server, see tls.ts).
  ssl: scalar(HS),
  ssl_protocols: { contexts: HS, merge: "bitmask" },
  ssl_ciphers: scalar(HS),
  ssl_conf_command: list(HS),
  ssl_certificate: list(HS),
  ssl_certificate_key: list(HS),
  ssl_dhparam: scalar(HS),
  ssl_prefer_server_ciphers: scalar(HS),
  ssl_reject_handshake: scalar(HS),
  ssl_session_tickets: scalar(HS),
  ssl_ecdh_curve: scalar(HS),

  // Headers and responses.
  add_header: list(HSLI),
  server_tokens: scalar(HSL),
  error_page: list(HSLI),
  root: scalar(HSLI),
  default_type: scalar(HSL),
  absolute_redirect: scalar(HSL),
  server_name_in_redirect: scalar(HSL),
  port_in_redirect: scalar(HSL),
  merge_slashes: scalar(["http", "server"]),
  proxy_hide_header: list(HSL),
  access_log: list(["http", "server", "location", "lif", "limit_except"]),

  // Rate limits.
  limit_req: { contexts: HSL, merge: "list", uniqueBy: (args) => args.find((a) => a.startsWith("zone="))?.slice(5) ?? "" },
  limit_req_status: scalar(HSL),
  limit_req_dry_run: scalar(HSL),
  limit_req_log_level: scalar(HSL),

  // Client address behind a proxy.
  set_real_ip_from: list(HSL),
  real_ip_header: scalar(HSL),
  real_ip_recursive: scalar(HSL),
  allow: list(["http", "server", "location", "limit_except"]),
  deny: list(["http", "server", "location", "limit_except"]),

  // Compression.
  gzip: scalar(HSLI),
  gzip_types: list(HSL),
  gzip_min_length: scalar(HSL),
  gzip_proxied: { contexts: HSL, merge: "bitmask" },
  gzip_disable: list(HSL),
  gzip_http_version: scalar(HSL),
  gzip_comp_level: scalar(HSL),
  gzip_vary: scalar(HSL),
  gzip_static: scalar(HSL),
};

/** The directives added or removed between nginx 1.22 (Debian, tested) and the 1.27 image. */
export const REMOVED_IN_1_25_1 = new Set(["ssl"]);
export const ADDED_IN_1_25_1 = new Set(["http2"]);

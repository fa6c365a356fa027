// nginx.conf for the edge container (nginx 1.22): HTTP only for ACME and the redirect, HTTPS with
// Mozilla "intermediate" TLS, security headers, gzip, static/media from disk, per-client rate
// limits and a proxy to gunicorn. Pure renderer: typed args in, file text out.
import { contentSecurityPolicy, permissionsPolicy, type BrowserProvider } from "./browser-policies";

export interface NginxRateLimit {
  /** Sustained rate per client IP. */
  ratePerMinute: number;
  /** Requests accepted above the rate before answering 429 (nodelay: no queueing). */
  burst: number;
}

export interface NginxRateLimits {
  /** /accounts/login and /admin/login: brute-force protection. */
  login: NginxRateLimit;
  /** The rest of /admin/. */
  admin: NginxRateLimit;
  /** /api/. */
  api: NginxRateLimit;
}

export interface NginxHostPort {
  host: string;
  port: number;
}

export interface NginxCertificate {
  certificatePath: string;
  keyPath: string;
}

export interface NginxConfArgs {
  primaryDomain: string;
  domainAliases?: readonly string[];
  /** gunicorn, e.g. { host: "web", port: 8000 }. */
  upstream: NginxHostPort;
  /** Address to bind; omitted = all addresses (the container's). Tests use 127.0.0.1. */
  listenAddress?: string;
  httpPort: number;
  httpsPort: number;
  /** The HTTPS port clients see, for the redirect target (443 is left out of the URL). */
  publicHttpsPort?: number;
  /** Folder certbot writes HTTP-01 challenges into (served at /.well-known/acme-challenge/). */
  acmeWebroot: string;
  tls: {
    /** One or more (e.g. ECDSA + RSA) certificate/key pairs for the same names. */
    certificates: readonly NginxCertificate[];
    /** The RFC 7919 ffdhe2048 group, for the DHE-RSA suites of the intermediate profile. */
    dhparamPath: string;
    /** Off by default: Let's Encrypt stopped running OCSP in 2025; set for CAs that still do. */
    ocspStapling?: { trustedCertificatePath: string; resolvers: readonly string[] };
  };
  hsts?: { maxAgeSeconds?: number; preload?: boolean };
  /** Providers whose scripts and frames run in the pages (Stripe.js …): each widens CSP by its documented sources. */
  browserProviders?: readonly BrowserProvider[];
  /** collectstatic output, served at /static/. */
  staticRoot: string;
  /** User uploads, served at /media/ (never executed, sandboxed). */
  mediaRoot: string;
  rateLimits?: NginxRateLimits;
  clientMaxBodyMb: number;
  /** The app's health endpoint: proxied, never rate-limited, not logged. */
  healthPath?: string;
  proxyReadTimeoutSeconds?: number;
  paths: {
    pidFile: string;
    errorLog: string;
    accessLog: string;
    /** Parent of the client-body/proxy/fastcgi/uwsgi/scgi temp folders. */
    tempDir: string;
    mimeTypes?: string;
  };
  /** User the workers run as when the master starts as root (omitted: nginx's default). */
  workerUser?: string;
  /**
   * Behind a proxying CDN (Cloudflare orange cloud) the TCP peer is the CDN: trust its ranges and
   * take the client address from its header, so rate limits, logs and fail2ban see real clients.
   */
  realIp?: { trustedProxyCidrs: readonly string[]; header: string };
  /** Close connections for names we do not serve (HTTP 444, TLS handshake rejected). Default true. */
  rejectUnknownHosts?: boolean;
  /**
   * stub_status for nginx-prometheus-exporter and the container healthcheck, on its own plain-HTTP
   * port that is never published; loopback is always allowed, plus these networks. The same port
   * serves the app's /metrics to Prometheus with the public Host, so Django's ALLOWED_HOSTS stays
   * the real domains; on the public servers /metrics answers 404.
   */
  status?: { port: number; allowCidrs: readonly string[] };
  /** Grafana at /grafana/ behind basic auth; Grafana needs root_url …/grafana/ and serve_from_sub_path. */
  grafana?: { upstream: NginxHostPort; htpasswdPath: string; contentSecurityPolicy?: string };
}

/** Mozilla Server Side TLS guideline 5.7, "intermediate": TLS 1.2 suites (TLS 1.3 uses OpenSSL's three AEAD suites). */
export const MOZILLA_INTERMEDIATE_TLS12_CIPHERS: readonly string[] = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
  "DHE-RSA-AES128-GCM-SHA256",
  "DHE-RSA-AES256-GCM-SHA384",
  "DHE-RSA-CHACHA20-POLY1305",
];
export const MOZILLA_INTERMEDIATE_TLS13_SUITES: readonly string[] = [
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
];

/** Uploads may be HTML or SVG: opened directly they get no script, no plugins, a unique origin. */
export const MEDIA_CONTENT_SECURITY_POLICY = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox";
export const DEFAULT_HSTS_MAX_AGE_SECONDS = 63_072_000;
export const DEFAULT_RATE_LIMITS: NginxRateLimits = {
  login: { ratePerMinute: 10, burst: 5 },
  admin: { ratePerMinute: 120, burst: 40 },
  api: { ratePerMinute: 600, burst: 100 },
};
/** Zone names, shared with the fail2ban limit-req filter. */
export const NGINX_LIMIT_REQ_ZONES = ["login", "admin", "api"] as const;
/** Name of the access log format; its layout is what the fail2ban auth filter parses. */
export const NGINX_ACCESS_LOG_FORMAT = "edge";

const GZIP_TYPES = [
  "text/plain", "text/css", "text/xml", "text/javascript", "application/javascript", "application/json",
  "application/xml", "application/rss+xml", "application/manifest+json", "image/svg+xml", "font/ttf", "font/otf",
];

/** Headers nginx owns: hidden from gunicorn's responses so each is sent exactly once. */
const APP_HEADERS_NGINX_OWNS = [
  "Strict-Transport-Security", "Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options",
  "Referrer-Policy", "Permissions-Policy", "X-Powered-By",
];

export function renderNginxConf(args: NginxConfArgs): string {
  validate(args);
  const names = [args.primaryDomain, ...(args.domainAliases ?? [])].join(" ");
  const limits = args.rateLimits ?? DEFAULT_RATE_LIMITS;
  const listen = (port: number) => (args.listenAddress ? `${args.listenAddress}:${port}` : `${port}`);
  const publicPort = args.publicHttpsPort ?? 443;
  const redirectTarget = `https://$host${publicPort === 443 ? "" : `:${publicPort}`}$request_uri`;
  const health = args.healthPath ?? "/health/";
  const headers = securityHeaders(args, { hsts: true });
  const temp = args.paths.tempDir;

  const main = [
    "# Generated by jewelry-shop infra: do not edit by hand.",
    ...(args.workerUser ? [`user ${args.workerUser};`] : []),
    "worker_processes auto;",
    `pid ${args.paths.pidFile};`,
    `error_log ${args.paths.errorLog} warn;`,
    "",
    "events {",
    "    worker_connections 1024;",
    "}",
    "",
  ];

  const http = [
    `include ${args.paths.mimeTypes ?? "/etc/nginx/mime.types"};`,
    "default_type application/octet-stream;",
    "server_tokens off;",
    "sendfile on;",
    "tcp_nopush on;",
    "keepalive_timeout 65s;",
    // Slow-client (slowloris) limits.
    "client_header_timeout 15s;",
    "client_body_timeout 30s;",
    "send_timeout 30s;",
    `client_max_body_size ${args.clientMaxBodyMb}m;`,
    `client_body_temp_path ${temp}/client_body;`,
    `proxy_temp_path ${temp}/proxy;`,
    `fastcgi_temp_path ${temp}/fastcgi;`,
    `uwsgi_temp_path ${temp}/uwsgi;`,
    `scgi_temp_path ${temp}/scgi;`,
    "",
    ...realIp(args),
    "# Combined layout without $remote_user (client-controlled, may hold spaces that would hide a line",
    "# from fail2ban), plus timings for Loki and the normalized $uri, which fail2ban matches paths on",
    "# (the raw request line can spell /admin/ as /%61dmin/ or an absolute URL).",
    `log_format ${NGINX_ACCESS_LOG_FORMAT} '$remote_addr - - [$time_local] "$request" $status $body_bytes_sent '`,
    `    '"$http_referer" "$http_user_agent" rt=$request_time urt="$upstream_response_time" host="$host" uri="$uri"';`,
    `access_log ${args.paths.accessLog} ${NGINX_ACCESS_LOG_FORMAT};`,
    "",
    "# BREACH (testssl: 'potentially VULNERABLE') is weighed and accepted: it needs a secret in a",
    "# compressed body, attacker text reflected beside it, thousands of requests carrying the victim's",
    "# cookies and a view of the encrypted lengths. Django masks its CSRF token with fresh randomness in",
    "# every response; its session cookie (a header: never gzipped) is SameSite=Lax by default, so an",
    "# attacking page's fetches carry no session. gzip stays on, as checklist 14.7 asks (README,",
    "# \"testssl findings\").",
    "gzip on;",
    "gzip_vary on;",
    "gzip_proxied any;",
    "gzip_comp_level 5;",
    "gzip_min_length 1024;",
    `gzip_types ${GZIP_TYPES.join(" ")};`,
    "",
    "# TLS settings live here, not per server: the protocol, curves and ciphers are chosen in the",
    "# context of the listen socket's default server, before SNI selects a virtual server.",
    ...tlsDirectives(args),
    "",
    `limit_req_zone $binary_remote_addr zone=login:10m rate=${limits.login.ratePerMinute}r/m;`,
    `limit_req_zone $binary_remote_addr zone=admin:10m rate=${limits.admin.ratePerMinute}r/m;`,
    `limit_req_zone $binary_remote_addr zone=api:10m rate=${limits.api.ratePerMinute}r/m;`,
    "limit_req_status 429;",
    "limit_req_log_level error;",
    "",
    "upstream django {",
    `    server ${args.upstream.host}:${args.upstream.port};`,
    "    keepalive 16;",
    "}",
    ...(args.grafana ? ["upstream grafana {", `    server ${args.grafana.upstream.host}:${args.grafana.upstream.port};`, "}"] : []),
    "",
    ...(args.status ? statusServer(listen(args.status.port), args.status.allowCidrs, args.primaryDomain) : []),
    ...(args.rejectUnknownHosts ?? true ? unknownHostServers(listen(args.httpPort), listen(args.httpsPort)) : []),
    "server {",
    `    listen ${listen(args.httpPort)};`,
    `    server_name ${names};`,
    "",
    "    # The redirect and the challenge answers get the headers that mean something without TLS;",
    "    # neither location sets its own add_header, so both inherit these.",
    ...indent(securityHeaders(args, { hsts: false }), 1),
    "",
    "    # HTTP-01 challenges must stay on plain HTTP: certbot writes them, Let's Encrypt reads them.",
    "    location ^~ /.well-known/acme-challenge/ {",
    `        root ${args.acmeWebroot};`,
    "        default_type text/plain;",
    "        try_files $uri =404;",
    "    }",
    "",
    "    location / {",
    `        return 301 ${redirectTarget};`,
    "    }",
    "}",
    "",
    "server {",
    `    listen ${listen(args.httpsPort)} ssl http2;`,
    `    server_name ${names};`,
    "",
    ...args.tls.certificates.flatMap((c) => [`    ssl_certificate ${c.certificatePath};`, `    ssl_certificate_key ${c.keyPath};`]),
    "",
    "    # Security headers: `always` so they are also on 4xx/5xx. nginx drops inherited add_header",
    "    # in any location with its own add_header, so such locations repeat this whole block.",
    ...indent(headers, 1),
    "",
    "    # Set once here and never in a location, so every proxied location inherits them.",
    "    proxy_http_version 1.1;",
    '    proxy_set_header Connection "";',
    "    proxy_set_header Host $host;",
    "    proxy_set_header X-Real-IP $remote_addr;",
    "    # Overwritten, not appended: the app must not trust an address the client made up.",
    "    proxy_set_header X-Forwarded-For $remote_addr;",
    "    proxy_set_header X-Forwarded-Proto https;",
    "    proxy_set_header X-Forwarded-Host $host;",
    ...APP_HEADERS_NGINX_OWNS.map((h) => `    proxy_hide_header ${h};`),
    "    proxy_connect_timeout 5s;",
    "    proxy_send_timeout 60s;",
    `    proxy_read_timeout ${args.proxyReadTimeoutSeconds ?? 60}s;`,
    "",
    "    location ^~ /static/ {",
    `        alias ${withSlash(args.staticRoot)};`,
    "        access_log off;",
    "        # Hashed names (ManifestStaticFilesStorage) never change. No `always`: a 404 must not be cached for a year.",
    '        add_header Cache-Control "public, max-age=31536000, immutable";',
    ...indent(headers, 2),
    "    }",
    "",
    "    location ^~ /media/ {",
    `        alias ${withSlash(args.mediaRoot)};`,
    "        # Uploads are data, never code: nothing here is proxied or interpreted, and the",
    "        # sandboxing CSP stops an uploaded HTML/SVG from running script in our origin.",
    '        add_header Cache-Control "public, max-age=86400";',
    ...indent(securityHeaders(args, { hsts: true, csp: MEDIA_CONTENT_SECURITY_POLICY }), 2),
    "    }",
    "",
    `    location = ${health} {`,
    "        access_log off;",
    `        proxy_pass http://django;`,
    "    }",
    "",
    "    # Metrics are for Prometheus only, through the status port.",
    "    location = /metrics {",
    "        return 404;",
    "    }",
    "",
    ...rateLimitedLocation("/accounts/login", "login", limits.login),
    ...rateLimitedLocation("/admin/login", "login", limits.login),
    ...rateLimitedLocation("/admin/", "admin", limits.admin),
    ...rateLimitedLocation("/api/", "api", limits.api),
    ...(args.grafana ? grafanaLocation(args, limits.admin) : []),
    "    location / {",
    "        proxy_pass http://django;",
    "    }",
    "}",
  ];

  return `${[...main, "http {", ...indent(http, 1), "}"].join("\n")}\n`;
}

interface HeaderOptions {
  /** The Content-Security-Policy; the pages' own by default. */
  csp?: string;
  /** HSTS only over TLS: browsers ignore it over plain HTTP, and it must never be cached from there. */
  hsts: boolean;
}

function securityHeaders(args: NginxConfArgs, options: HeaderOptions): string[] {
  const providers = args.browserProviders ?? [];
  const hsts = `max-age=${args.hsts?.maxAgeSeconds ?? DEFAULT_HSTS_MAX_AGE_SECONDS}; includeSubDomains${args.hsts?.preload ? "; preload" : ""}`;
  const header = (name: string, value: string) => `add_header ${name} ${quoted(value)} always;`;
  return [
    ...(options.hsts ? [header("Strict-Transport-Security", hsts)] : []),
    header("Content-Security-Policy", options.csp ?? contentSecurityPolicy(providers)),
    header("X-Content-Type-Options", "nosniff"),
    header("X-Frame-Options", "DENY"),
    header("Referrer-Policy", "strict-origin-when-cross-origin"),
    header("Permissions-Policy", permissionsPolicy(providers)),
  ];
}

/** An nginx string: double quotes unless the value holds them (Permissions-Policy origins), then single. */
function quoted(value: string): string {
  if (/[\n$]/.test(value) || (value.includes('"') && value.includes("'"))) {
    throw new Error(`renderNginxConf: header value cannot be quoted for nginx: ${value}`);
  }
  return value.includes('"') ? `'${value}'` : `"${value}"`;
}

function tlsDirectives(args: NginxConfArgs): string[] {
  const ocsp = args.tls.ocspStapling;
  return [
    "# Mozilla intermediate (guideline 5.7).",
    "ssl_protocols TLSv1.2 TLSv1.3;",
    "ssl_ecdh_curve X25519:prime256v1:secp384r1;",
    `ssl_ciphers ${MOZILLA_INTERMEDIATE_TLS12_CIPHERS.join(":")};`,
    "# Off, as Mozilla's intermediate profile says (testssl rates it HIGH): every suite above is AEAD",
    "# with forward secrecy, so no client can be steered to a weak one, and clients without AES",
    "# hardware may pick ChaCha20-Poly1305.",
    "ssl_prefer_server_ciphers off;",
    `ssl_dhparam ${args.tls.dhparamPath};`,
    "ssl_session_timeout 1d;",
    "ssl_session_cache shared:MozSSL:10m;",
    "# Tickets would reuse one key for every session until restart, defeating forward secrecy.",
    "ssl_session_tickets off;",
    ...(ocsp
      ? [
          "ssl_stapling on;",
          "ssl_stapling_verify on;",
          `ssl_trusted_certificate ${ocsp.trustedCertificatePath};`,
          `resolver ${ocsp.resolvers.join(" ")} valid=300s;`,
          "resolver_timeout 5s;",
        ]
      : ["ssl_stapling off;"]),
  ];
}

function realIp(args: NginxConfArgs): string[] {
  if (!args.realIp) return [];
  return [
    ...args.realIp.trustedProxyCidrs.map((cidr) => `set_real_ip_from ${cidr};`),
    `real_ip_header ${args.realIp.header};`,
    "",
  ];
}

function unknownHostServers(httpListen: string, httpsListen: string): string[] {
  return [
    "# Requests for names we do not serve (scanners using the bare IP, forged Host headers): drop.",
    "server {",
    `    listen ${httpListen} default_server;`,
    "    server_name _;",
    "    access_log off;",
    "    return 444;",
    "}",
    "",
    "server {",
    `    listen ${httpsListen} ssl http2 default_server;`,
    "    server_name _;",
    "    access_log off;",
    "    ssl_reject_handshake on;",
    "}",
    "",
  ];
}

function statusServer(listen: string, allowCidrs: readonly string[], primaryDomain: string): string[] {
  const allow = ["        allow 127.0.0.1;", ...allowCidrs.map((cidr) => `        allow ${cidr};`), "        deny all;"];
  return [
    "server {",
    `    listen ${listen};`,
    "    access_log off;",
    "    location = /stub_status {",
    "        stub_status;",
    ...allow,
    "    }",
    "    location = /metrics {",
    ...allow,
    "        proxy_pass http://django;",
    `        proxy_set_header Host ${primaryDomain};`,
    "        proxy_set_header X-Forwarded-Proto https;",
    "    }",
    "    location / {",
    "        return 404;",
    "    }",
    "}",
    "",
  ];
}

function rateLimitedLocation(prefix: string, zone: (typeof NGINX_LIMIT_REQ_ZONES)[number], limit: NginxRateLimit): string[] {
  return [
    `    location ^~ ${prefix} {`,
    `        limit_req zone=${zone} burst=${limit.burst} nodelay;`,
    "        proxy_pass http://django;",
    "    }",
    "",
  ];
}

function grafanaLocation(args: NginxConfArgs, limit: NginxRateLimit): string[] {
  const grafana = args.grafana!;
  // Grafana's UI needs eval and inline script, so it gets its own CSP and hence the full header block.
  const csp = grafana.contentSecurityPolicy ??
    "default-src 'self'; script-src 'self' 'unsafe-eval' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
    "img-src 'self' data: https:; font-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'";
  return [
    "    location ^~ /grafana/ {",
    `        limit_req zone=admin burst=${limit.burst} nodelay;`,
    '        auth_basic "Grafana";',
    `        auth_basic_user_file ${grafana.htpasswdPath};`,
    "        proxy_pass http://grafana;",
    ...indent(securityHeaders(args, { hsts: true, csp }), 2),
    "    }",
    "",
  ];
}

function validate(args: NginxConfArgs): void {
  const problems: string[] = [];
  const ports = { httpPort: args.httpPort, httpsPort: args.httpsPort, upstreamPort: args.upstream.port, statusPort: args.status?.port ?? 1 };
  for (const [name, port] of Object.entries(ports)) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`${name} must be a TCP port, got ${port}`);
  }
  if (args.tls.certificates.length === 0) problems.push("tls.certificates needs at least one certificate");
  const maxAge = args.hsts?.maxAgeSeconds ?? DEFAULT_HSTS_MAX_AGE_SECONDS;
  if (maxAge < 31_536_000) problems.push(`hsts.maxAgeSeconds must be at least 31536000 (one year), got ${maxAge}`);
  if (/["\n$]/.test(args.grafana?.contentSecurityPolicy ?? "")) {
    problems.push("grafana.contentSecurityPolicy must not contain double quotes, newlines or $");
  }
  for (const [zone, limit] of Object.entries(args.rateLimits ?? {})) {
    if (!(limit.ratePerMinute >= 1) || !Number.isInteger(limit.burst) || limit.burst < 0) {
      problems.push(`rateLimits.${zone} needs ratePerMinute >= 1 and an integer burst >= 0`);
    }
  }
  if (!(args.clientMaxBodyMb >= 1)) problems.push("clientMaxBodyMb must be at least 1");
  if (problems.length > 0) throw new Error(`renderNginxConf: ${problems.join("; ")}`);
}

function withSlash(path: string): string {
  return path.endsWith("/") ? path : `${path}/`;
}

function indent(lines: readonly string[], levels: number): string[] {
  const pad = "    ".repeat(levels);
  return lines.map((l) => (l === "" ? "" : pad + l));
}

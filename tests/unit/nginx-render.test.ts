import { describe, expect, it } from "vitest";
import { MOZILLA_INTERMEDIATE_TLS12_CIPHERS, renderNginxConf, type NginxConfArgs } from "../../components/nginx/nginx-conf";

const ARGS: NginxConfArgs = {
  primaryDomain: "shop.example.org",
  domainAliases: ["www.shop.example.org"],
  upstream: { host: "web", port: 8000 },
  httpPort: 80,
  httpsPort: 443,
  acmeWebroot: "/var/www/certbot",
  tls: {
    certificates: [{ certificatePath: "/etc/letsencrypt/live/shop/fullchain.pem", keyPath: "/etc/letsencrypt/live/shop/privkey.pem" }],
    dhparamPath: "/etc/nginx/ffdhe2048.pem",
  },
  staticRoot: "/srv/static",
  mediaRoot: "/srv/media",
  clientMaxBodyMb: 20,
  paths: { pidFile: "/run/nginx.pid", errorLog: "/var/log/nginx/error.log", accessLog: "/var/log/nginx/access.log", tempDir: "/var/cache/nginx" },
};
const SECURITY_HEADERS = ["Strict-Transport-Security", "Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Permissions-Policy"];

/** The text of every `location … { … }` block (braces matched). */
function locations(conf: string): { head: string; body: string }[] {
  const found: { head: string; body: string }[] = [];
  for (const match of conf.matchAll(/^[ \t]*location [^{\n]+\{/gm)) {
    let depth = 1;
    let at = match.index! + match[0].length;
    while (depth > 0) {
      if (conf[at] === "{") depth++;
      if (conf[at] === "}") depth--;
      at++;
    }
    found.push({ head: match[0].trim(), body: conf.slice(match.index! + match[0].length, at - 1) });
  }
  return found;
}

describe("renderNginxConf", () => {
  const conf = renderNginxConf(ARGS);

  it("uses the nginx 1.22 HTTP/2 syntax", () => {
    expect(conf).toContain("listen 443 ssl http2;");
    expect(conf).not.toMatch(/^\s*http2 on;/m);
  });

  it("redirects to https without :443, and with the port when the public port is another", () => {
    expect(conf).toContain("return 301 https://$host$request_uri;");
    expect(renderNginxConf({ ...ARGS, publicHttpsPort: 8443 })).toContain("return 301 https://$host:8443$request_uri;");
  });

  it("puts the Mozilla intermediate TLS settings at http level, before any server, so the catch-all uses them too", () => {
    const beforeServers = conf.slice(0, conf.indexOf("server {"));
    expect(beforeServers).toContain("ssl_protocols TLSv1.2 TLSv1.3;");
    expect(beforeServers).toContain(`ssl_ciphers ${MOZILLA_INTERMEDIATE_TLS12_CIPHERS.join(":")};`);
    expect(beforeServers).toContain("ssl_prefer_server_ciphers off;");
    expect(beforeServers).toContain("ssl_session_tickets off;");
    expect(beforeServers).toContain("ssl_dhparam /etc/nginx/ffdhe2048.pem;");
    expect(beforeServers).toContain("ssl_stapling off;");
  });

  it("staples OCSP only when given a trust chain and resolvers", () => {
    const stapled = renderNginxConf({ ...ARGS, tls: { ...ARGS.tls, ocspStapling: { trustedCertificatePath: "/etc/ssl/chain.pem", resolvers: ["1.1.1.1"] } } });
    expect(stapled).toContain("ssl_stapling on;");
    expect(stapled).toContain("resolver 1.1.1.1 valid=300s;");
  });

  it("sends every security header with `always`", () => {
    const addHeaders = conf.split("\n").filter((l) => l.trim().startsWith("add_header") && !l.includes("Cache-Control"));
    expect(addHeaders.length).toBeGreaterThan(0);
    for (const line of addHeaders) expect(line.trim()).toMatch(/ always;$/);
  });

  it("repeats the whole security header block in every location that sets its own headers", () => {
    const withOwnHeaders = locations(renderNginxConf({ ...ARGS, grafana: { upstream: { host: "grafana", port: 3000 }, htpasswdPath: "/etc/nginx/grafana.htpasswd" } }))
      .filter((l) => l.body.includes("add_header"));
    expect(withOwnHeaders.map((l) => l.head.trim())).toEqual(["location ^~ /static/ {", "location ^~ /media/ {", "location ^~ /grafana/ {"]);
    for (const location of withOwnHeaders) {
      for (const header of SECURITY_HEADERS) expect(location.body, `${location.head} ${header}`).toContain(`add_header ${header} `);
    }
  });

  it("asks for HSTS of at least a year with subdomains, preload only on request, and refuses less", () => {
    expect(conf).toContain('"max-age=63072000; includeSubDomains"');
    expect(renderNginxConf({ ...ARGS, hsts: { preload: true } })).toContain('"max-age=63072000; includeSubDomains; preload"');
    expect(() => renderNginxConf({ ...ARGS, hsts: { maxAgeSeconds: 86400 } })).toThrow(/31536000/);
  });

  it("rate-limits login, admin and API with 429, but never the health check", () => {
    expect(conf).toContain("limit_req_status 429;");
    const byHead = Object.fromEntries(locations(conf).map((l) => [l.head.replace(/\s+\{$/, ""), l.body]));
    expect(byHead["location ^~ /accounts/login"]).toContain("limit_req zone=login burst=5 nodelay;");
    expect(byHead["location ^~ /admin/login"]).toContain("limit_req zone=login ");
    expect(byHead["location ^~ /admin/"]).toContain("limit_req zone=admin ");
    expect(byHead["location ^~ /api/"]).toContain("limit_req zone=api ");
    expect(byHead["location = /health/"]).not.toContain("limit_req");
    expect(byHead["location = /health/"]).toContain("access_log off;");
  });

  it("forwards client identity to gunicorn without trusting a client-supplied X-Forwarded-For", () => {
    expect(conf).toContain("proxy_set_header X-Forwarded-For $remote_addr;");
    expect(conf).toContain("proxy_set_header X-Forwarded-Proto https;");
    expect(conf).not.toContain("$proxy_add_x_forwarded_for");
    for (const location of locations(conf)) expect(location.body).not.toContain("proxy_set_header");
  });

  it("trusts a CDN's client-address header only from the given ranges", () => {
    expect(conf).not.toContain("real_ip_header");
    const behindCdn = renderNginxConf({ ...ARGS, realIp: { trustedProxyCidrs: ["173.245.48.0/20", "2400:cb00::/32"], header: "CF-Connecting-IP" } });
    expect(behindCdn).toContain("set_real_ip_from 173.245.48.0/20;");
    expect(behindCdn).toContain("set_real_ip_from 2400:cb00::/32;");
    expect(behindCdn).toContain("real_ip_header CF-Connecting-IP;");
  });

  it("serves stub_status on its own port to loopback and the given networks only", () => {
    expect(conf).not.toContain("stub_status");
    const withStatus = renderNginxConf({ ...ARGS, status: { port: 8080, allowCidrs: ["172.30.1.0/24"] } });
    const status = locations(withStatus).find((l) => l.head === "location = /stub_status {")!;
    expect(withStatus).toContain("listen 8080;");
    expect(status.body.trim().split(/\s*\n\s*/)).toEqual(["stub_status;", "allow 127.0.0.1;", "allow 172.30.1.0/24;", "deny all;"]);
  });

  it("refuses invalid ports, no certificate and header values that would break quoting", () => {
    expect(() => renderNginxConf({ ...ARGS, httpsPort: 70000 })).toThrow(/httpsPort/);
    expect(() => renderNginxConf({ ...ARGS, tls: { ...ARGS.tls, certificates: [] } })).toThrow(/certificate/);
    expect(() => renderNginxConf({ ...ARGS, contentSecurityPolicy: `default-src "self"` })).toThrow(/double quotes/);
  });
});

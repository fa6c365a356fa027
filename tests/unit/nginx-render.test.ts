import { describe, expect, it } from "vitest";
import { configuredBrowserProviders } from "../../components/edge/browser-providers";
import { BROWSER_PROVIDER_SOURCES } from "../../components/nginx/browser-policies";
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

/** The first value of `header` in the server listening on `listen` (server-level add_header lines). */
function serverHeader(conf: string, listen: string, header: string): string | undefined {
  const server = conf.split(/^ {4}server \{$/m).find((block) => block.includes(`listen ${listen};`)) ?? "";
  const line = server.split("\n").find((l) => l.startsWith(`        add_header ${header} `));
  return line ? /^ *add_header \S+ (["'])(.*)\1 always;$/.exec(line)?.[2] : undefined;
}

/** A CSP value as directive -> sources. */
function cspDirectives(csp: string): Record<string, string[]> {
  return Object.fromEntries(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([name, ...sources]) => [name!, sources]));
}

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
    const grafana = { upstream: { host: "grafana", port: 3000 }, htpasswdPath: "/etc/nginx/grafana.htpasswd" };
    expect(() => renderNginxConf({ ...ARGS, grafana: { ...grafana, contentSecurityPolicy: `default-src "self"` } })).toThrow(/grafana.contentSecurityPolicy/);
  });

  it("gives the plain-HTTP redirect every security header that works without TLS, and never HSTS", () => {
    const redirectServer = conf.split(/^ {4}server \{$/m).find((block) => block.includes("listen 80;"))!;
    expect(redirectServer).toContain("return 301 https://");
    for (const header of SECURITY_HEADERS.filter((h) => h !== "Strict-Transport-Security")) {
      expect(redirectServer, header).toMatch(new RegExp(`^ {8}add_header ${header} .* always;$`, "m"));
    }
    expect(redirectServer).not.toContain("Strict-Transport-Security");
    // Inherited by both locations: neither sets its own add_header.
    for (const location of locations(redirectServer)) expect(location.body).not.toContain("add_header");
  });
});

describe("the pages' Content-Security-Policy and Permissions-Policy", () => {
  const plain = renderNginxConf(ARGS);
  const withStripe = renderNginxConf({ ...ARGS, browserProviders: ["stripe"] });
  const csp = (conf: string, listen = "443 ssl http2") => cspDirectives(serverHeader(conf, listen, "Content-Security-Policy")!);

  it("allows scripts, connections, frames and form posts only to the origin when no provider is configured", () => {
    const own = csp(plain);
    expect(own["script-src"]).toEqual(["'self'"]);
    expect(own["connect-src"]).toEqual(["'self'"]);
    expect(own["form-action"]).toEqual(["'self'"]);
    expect(own["frame-src"]).toBeUndefined(); // default-src 'self' applies
    expect(plain).not.toContain("stripe");
    expect(serverHeader(plain, "443 ssl http2", "Permissions-Policy")).toMatch(/payment=\(self\)$/);
  });

  it("adds exactly Stripe's documented sources to the directives Stripe.js and Checkout need, and nothing else", () => {
    const own = csp(plain);
    const stripe = csp(withStripe);
    expect(stripe["script-src"]).toEqual(["'self'", "https://js.stripe.com", "https://*.js.stripe.com", "https://maps.googleapis.com", "https://checkout.stripe.com"]);
    expect(stripe["connect-src"]).toEqual(["'self'", "https://api.stripe.com", "https://maps.googleapis.com", "https://checkout.stripe.com"]);
    // frame-src starts from default-src's 'self', so same-origin frames keep working.
    expect(stripe["frame-src"]).toEqual(["'self'", "https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com", "https://checkout.stripe.com"]);
    expect(stripe["form-action"]).toEqual(["'self'", "https://checkout.stripe.com"]);
    // https://*.stripe.com images are already allowed by https:.
    expect(stripe["img-src"]).toEqual(own["img-src"]);
    const untouched = Object.keys(own).filter((d) => !["script-src", "connect-src", "form-action"].includes(d));
    for (const directive of untouched) expect(stripe[directive], directive).toEqual(own[directive]);
    expect(BROWSER_PROVIDER_SOURCES.stripe.documentation).toBe("https://docs.stripe.com/security/guide#content-security-policy");
  });

  it("lets Stripe's payment frames use the Payment Request API (Apple Pay, Google Pay) and keeps other features off", () => {
    const policy = serverHeader(withStripe, "443 ssl http2", "Permissions-Policy")!;
    expect(policy).toContain('payment=(self "https://js.stripe.com")');
    expect(policy).toContain("camera=()");
    // Double quotes inside: nginx gets the value in single quotes.
    expect(withStripe).toContain(`add_header Permissions-Policy '${policy}' always;`);
  });

  it("sends the same CSP on the redirect, on the HTTPS server and in /static/; uploads keep their sandbox", () => {
    const pages = serverHeader(withStripe, "443 ssl http2", "Content-Security-Policy")!;
    expect(serverHeader(withStripe, "80", "Content-Security-Policy")).toBe(pages);
    const byHead = Object.fromEntries(locations(withStripe).map((l) => [l.head, l.body]));
    expect(byHead["location ^~ /static/ {"]).toContain(`add_header Content-Security-Policy "${pages}" always;`);
    const mediaCsp = /add_header Content-Security-Policy "([^"]*)"/.exec(byHead["location ^~ /media/ {"]!)![1]!;
    expect(mediaCsp).toContain("sandbox");
    expect(mediaCsp).not.toContain("stripe");
  });

  it("counts Stripe as configured exactly when the stack has a publishable key", () => {
    expect(configuredBrowserProviders({ stripePublishableKey: "pk_live_51ExampleOnly" })).toEqual(["stripe"]);
    expect(configuredBrowserProviders({})).toEqual([]);
    expect(configuredBrowserProviders({ stripePublishableKey: "" })).toEqual([]);
  });
});

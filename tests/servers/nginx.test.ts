// The generated nginx.conf in a real nginx 1.22 (Debian package) in front of a small node:http
// stand-in for gunicorn, then sslscan against it, then fail2ban (config test and its filters
// against the very log lines this nginx wrote): one nginx start-up serves all three.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect as tlsConnect } from "node:tls";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MOZILLA_INTERMEDIATE_TLS12_CIPHERS,
  MOZILLA_INTERMEDIATE_TLS13_SUITES,
  renderNginxConf,
} from "../../components/nginx/nginx-conf";
import {
  FAIL2BAN_FILTER_NAMES,
  renderFail2banCloudflareTokenLocal,
  renderFail2banJailLocal,
  renderNginxAuthFailureFilter,
  renderNginxLimitReqFilter,
} from "../../components/fail2ban/fail2ban-config";
import { freePort, portAccepts, removeDir, selfSignedCert, startServer, workDir, type ServerProcess } from "./fixtures";

const DOMAIN = "shop.example.test";
const LOGIN_BURST = 2;
const SECURITY_HEADERS = [
  "strict-transport-security", "content-security-policy", "x-content-type-options",
  "x-frame-options", "referrer-policy", "permissions-policy",
];
const BIG_JSON = JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `ring ${i}` })) });

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let dir: string;
let ports: { http: number; https: number; upstream: number; status: number };
let upstream: Server;
let nginx: ServerProcess;

function send(scheme: "http" | "https", path: string, opts: { method?: string; host?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const host = opts.host ?? DOMAIN;
  const common = {
    host: "127.0.0.1",
    path,
    method: opts.method ?? "GET",
    headers: { host, ...opts.headers },
    agent: false as const,
  };
  return new Promise((resolve, reject) => {
    const done = (res: import("node:http").IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    };
    const req = scheme === "http"
      ? httpRequest({ ...common, port: ports.http }, done)
      : httpsRequest({ ...common, port: ports.https, servername: host, rejectUnauthorized: false }, done);
    req.on("error", reject);
    req.end();
  });
}

function expectSecurityHeaders(reply: Reply): void {
  for (const name of SECURITY_HEADERS) expect(reply.headers[name], `${name} on ${reply.status}`).toBeTruthy();
  expect(reply.headers["x-content-type-options"]).toBe("nosniff");
  expect(reply.headers["x-frame-options"]).toBe("DENY");
  expect(reply.headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
}

function startUpstream(port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = req.url ?? "/";
    if (path.startsWith("/boom/")) {
      req.socket.destroy(); // nginx answers 502
      return;
    }
    res.setHeader("Server", "gunicorn");
    res.setHeader("X-Frame-Options", "SAMEORIGIN"); // nginx owns this header: it must hide this one
    if (path.startsWith("/api/")) {
      res.setHeader("Content-Type", "application/json");
      res.end(BIG_JSON);
    } else if (path.startsWith("/accounts/login/")) {
      // Django re-renders the form with 200 on a wrong password.
      res.setHeader("Content-Type", "text/html");
      res.end("<form>login</form>");
    } else if (path.startsWith("/admin/")) {
      res.statusCode = 403;
      res.end("forbidden");
    } else if (path === "/metrics") {
      res.end(`metrics for ${req.headers.host} via ${req.headers["x-forwarded-proto"]}`);
    } else {
      res.end(path === "/health/" ? "ok" : "home");
    }
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

beforeAll(async () => {
  dir = workDir("nginx");
  ports = { http: await freePort(), https: await freePort(), upstream: await freePort(), status: await freePort() };
  for (const sub of ["static", "media", "acme/.well-known/acme-challenge", "tmp", "logs"]) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, "acme/.well-known/acme-challenge/token-123"), "token-123.thumbprint");
  writeFileSync(join(dir, "static/app.css"), "body { color: #333; }\n".repeat(200));
  writeFileSync(join(dir, "media/upload.html"), "<script>alert(1)</script>");

  const ecdsa = selfSignedCert(dir);
  // A second, RSA certificate so the scan also covers the ECDHE-RSA and DHE-RSA suites.
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "rsa.key"),
    "-out", join(dir, "rsa.crt"), "-days", "2", "-subj", `/CN=${DOMAIN}`], { stdio: "ignore" });
  execFileSync("openssl", ["genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048", "-out", join(dir, "ffdhe2048.pem")]);

  const conf = renderNginxConf({
    primaryDomain: DOMAIN,
    domainAliases: [`www.${DOMAIN}`],
    upstream: { host: "127.0.0.1", port: ports.upstream },
    listenAddress: "127.0.0.1",
    httpPort: ports.http,
    httpsPort: ports.https,
    publicHttpsPort: ports.https,
    acmeWebroot: join(dir, "acme"),
    tls: {
      certificates: [{ certificatePath: ecdsa.cert, keyPath: ecdsa.key }, { certificatePath: join(dir, "rsa.crt"), keyPath: join(dir, "rsa.key") }],
      dhparamPath: join(dir, "ffdhe2048.pem"),
    },
    staticRoot: join(dir, "static"),
    mediaRoot: join(dir, "media"),
    clientMaxBodyMb: 20,
    rateLimits: { login: { ratePerMinute: 6, burst: LOGIN_BURST }, admin: { ratePerMinute: 60, burst: 20 }, api: { ratePerMinute: 600, burst: 50 } },
    paths: { pidFile: join(dir, "nginx.pid"), errorLog: join(dir, "logs/error.log"), accessLog: join(dir, "logs/access.log"), tempDir: join(dir, "tmp") },
    workerUser: "www-data",
    status: { port: ports.status, allowCidrs: [] },
  });
  const confPath = join(dir, "nginx.conf");
  writeFileSync(confPath, conf);
  const baseArgs = ["-p", dir, "-c", confPath, "-e", join(dir, "logs/startup.log")];
  const check = spawnSync("nginx", ["-t", "-q", ...baseArgs], { encoding: "utf8" });
  if (check.status !== 0) throw new Error(`nginx -t rejected the generated config:\n${check.stderr}`);

  upstream = await startUpstream(ports.upstream);
  // Master runs as root (to bind and read the keys), workers as www-data; the PID held is the master's.
  nginx = await startServer({
    name: "nginx",
    argv: ["nginx", ...baseArgs, "-g", "daemon off;"],
    ready: async () => (await portAccepts(ports.https)) && (await portAccepts(ports.http)),
  });
});

afterAll(async () => {
  await nginx?.stop("SIGQUIT");
  await new Promise((resolve) => (upstream ? upstream.close(resolve) : resolve(undefined)));
  if (dir) removeDir(dir);
});

describe("nginx with the generated config", () => {
  it("redirects plain HTTP to HTTPS with 301, keeping path and query", async () => {
    const reply = await send("http", "/rings/gold/?size=7&sort=price");
    expect(reply.status).toBe(301);
    expect(reply.headers.location).toBe(`https://${DOMAIN}:${ports.https}/rings/gold/?size=7&sort=price`);
  });

  it("sends the security headers that work without TLS on the redirect and the challenge, and never HSTS", async () => {
    for (const reply of [await send("http", "/checkout/"), await send("http", "/.well-known/acme-challenge/token-123")]) {
      for (const name of SECURITY_HEADERS.filter((h) => h !== "strict-transport-security")) expect(reply.headers[name], `${name} on ${reply.status}`).toBeTruthy();
      expect(reply.headers["x-content-type-options"]).toBe("nosniff");
      expect(reply.headers["strict-transport-security"]).toBeUndefined();
    }
  });

  it("serves ACME HTTP-01 challenges over plain HTTP from the webroot", async () => {
    const reply = await send("http", "/.well-known/acme-challenge/token-123");
    expect(reply.status).toBe(200);
    expect(reply.body.toString()).toBe("token-123.thumbprint");
  });

  it("drops requests for names it does not serve, on HTTP and in the TLS handshake", async () => {
    await expect(send("http", "/", { host: "evil.example" })).rejects.toThrow(/socket hang up|ECONNRESET/);
    await expect(send("https", "/", { host: "evil.example" })).rejects.toThrow(/alert|handshake|ECONNRESET|socket/i);
  });

  it("proxies to the app with every security header, HSTS for a year with subdomains, and no version", async () => {
    const reply = await send("https", "/api/products/");
    expect(reply.status).toBe(200);
    expectSecurityHeaders(reply);
    const hsts = String(reply.headers["strict-transport-security"]);
    expect(Number(/max-age=(\d+)/.exec(hsts)?.[1])).toBeGreaterThanOrEqual(31_536_000);
    expect(hsts).toContain("includeSubDomains");
    expect(reply.headers.server).toBe("nginx");
  });

  it("keeps the security headers on a 502 from a dead upstream connection", async () => {
    const reply = await send("https", "/boom/");
    expect(reply.status).toBe(502);
    expectSecurityHeaders(reply);
    expect(reply.body.toString()).not.toMatch(/nginx\/\d/);
  });

  it("compresses text responses above the minimum length", async () => {
    const reply = await send("https", "/api/products/", { headers: { "accept-encoding": "gzip" } });
    expect(reply.headers["content-encoding"]).toBe("gzip");
    expect(reply.headers.vary).toContain("Accept-Encoding");
    expect(gunzipSync(reply.body).toString()).toBe(BIG_JSON);
  });

  it("serves static files itself with a long immutable cache and the security headers", async () => {
    const reply = await send("https", "/static/app.css", { headers: { "accept-encoding": "gzip" } });
    expect(reply.status).toBe(200);
    expect(reply.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(reply.headers["content-encoding"]).toBe("gzip");
    expectSecurityHeaders(reply);
  });

  it("serves uploads sandboxed, with a shorter cache, never as active content", async () => {
    const reply = await send("https", "/media/upload.html");
    expect(reply.status).toBe(200);
    expect(reply.headers["cache-control"]).toBe("public, max-age=86400");
    expect(reply.headers["content-security-policy"]).toContain("sandbox");
    expectSecurityHeaders(reply);
  });

  it("reports stub_status to loopback on the status port", async () => {
    const body = await new Promise<string>((resolve, reject) => {
      httpRequest({ host: "127.0.0.1", port: ports.status, path: "/stub_status", agent: false }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve(text));
      }).on("error", reject).end();
    });
    expect(body).toMatch(/^Active connections: \d+/);
  });

  it("serves the app's /metrics on the status port with the public Host, and 404 on the public site", async () => {
    const body = await new Promise<string>((resolve, reject) => {
      httpRequest({ host: "127.0.0.1", port: ports.status, path: "/metrics", agent: false }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve(text));
      }).on("error", reject).end();
    });
    expect(body).toBe(`metrics for ${DOMAIN} via https`);
    const reply = await send("https", "/metrics");
    expect(reply.status).toBe(404);
    expect(reply.body.toString()).not.toContain("metrics for");
  });

  it("answers the health check every time and leaves it out of the access log", async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, () => send("https", "/health/")));
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(readFileSync(join(dir, "logs/access.log"), "utf8")).not.toContain("/health/");
  });

  it("answers 429 on the login path once the burst is spent, security headers included", async () => {
    const statuses: number[] = [];
    let limited: Reply | undefined;
    for (let i = 0; i < LOGIN_BURST + 3; i++) {
      const reply = await send("https", "/accounts/login/", { method: "POST" });
      statuses.push(reply.status);
      if (reply.status === 429) limited = reply;
    }
    expect(statuses.slice(0, LOGIN_BURST + 1)).toEqual(Array(LOGIN_BURST + 1).fill(200));
    expect(statuses.slice(LOGIN_BURST + 1)).toEqual([429, 429]);
    expectSecurityHeaders(limited!);
    // The admin area has its own zone: the login limit does not spill over.
    expect((await send("https", "/admin/orders/")).status).toBe(403);
  });
});

describe("sslscan against the running nginx", () => {
  let scan: string;
  beforeAll(() => {
    scan = execFileSync("sslscan", ["--no-colour", `--sni-name=${DOMAIN}`, `127.0.0.1:${ports.https}`], { encoding: "utf8" });
  });

  it("finds only TLS 1.2 and 1.3 enabled", () => {
    const protocols = Object.fromEntries([...scan.matchAll(/^(SSLv2|SSLv3|TLSv1\.[0-3])\s+(enabled|disabled)$/gm)].map((m) => [m[1], m[2]]));
    expect(protocols).toEqual({ SSLv2: "disabled", SSLv3: "disabled", "TLSv1.0": "disabled", "TLSv1.1": "disabled", "TLSv1.2": "enabled", "TLSv1.3": "enabled" });
  });

  it("finds every accepted cipher inside the Mozilla intermediate set, with ffdhe2048 for DHE", () => {
    const accepted = [...scan.matchAll(/^(?:Preferred|Accepted)\s+(TLSv1\.[23])\s+\d+ bits\s+(\S+)\s*(.*)$/gm)];
    expect(accepted.length).toBeGreaterThan(0);
    const allowed = new Set([...MOZILLA_INTERMEDIATE_TLS12_CIPHERS, ...MOZILLA_INTERMEDIATE_TLS13_SUITES]);
    for (const [, protocol, cipher, kex] of accepted) {
      expect(allowed.has(cipher), `${protocol} ${cipher}`).toBe(true);
      if (cipher.startsWith("DHE-")) expect(kex).toContain("DHE 2048 bits");
    }
    // Both certificates are in use: ECDSA and RSA suites are both offered.
    const names = accepted.map((m) => m[2]);
    expect(names).toContain("ECDHE-ECDSA-AES128-GCM-SHA256");
    expect(names).toContain("DHE-RSA-AES256-GCM-SHA384");
  });

  it("completes a TLS 1.3 handshake with SNI and negotiates HTTP/2", async () => {
    const { protocol, alpn } = await new Promise<{ protocol: string | null; alpn: string | false | null }>((resolve, reject) => {
      const socket = tlsConnect({ host: "127.0.0.1", port: ports.https, servername: DOMAIN, rejectUnauthorized: false, ALPNProtocols: ["h2", "http/1.1"] }, () => {
        resolve({ protocol: socket.getProtocol(), alpn: socket.alpnProtocol });
        socket.destroy();
      });
      socket.on("error", reject);
    });
    expect(protocol).toBe("TLSv1.3");
    expect(alpn).toBe("h2");
  });
});

// fail2ban reads the logs of the nginx above: its checks run after the requests that wrote them.
describe("fail2ban with the generated jail.local and filters", () => {
  let configDir: string;
  const filter = (name: string) => join(configDir, "filter.d", `${name}.conf`);
  const regex = (log: string, filterFile: string) => {
    const out = execFileSync("fail2ban-regex", [log, filterFile], { encoding: "utf8" });
    const matched = /Lines: \d+ lines, \d+ ignored, (\d+) matched/.exec(out);
    if (!matched) throw new Error(`unexpected fail2ban-regex output:\n${out}`);
    return Number(matched[1]);
  };

  beforeAll(() => {
    configDir = join(dir, "fail2ban");
    cpSync("/etc/fail2ban", configDir, { recursive: true });
    // Debian enables sshd, whose log does not exist here; the host keeps its own sshd jail.
    writeFileSync(join(configDir, "jail.d/zz-test-no-sshd.local"), "[sshd]\nenabled = false\n");
    writeFileSync(join(configDir, "fail2ban.d/zz-test-quiet.local"), "[Definition]\nallowipv6 = auto\n");
    writeFileSync(join(configDir, "jail.local"), renderFail2banJailLocal({
      nginxErrorLog: join(dir, "logs/error.log"),
      nginxAccessLog: join(dir, "logs/access.log"),
      cloudflareZoneId: "0123456789abcdef0123456789abcdef",
    }));
    writeFileSync(join(configDir, "action.d/cloudflare-token.local"), renderFail2banCloudflareTokenLocal("test-token-0123456789abcdefABCDEF"));
    writeFileSync(filter(FAIL2BAN_FILTER_NAMES.limitReq), renderNginxLimitReqFilter());
    writeFileSync(filter(FAIL2BAN_FILTER_NAMES.authFailure), renderNginxAuthFailureFilter());
  });

  it("accepts the configuration, with bans in Docker's forward path and at Cloudflare", () => {
    const test = spawnSync("fail2ban-client", ["-c", configDir, "-t"], { encoding: "utf8" });
    expect(test.status, test.stderr).toBe(0);
    const dump = execFileSync("fail2ban-client", ["-c", configDir, "-d"], { encoding: "utf8" });
    for (const jail of Object.values(FAIL2BAN_FILTER_NAMES)) expect(dump).toContain(`['add', '${jail}', 'auto']`);
    expect(dump).toContain("hook forward");
    expect(dump).toContain("Bearer test-token-0123456789abcdefABCDEF");
  });

  it("matches the limit_req refusals nginx wrote to its error log", () => {
    const log = readFileSync(join(dir, "logs/error.log"), "utf8");
    expect(log).toContain("limiting requests");
    expect(regex(join(dir, "logs/error.log"), filter(FAIL2BAN_FILTER_NAMES.limitReq))).toBe(2);
  });

  it("matches the refused and failed sign-ins nginx wrote to its access log, and nothing else", () => {
    const lines = readFileSync(join(dir, "logs/access.log"), "utf8").trim().split("\n");
    const expected = lines.filter((l) => /"POST \/accounts\/login\/ [^"]*" (200|429) |"GET \/admin\/orders\/ [^"]*" 403 /.test(l));
    expect(expected.length).toBe(LOGIN_BURST + 3 + 1);
    expect(regex(join(dir, "logs/access.log"), filter(FAIL2BAN_FILTER_NAMES.authFailure))).toBe(expected.length);
    const normal = lines.find((l) => l.includes('"GET /api/products/ HTTP/1.1" 200 '));
    expect(normal).toBeDefined();
    expect(regex(normal!, filter(FAIL2BAN_FILTER_NAMES.authFailure))).toBe(0);
  });
});

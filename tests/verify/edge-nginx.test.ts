// verify's edge checks against Debian's nginx serving the program's own nginx.conf (renderNginxConf,
// the production rates): the intent read through the pack's nginx model matches what nginx really
// serves (HTTPS, the redirect, protocols and suites, headers on 200/301/404/429/505, each limit_req
// zone's first 429, the fast 600r/m zone included), and a fault in the served file is caught by its
// checklist id alone: a header removed (10.4), TLS 1.1 enabled (9.3).
import type { PolicyResource } from "@pulumi/policy";
import { unknownCheckingProxy } from "@pulumi/policy";
import { execFileSync, spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderNginxConf } from "../../components/nginx/nginx-conf";
import type { VerifyContext } from "../../verify/checks/context";
import { securityHeaders } from "../../verify/checks/outside/headers";
import { rateLimit } from "../../verify/checks/outside/rate-limit";
import { tlsServed } from "../../verify/checks/outside/tls";
import { httpRedirect, https } from "../../verify/checks/outside/web";
import type { StackIntent } from "../../verify/intent";
import { declaredEdge } from "../../verify/intent/nginx";
import { HttpProbe } from "../../verify/probes/http";
import { PublicAddresses } from "../../verify/probes/public-address";
import type { CheckResult } from "../../verify/report";
import { runState } from "../../verify/run-verify";
import { freePort, portAccepts, removeDir, selfSignedCert, startServer, workDir, type ServerProcess, waitFor } from "../servers/fixtures";

const DOMAIN = "shop.verify.test";
const CHECKS = [https, httpRedirect, tlsServed, securityHeaders, rateLimit];

let dir: string;
let confPath: string;
let nginx: ServerProcess;
let upstream: Server;
let ports: { http: number; https: number; upstream: number; status: number };
let intent: StackIntent;

/** The edge container as the program declares it: the official image, the rendered nginx.conf uploaded, the ports published. */
function edgeContainer(conf: string): PolicyResource {
  const props = {
    name: "edge", image: "nginx:1.27.3",
    uploads: [{ file: "/etc/nginx/nginx.conf", content: conf }],
    ports: [{ internal: ports.https, external: ports.https }, { internal: ports.http, external: ports.http }],
  };
  return { type: "docker:index/container:Container", name: "edge", urn: "urn:edge", props: unknownCheckingProxy(props), propertyDependencies: {} } as unknown as PolicyResource;
}

/** One verify run of the edge checks against the running nginx. */
async function verifyEdge(): Promise<CheckResult[]> {
  const addresses = new PublicAddresses([{ host: "*", port: 0, address: "127.0.0.1" }]);
  const http = new HttpProbe(addresses);
  const ctx = {
    intent, addresses, http, skipped: new Set<string>(), now: () => new Date(), extraCa: [], caaIdentities: new Map(),
    ...runState(http),
  } as unknown as VerifyContext;
  try {
    const results: CheckResult[] = [];
    for (const check of CHECKS) results.push(...(await check.run(ctx)));
    return results;
  } finally {
    http.close();
  }
}

const failingIds = (results: readonly CheckResult[]) => [...new Set(results.filter((r) => r.verdict === "fail" || r.verdict === "unreachable").flatMap((r) => r.ids))].sort();
const failures = (results: readonly CheckResult[]) => results.filter((r) => r.verdict !== "pass" && r.verdict !== "skipped").map((r) => `${r.check} ${r.subject}: ${r.evidence}`).join("\n");

const startNginx = () => startServer({
  name: "nginx",
  argv: ["nginx", "-p", dir, "-c", confPath, "-e", join(dir, "logs/startup.log"), "-g", "daemon off;"],
  ready: async () => (await portAccepts(ports.https)) && (await portAccepts(ports.http)),
});

/**
 * Serves `conf` until `served` holds: by `nginx -s reload`, which keeps the limit_req zones' state
 * (the bursts of the tests before), or by a restart, which starts them empty.
 */
async function serve(conf: string, served: () => Promise<boolean>, how: "reload" | "restart"): Promise<void> {
  writeFileSync(confPath, conf);
  if (how === "restart") {
    await nginx.stop("SIGQUIT");
    nginx = await startNginx();
  } else {
    const reload = spawnSync("nginx", ["-p", dir, "-c", confPath, "-e", join(dir, "logs/startup.log"), "-s", "reload"], { encoding: "utf8" });
    if (reload.status !== 0) throw new Error(`nginx -s reload: ${reload.stderr}`);
  }
  await waitFor("nginx serving the new configuration", served, 15_000);
}

async function header(name: string): Promise<string | undefined> {
  const http = new HttpProbe(new PublicAddresses([{ host: "*", port: 0, address: "127.0.0.1" }]));
  try {
    return (await http.request({ scheme: "https", host: DOMAIN, port: ports.https, path: "/health/" })).headers.get(name)?.[0];
  } finally {
    http.close();
  }
}

const tls11 = () => spawnSync("openssl", ["s_client", "-connect", `127.0.0.1:${ports.https}`, "-servername", DOMAIN, "-tls1_1", "-cipher", "ALL:@SECLEVEL=0"], { input: "", timeout: 10_000 }).status === 0;

beforeAll(async () => {
  dir = workDir("verify-edge");
  ports = { http: await freePort(), https: await freePort(), upstream: await freePort(), status: await freePort() };
  for (const sub of ["static", "media", "acme", "tmp", "logs"]) mkdirSync(join(dir, sub), { recursive: true });
  const cert = selfSignedCert(dir);
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", cert.key, "-out", cert.cert,
    "-days", "2", "-subj", `/CN=${DOMAIN}`, "-addext", `subjectAltName=DNS:${DOMAIN},DNS:www.${DOMAIN}`], { stdio: "ignore" });
  execFileSync("openssl", ["genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048", "-out", join(dir, "ffdhe2048.pem")]);
  const args: Parameters<typeof renderNginxConf>[0] = {
    primaryDomain: DOMAIN, domainAliases: [`www.${DOMAIN}`],
    upstream: { host: "127.0.0.1", port: ports.upstream },
    httpPort: ports.http, httpsPort: ports.https, publicHttpsPort: ports.https,
    acmeWebroot: join(dir, "acme"),
    tls: { certificates: [{ certificatePath: cert.cert, keyPath: cert.key }], dhparamPath: join(dir, "ffdhe2048.pem") },
    staticRoot: join(dir, "static"), mediaRoot: join(dir, "media"), clientMaxBodyMb: 20,
    // The production stack's rates (Pulumi.production.yaml): the 600r/m zone drains ten a second.
    rateLimits: { login: { ratePerMinute: 10, burst: 5 }, admin: { ratePerMinute: 120, burst: 40 }, api: { ratePerMinute: 600, burst: 100 } },
    paths: { pidFile: join(dir, "nginx.pid"), errorLog: join(dir, "logs/error.log"), accessLog: join(dir, "logs/access.log"), tempDir: join(dir, "tmp") },
    workerUser: "www-data",
    status: { port: ports.status, allowCidrs: [] },
  };
  // Declared as production declares it (every address; Docker publishes the ports), served on
  // 127.0.0.1 only, where this machine's tests may listen: the one difference between the two files.
  const declared = renderNginxConf(args);
  confPath = join(dir, "nginx.conf");
  writeFileSync(confPath, renderNginxConf({ ...args, listenAddress: "127.0.0.1" }));
  upstream = await new Promise<Server>((resolve) => {
    const server = createServer((req, res) => {
      res.writeHead(req.url === "/health/" ? 200 : 404, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ database: "ok", redis: "ok" }));
    });
    server.listen(ports.upstream, "127.0.0.1", () => resolve(server));
  });
  nginx = await startNginx();
  intent = { edge: declaredEdge([edgeContainer(declared)]), records: [], containers: [] } as unknown as StackIntent;
}, 60_000);

afterAll(async () => {
  await nginx?.stop("SIGQUIT");
  await new Promise((resolve) => (upstream ? upstream.close(resolve) : resolve(undefined)));
  if (dir) removeDir(dir);
});

describe("verify's edge checks against nginx serving the program's nginx.conf", () => {
  it("pass on the configuration as declared, the fast API zone's first 429 included", async () => {
    const results = await verifyEdge();
    expect(failures(results)).toBe("");
    const bursts = results.filter((r) => r.check === "rate-limit");
    // One burst per zone (login, admin, api), each on a location nginx routes to that zone.
    expect(bursts.map((r) => r.evidence.match(/zone (\w+)/)?.[1]).sort()).toEqual(["admin", "api", "login"]);
    expect(bursts.find((r) => r.subject.endsWith("/api/"))!.evidence).toMatch(/accepted, then 429/);
  }, 240_000);

  // Reloaded: the zones still hold the first test's bursts, so here the rate-limit check also meets a
  // login zone that traffic from before its run filled, waits for it to drain (36 s at 10r/m burst 5)
  // and bursts again, as against a live edge. The other tests restart nginx: their zones start empty.
  it("catch a security header removed from the served file as 10.4 alone", async () => {
    const declared = readFileSync(confPath, "utf8");
    await serve(declared.replace(/^\s*add_header Referrer-Policy .*\n/gm, ""), async () => (await header("referrer-policy")) === undefined, "reload");
    try {
      const results = await verifyEdge();
      expect(failingIds(results), failures(results)).toEqual(["10.4"]);
    } finally {
      await serve(declared, async () => (await header("referrer-policy")) !== undefined, "restart");
    }
  }, 240_000);

  it("catch TLS 1.1 enabled in the served file as 9.3 alone", async () => {
    const declared = readFileSync(confPath, "utf8");
    const legacy = declared.replace(/ssl_protocols TLSv1\.2 TLSv1\.3;/, "ssl_protocols TLSv1.1 TLSv1.2 TLSv1.3;").replace(/(ssl_ciphers [^;]+);/, "$1:ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0;");
    expect(legacy).not.toBe(declared);
    await serve(legacy, async () => tls11(), "restart");
    try {
      const results = await verifyEdge();
      expect(failingIds(results), failures(results)).toEqual(["9.3"]);
      expect(failures(results)).toMatch(/TLSv1\.1/);
    } finally {
      await serve(declared, async () => !tls11(), "restart");
    }
  }, 240_000);
});

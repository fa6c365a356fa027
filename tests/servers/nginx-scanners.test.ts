// The generated nginx.conf with Stripe configured, in a real nginx 1.22 (Debian) in front of a
// stand-in shop page, graded by the scanners a reviewer runs: the MDN HTTP Observatory (npm) and
// testssl.sh (Debian). Both insist on ports 80/443, so nginx, the page and the scanners run in a
// network namespace of this test's own; the host's 80/443 stay free. One nginx start-up serves both.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MOZILLA_INTERMEDIATE_TLS12_CIPHERS,
  MOZILLA_INTERMEDIATE_TLS13_SUITES,
  renderNginxConf,
} from "../../components/nginx/nginx-conf";
import { createTestCa, removeDir, startServer, workDir, type ServerProcess, type TestCa } from "./fixtures";
import { createNetworkNamespace, type NetworkNamespace } from "./netns";

const DOMAIN = "shop.example.test";
const APP_PORT = 8000;
/** testssl is a bash program: on a loaded 2-core machine its two checks took 106 s. */
const TESTSSL_LIMIT_SECONDS = 300;

let dir: string;
let namespace: NetworkNamespace;
let ca: TestCa;
let app: ServerProcess;
let nginx: ServerProcess;

beforeAll(async () => {
  dir = workDir("nginx-scanners");
  namespace = createNetworkNamespace("edge", [DOMAIN, `www.${DOMAIN}`]);
  for (const sub of ["static", "media", "acme", "tmp", "logs"]) mkdirSync(join(dir, sub), { recursive: true });
  ca = createTestCa(dir);
  const cert = ca.issue("edge", DOMAIN, "server", [`DNS:${DOMAIN}`, `DNS:www.${DOMAIN}`]);
  execFileSync("openssl", ["genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048", "-out", join(dir, "ffdhe2048.pem")]);

  // The shipped edge's ports and providers; only paths and the upstream address are the test's.
  const conf = renderNginxConf({
    primaryDomain: DOMAIN,
    domainAliases: [`www.${DOMAIN}`],
    upstream: { host: "127.0.0.1", port: APP_PORT },
    listenAddress: "127.0.0.1",
    httpPort: 80,
    httpsPort: 443,
    acmeWebroot: join(dir, "acme"),
    tls: { certificates: [{ certificatePath: cert.cert, keyPath: cert.key }], dhparamPath: join(dir, "ffdhe2048.pem") },
    staticRoot: join(dir, "static"),
    mediaRoot: join(dir, "media"),
    clientMaxBodyMb: 20,
    browserProviders: ["stripe"],
    paths: { pidFile: join(dir, "nginx.pid"), errorLog: join(dir, "logs/error.log"), accessLog: join(dir, "logs/access.log"), tempDir: join(dir, "tmp") },
    workerUser: "www-data",
  });
  const confPath = join(dir, "nginx.conf");
  writeFileSync(confPath, conf);
  const baseArgs = ["-p", dir, "-c", confPath, "-e", join(dir, "logs/startup.log")];
  const check = spawnSync("nginx", ["-t", "-q", ...baseArgs], { encoding: "utf8" });
  if (check.status !== 0) throw new Error(`nginx -t rejected the generated config:\n${check.stderr}`);

  app = await startServer({
    name: "stand-in shop",
    argv: namespace.argv([process.execPath, join(__dirname, "stand-in-shop.mjs"), String(APP_PORT)]),
    ready: () => namespace.portAccepts(APP_PORT),
  });
  nginx = await startServer({
    name: "nginx",
    argv: namespace.argv(["nginx", ...baseArgs, "-g", "daemon off;"]),
    ready: () => namespace.portAccepts(443) && namespace.portAccepts(80),
  });
});

afterAll(async () => {
  await nginx?.stop("SIGQUIT");
  await app?.stop();
  namespace?.remove();
  if (dir) removeDir(dir);
});

interface ObservatoryReport {
  scan: { grade: string; score: number; testsFailed: number; responseHeaders: Record<string, string> };
  tests: Record<string, { result: string; pass: boolean; scoreModifier: number }>;
}

/**
 * The scanner reads the HSTS preload list its skipped install script would download; an empty list
 * means "not preloaded", which a new domain is. Written only where the script did not run.
 */
function giveObservatoryItsPreloadList(): void {
  const packageDir = dirname(createRequire(__filename).resolve("@mdn/mdn-http-observatory/package.json"));
  const preload = join(packageDir, "conf", "hsts-preload.json");
  if (!existsSync(preload)) writeFileSync(preload, "{}\n");
}

describe("MDN HTTP Observatory against the real nginx", () => {
  let report: ObservatoryReport;

  beforeAll(() => {
    giveObservatoryItsPreloadList();
    const [command, ...args] = namespace.argv([process.execPath, join(__dirname, "observatory-scan.mjs"), DOMAIN]);
    const out = execFileSync(command!, args, {
      encoding: "utf8",
      env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: ca.cert },
      timeout: 90_000,
    });
    report = JSON.parse(out) as ObservatoryReport;
  }, 100_000);

  it("grades the edge A+ with 110 points while its CSP allows Stripe.js and Checkout", () => {
    expect(report.scan.grade).toBe("A+");
    expect(report.scan.score).toBe(110);
    const csp = report.scan.responseHeaders["content-security-policy"]!;
    expect(csp).toContain("script-src 'self' https://js.stripe.com https://*.js.stripe.com");
    expect(csp).toContain("frame-src 'self' https://js.stripe.com");
  });

  it("passes every test: no unsafe script source, HTTPS redirect, HSTS, nosniff, framing and referrer limited", () => {
    expect(report.scan.testsFailed).toBe(0);
    const results = Object.fromEntries(Object.entries(report.tests).map(([name, t]) => [name, t.result]));
    expect(results).toMatchObject({
      // 'unsafe-inline' only for styles (Django admin, Stripe's Elements); scripts are the origin's and Stripe's.
      "content-security-policy": "csp-implemented-with-unsafe-inline-in-style-src-only",
      redirection: "redirection-to-https",
      "strict-transport-security": "hsts-implemented-max-age-at-least-six-months",
      "x-content-type-options": "x-content-type-options-nosniff",
      "x-frame-options": "x-frame-options-implemented-via-csp",
      "referrer-policy": "referrer-policy-private",
    });
  });
});

interface TestsslFinding {
  id: string;
  severity: string;
  finding: string;
}

// Both findings are decisions (README, "testssl findings"): the test pins what testssl says about them.
describe("testssl.sh against the real nginx", () => {
  let findings: TestsslFinding[];
  const finding = (id: string) => findings.find((f) => f.id === id);

  beforeAll(() => {
    const jsonFile = join(dir, "testssl.json");
    // `timeout` signals testssl's whole process group (its openssl children too) when the limit passes.
    const run = spawnSync("ip", [
      "netns", "exec", namespace.name, "timeout", "-k", "10", String(TESTSSL_LIMIT_SECONDS),
      "testssl", "--quiet", "--color", "0", "--warnings", "off", "--nodns", "min", "--fast",
      "--server-preference", "--breach", "--jsonfile", jsonFile, `${DOMAIN}:443`,
    ], { encoding: "utf8" });
    if (run.status === 124 || run.status === 137) throw new Error(`testssl did not finish within ${TESTSSL_LIMIT_SECONDS} s`);
    if (!existsSync(jsonFile)) throw new Error(`testssl wrote no findings (exit ${run.status}):\n${run.stdout}${run.stderr}`);
    findings = JSON.parse(readFileSync(jsonFile, "utf8")) as TestsslFinding[];
  }, (TESTSSL_LIMIT_SECONDS + 30) * 1000);

  it("rates the absent server cipher order HIGH, though every suite a client can pick is Mozilla intermediate", () => {
    expect(finding("cipher_order")).toMatchObject({ severity: "HIGH", finding: "NOT a cipher order configured" });
    const picked = findings.filter((f) => /^cipher_order_TLSv1\.[23]$/.test(f.id)).map((f) => f.finding.split(" ")[0]!);
    expect(picked).toHaveLength(2);
    for (const suite of picked) expect([...MOZILLA_INTERMEDIATE_TLS12_CIPHERS, ...MOZILLA_INTERMEDIATE_TLS13_SUITES]).toContain(suite);
  });

  it("flags BREACH as potentially vulnerable because the proxied HTML page is gzipped", () => {
    expect(finding("BREACH")).toMatchObject({ severity: "MEDIUM", finding: expect.stringMatching(/^potentially VULNERABLE, gzip HTTP compression detected/) });
  });
});

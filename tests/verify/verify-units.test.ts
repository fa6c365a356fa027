// The pieces of verify that decide a verdict from what a probe saw: nginx's leaky bucket, sslscan's
// report, curl-style --resolve, cookies, exemptions, the exit code, the Celery node a ping asks and a
// container's running state (P.1).
import { describe, expect, it } from "vitest";
import { CHECKS } from "../../verify/checks";
import { celeryNodeName } from "../../verify/checks/inside/celery";
import { runningState } from "../../verify/checks/inside/containers";
import { CHECK_NAMES } from "../../verify/checks/names";
import { leakyBucket } from "../../verify/checks/outside/rate-limit";
import { parseSetCookie } from "../../verify/checks/outside/app-security";
import { headerIds } from "../../verify/checks/outside/headers";
import { applyExemptions } from "../../verify/exemptions";
import { parseResolve } from "../../verify/probes/public-address";
import { parseSslscanXml } from "../../verify/probes/tls-scan";
import { exitCodeOf, failingIds, type CheckResult } from "../../verify/report";
import type { DeclaredRateLimit } from "../../verify/intent/nginx";
import type { HttpAnswer, HttpRequest } from "../../verify/probes/http";
import { checkLanes, runState } from "../../verify/run-verify";

const r = (check: string, verdict: CheckResult["verdict"], ids = ["9.3"], subject = "s"): CheckResult => ({ check, ids, subject, verdict, evidence: "seen" });

describe("nginx's limit_req accounting", () => {
  it("accepts burst + 1 requests at once, refuses the next, and one more after 1/rate seconds (10r/m burst=5)", () => {
    const at = [0, 1, 2, 3, 4, 5, 6, 7];
    expect(leakyBucket(at, 10 / 60, 5)).toEqual([true, true, true, true, true, true, false, false]);
    expect(leakyBucket([...at.slice(0, 6), 6_100], 10 / 60, 5)).toEqual([true, true, true, true, true, true, true]);
  });

  it("counts earlier requests of the run: two page loads leave room for four more", () => {
    expect(leakyBucket([0, 10, 20, 21, 22, 23, 24], 10 / 60, 5).indexOf(false)).toBe(6);
    expect(leakyBucket([0, 10, 20, 21, 22, 23, 24, 25], 10 / 60, 5).slice(2).indexOf(false)).toBe(4);
  });
});

describe("sslscan's XML report", () => {
  it("reads the enabled protocols and the suites accepted under each", () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<document title="SSLScan Results" version="2.0.7" web="http://github.com/rbsec/sslscan">
 <ssltest host="127.0.0.1" sniname="shop.example.org" port="443">
  <protocol type="ssl" version="3" enabled="0" />
  <protocol type="tls" version="1.1" enabled="1" />
  <protocol type="tls" version="1.2" enabled="1" />
  <protocol type="tls" version="1.3" enabled="1" />
  <cipher status="preferred" sslversion="TLSv1.3" bits="256" cipher="TLS_AES_256_GCM_SHA384" id="0x1302" strength="strong" />
  <cipher status="accepted" sslversion="TLSv1.2" bits="128" cipher="ECDHE-ECDSA-AES128-GCM-SHA256" id="0xC02B" strength="strong" />
  <cipher status="accepted" sslversion="TLSv1.1" bits="128" cipher="ECDHE-ECDSA-AES128-SHA" id="0xC009" strength="medium" />
 </ssltest>
</document>`;
    const served = parseSslscanXml(xml);
    expect(served.protocols).toEqual(["TLSv1.1", "TLSv1.2", "TLSv1.3"]);
    expect(Object.fromEntries(served.ciphers)).toEqual({ "TLSv1.3": ["TLS_AES_256_GCM_SHA384"], "TLSv1.2": ["ECDHE-ECDSA-AES128-GCM-SHA256"], "TLSv1.1": ["ECDHE-ECDSA-AES128-SHA"] });
  });
});

describe("--resolve", () => {
  it("takes curl's HOST:PORT:ADDRESS, a * host or port and a bracketed IPv6 address", () => {
    expect(parseResolve("Shop.Example.org:443:203.0.113.10")).toEqual({ host: "shop.example.org", port: 443, address: "203.0.113.10" });
    expect(parseResolve("*:*:[2001:db8::1]")).toEqual({ host: "*", port: 0, address: "2001:db8::1" });
  });

  it("refuses what is not an address or a port, naming the value and the fix", () => {
    expect(() => parseResolve("shop.example.org:443:origin")).toThrow(/"origin" is not an IP address; give HOST:PORT:ADDRESS/);
    expect(() => parseResolve("shop.example.org:70000:203.0.113.10")).toThrow(/port 70000 is out of range/);
    expect(() => parseResolve("shop.example.org")).toThrow(/--resolve shop.example.org: give HOST:PORT:ADDRESS/);
  });
});

describe("verdicts", () => {
  it("reads Set-Cookie flags", () => {
    expect(parseSetCookie("csrftoken=abc; expires=Mon, 29 Nov 2027 00:00:00 GMT; Max-Age=31449600; Path=/; SameSite=Lax; Secure")).toMatchObject({ name: "csrftoken", secure: true, httpOnly: false, sameSite: "Lax" });
  });

  it("files each header under its checklist item", () => {
    expect([headerIds("Strict-Transport-Security"), headerIds("Content-Security-Policy"), headerIds("X-Frame-Options")]).toEqual([["9.5"], ["10.8"], ["10.4"]]);
  });

  it("exempts a failing result of the named check and subject (a prefix with *), and lists exemptions that matched nothing", () => {
    const { results, unused } = applyExemptions(
      [r("backups", "fail", ["3.5"], "repo2 full"), r("backups", "fail", ["3.5"], "repo1 full"), r("containers", "fail", ["P.1"], "jewelry-grafana")],
      [{ check: "backups", subject: "repo2*", reason: "R2 is unreachable from here" }, { check: "containers", subject: "jewelry-loki", reason: "left out of the stand-up" }],
    );
    expect(results.map((x) => x.verdict)).toEqual(["exempted", "fail", "fail"]);
    expect(unused).toEqual(["containers jewelry-loki: left out of the stand-up"]);
  });

  it("names every check the run makes, in its order, for --skip and exemptions", () => {
    expect(CHECK_NAMES).toEqual(CHECKS.map((c) => c.name));
  });

  it("exits 2 when anything was unreachable, 1 on a failure, 0 otherwise", () => {
    expect(exitCodeOf([r("a", "pass"), r("b", "exempted"), r("c", "skipped")])).toBe(0);
    expect(exitCodeOf([r("a", "pass"), r("b", "fail")])).toBe(1);
    expect(exitCodeOf([r("a", "fail"), r("b", "unreachable")])).toBe(2);
    expect(failingIds([r("a", "fail", ["10.4"]), r("b", "unreachable", ["P.1"]), r("c", "exempted", ["3.5"])])).toEqual(["10.4", "P.1"]);
  });
});

describe("the Celery node a worker container runs", () => {
  it("is celery@<the container's hostname> unless the command names one", () => {
    expect(celeryNodeName(["celery", "-A", "config", "worker", "--concurrency", "2"], "3f2a9c1d7b20")).toBe("celery@3f2a9c1d7b20");
  });

  it("expands -n/--hostname as Celery does: %h, %n, %d, and celery@ before a bare name", () => {
    expect(celeryNodeName(["celery", "worker", "-n", "orders@%h"], "w1.shop.internal")).toBe("orders@w1.shop.internal");
    expect(celeryNodeName(["celery", "worker", "--hostname=mail@%n.%d"], "w1.shop.internal")).toBe("mail@w1.shop.internal");
    expect(celeryNodeName(["celery", "worker", "-nreports"], "w1")).toBe("celery@reports");
  });
});

describe("a 429 that this run's own requests do not explain", () => {
  // The login zone as the stack declares it: 5r/m, burst 5.
  const login: DeclaredRateLimit = { zone: "login", ratePerSecond: 5 / 60, rateText: "5r/m", burst: 5, nodelay: true };
  const zoneOf = (_host: string, path: string) => (path.startsWith("/admin/") ? login : undefined);
  const login429 = { scheme: "https", host: "shop.example", port: 443, path: "/admin/login/" } as const satisfies HttpRequest;
  const answers = (...statuses: number[]) => {
    const asked: string[] = [];
    const http = {
      request: async (req: HttpRequest): Promise<HttpAnswer> => {
        asked.push(req.path);
        return { status: statuses.shift() ?? 200, headers: new Map(), body: "" };
      },
    };
    return { http, asked };
  };

  it("waits for a zone an earlier run filled to drain, then asks once more", async () => {
    const { http, asked } = answers(429, 200);
    const waited: number[] = [];
    const state = runState(http, zoneOf, async (seconds) => void waited.push(seconds));
    expect((await state.request(login429)).status).toBe(200);
    expect(waited).toEqual([72]); // (burst + 1) / rate = 6 / (5/60)
    expect(asked).toEqual(["/admin/login/", "/admin/login/"]);
  });

  it("answers the 429 when this run's own requests filled the zone, or when the caller wants the limiter's answer", async () => {
    const { http } = answers(200, 200, 200, 200, 200, 200, 429, 429);
    const waited: number[] = [];
    const state = runState(http, zoneOf, async (seconds) => void waited.push(seconds));
    for (let i = 0; i < 6; i++) await state.request(login429);
    expect((await state.request(login429)).status).toBe(429);
    const fresh = runState(answers(429).http, zoneOf, async (seconds) => void waited.push(seconds));
    expect((await fresh.request(login429, { whenRateLimited: "answer" })).status).toBe(429);
    expect(waited).toEqual([]);
  });

  it("never waits for a 429 outside every declared zone", async () => {
    const waited: number[] = [];
    const state = runState(answers(429).http, zoneOf, async (seconds) => void waited.push(seconds));
    expect((await state.request({ ...login429, path: "/api/" })).status).toBe(429);
    expect(waited).toEqual([]);
  });
});

describe("the lanes a verify run makes its checks in", () => {
  const lanes = checkLanes(CHECKS);
  const names = (lane: readonly { name: string }[]) => lane.map((c) => c.name);

  it("keeps the public checks in one lane, in order: the burst after the pages it accounts for, the headers after the burst", () => {
    const publicLane = names(lanes[0]!);
    expect(publicLane).toEqual(CHECKS.filter((c) => c.where === "outside").map((c) => c.name));
    for (const page of ["https", "health", "admin", "csrf", "login"]) expect(publicLane.indexOf(page)).toBeLessThan(publicLane.indexOf("rate-limit"));
    expect(publicLane.indexOf("headers")).toBeGreaterThan(publicLane.indexOf("rate-limit"));
  });

  it("gives every check through the Docker host a lane of its own, and every check exactly one lane", () => {
    for (const lane of lanes.slice(1)) expect(lane.map((c) => c.where)).toEqual(["inside"]);
    expect(lanes.flat().map((c) => c.name).sort()).toEqual(CHECKS.map((c) => c.name).sort());
  });
});

describe("a container's running state (P.1)", () => {
  type State = Parameters<typeof runningState>[1];
  const running = (health?: Partial<NonNullable<State["Health"]>>, extra: Partial<State> = {}): State =>
    ({ Status: "running", Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 1, ExitCode: 0, Error: "", StartedAt: "2026-11-30T00:00:00Z", FinishedAt: "",
      ...(health ? { Health: { Status: "healthy", FailingStreak: 0, Log: [], ...health } } : {}), ...extra }) as State;
  const service = { oneShot: false };
  let asked = 0;
  const healthcheck = (exitCode: number, stderr = "") => () => { asked += 1; return Promise.resolve({ exitCode, stdout: "", stderr, output: stderr }); };
  const timedOut = [{ Start: "", End: "", ExitCode: -1, Output: "Health check exceeded timeout (5s)" }];

  it("takes Docker's healthy verdict without asking again", async () => {
    asked = 0;
    expect(await runningState(service, running({ Status: "healthy" }), healthcheck(1))).toEqual({ ok: true, evidence: "running, healthy" });
    expect(asked).toBe(0);
  });

  it("asks an unhealthy verdict of the declared healthcheck now: passing, the container is healthy and the evidence keeps Docker's probe", async () => {
    const state = await runningState(service, running({ Status: "unhealthy", FailingStreak: 3, Log: timedOut }), healthcheck(0));
    expect(state.ok).toBe(true);
    expect(state.evidence).toMatch(/Docker reports unhealthy \(its last probe: Health check exceeded timeout \(5s\)\).*run now exited 0/);
  });

  it("fails an unhealthy container whose declared healthcheck fails now too, with the check's output", async () => {
    const state = await runningState(service, running({ Status: "unhealthy", FailingStreak: 3, Log: timedOut }), healthcheck(2, "no response\n"));
    expect(state).toEqual({ ok: false, evidence: expect.stringMatching(/run now exited 2: no response$/) });
  });

  it("asks a verdict Docker has not reached as many times as Docker would before it calls the container unhealthy", async () => {
    // Failing once, then passing: healthy, as Docker would judge it (3 failures in a row by default).
    let runs = 0;
    const flaky = () => Promise.resolve({ exitCode: ++runs === 1 ? -1 : 0, stdout: "", stderr: "", output: "" });
    expect(await runningState(service, running({ Status: "starting" }), flaky)).toEqual({ ok: true, evidence: expect.stringMatching(/run now exited 0$/) });
    expect(runs).toBe(2);
    // The container's own retries: one failure is enough with retries 1, five are asked with 5.
    asked = 0;
    expect((await runningState(service, running({ Status: "starting" }), healthcheck(1), 1)).ok).toBe(false);
    expect(asked).toBe(1);
    asked = 0;
    expect((await runningState(service, running({ Status: "starting" }), healthcheck(1), 5)).ok).toBe(false);
    expect(asked).toBe(5);
    // Docker already saw an unhealthy verdict's failures in a row: asked once more, not again and again.
    asked = 0;
    expect((await runningState(service, running({ Status: "unhealthy", FailingStreak: 3, Log: timedOut }), healthcheck(1))).ok).toBe(false);
    expect(asked).toBe(1);
  });

  it("fails a paused container, whatever its last health verdict, without running anything in it", async () => {
    asked = 0;
    expect(await runningState(service, running({ Status: "healthy" }, { Status: "paused", Paused: true }), healthcheck(0))).toEqual({ ok: false, evidence: "paused: its processes are frozen" });
    expect(asked).toBe(0);
  });

  it("asks a verdict Docker has not reached (starting) of the declared healthcheck, and fails a stopped container or a failed job", async () => {
    asked = 0;
    const failing = await runningState(service, running({ Status: "starting" }), healthcheck(1, "no pong\n"));
    expect(failing).toEqual({ ok: false, evidence: expect.stringMatching(/run now 3 times in a row, as Docker would before it reports unhealthy, exited 1: no pong$/) });
    expect(asked).toBe(3);
    expect((await runningState(service, running({ Status: "starting" }), healthcheck(0))).ok).toBe(true);
    expect(await runningState(service, running(undefined, { Status: "exited", Running: false, ExitCode: 137 }), healthcheck(0))).toEqual({ ok: false, evidence: "exited (exit 137)" });
    expect((await runningState({ oneShot: true }, running(undefined, { Status: "exited", Running: false, ExitCode: 1 }), healthcheck(0))).ok).toBe(false);
    expect((await runningState({ oneShot: true }, running(undefined, { Status: "exited", Running: false, ExitCode: 0 }), healthcheck(0))).ok).toBe(true);
  });
});

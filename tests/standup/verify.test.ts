// `npm run verify` against the stand-up of the stack as declared: every check that applies passes,
// each with evidence; what the stand-up leaves out is exempted with the stand-up's reason; a full
// verify's duration is measured (README: "Verifying a deployed stack").
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHECKS } from "../../verify/checks";
import type { VerifyReport } from "../../verify/report";
import { standUp, standUpSkipped } from "./fixture";
import type { StandUpInfo } from "./standup";
import { createSmokeUser, createStandUpCa, failures, installCertificate, runFirstBackups, STANDUP_SKIPS, standUpIntent, verifyStandUp, type StandUpCa } from "./verify-run";

describe.skipIf(standUpSkipped())("npm run verify against the stand-up as declared", () => {
  let info: StandUpInfo;
  let ca: StandUpCa;
  let report: VerifyReport;
  beforeAll(async () => {
    info = await standUp();
    ca = createStandUpCa();
    // Three preparations that touch different containers (nginx, the repository host, web), side by side:
    // certbot's part, a certificate for exactly the served names from a CA the CAA record allows; the
    // schedule's first runs; the smoke-test user.
    const [, , smokeUser] = await Promise.all([
      installCertificate(info, ca, standUpIntent(info).edge.names),
      runFirstBackups(info),
      createSmokeUser(info),
    ]);
    // As an operator runs it after a deploy: with --login, as the smoke-test user.
    report = await verifyStandUp(info, ca, { smokeUser });
    console.log(`verify: a full verify of the stand-up took ${report.durationSeconds.toFixed(1)} s; per check: ${JSON.stringify(report.timings)}; ${JSON.stringify(report.counts)}`);
  }, 900_000);
  afterAll(async () => {
    if (info && ca) await installCertificate(info, ca, undefined);
    if (ca) rmSync(ca.dir, { recursive: true, force: true });
  });

  it("passes every check that applies, and exits 0", () => {
    expect(failures(report)).toBe("");
    expect(report.exitCode).toBe(0);
  });

  it("decides every check it runs with passing evidence, and says why for whatever it leaves undecided", () => {
    const run = CHECKS.filter((c) => !STANDUP_SKIPS.has(c.name)).map((c) => c.name);
    const passing = new Set(report.results.filter((r) => r.verdict === "pass").map((r) => r.check));
    expect(run.filter((name) => !passing.has(name))).toEqual([]);
    for (const r of report.results.filter((x) => x.verdict === "skipped" || x.verdict === "exempted")) {
      expect({ check: r.check, subject: r.subject, reason: r.reason ?? "" }).toMatchObject({ reason: expect.stringMatching(/\w{3,}/) });
    }
  });

  it("signs the smoke-test user in and out (--login) and judges the session cookie it got: Secure and HttpOnly (P.5)", () => {
    const login = report.results.filter((r) => r.check === "login");
    expect(login.map((r) => r.verdict)).toEqual(["pass", "pass"]);
    expect(login.find((r) => /session cookie/.test(r.subject))?.evidence).toMatch(/: Secure, HttpOnly/);
  });

  it("verifies the post-deployment items and the served configuration by checklist id", () => {
    const passed = new Set(report.results.filter((r) => r.verdict === "pass").flatMap((r) => r.ids));
    for (const id of ["P.1", "P.2", "P.3", "P.4", "P.5", "P.12", "P.13", "P.14", "3.4", "3.5", "4.2", "9.2", "9.3", "9.4", "9.5", "9.6", "10.1", "10.4", "10.5", "10.6", "10.7", "10.8", "11.2", "11.3", "11.5", "11.6", "13.6"]) {
      expect({ id, passed: passed.has(id) }).toEqual({ id, passed: true });
    }
  });
});

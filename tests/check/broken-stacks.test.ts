// Broken copies of the shipped production stack, each with ONE realistic mistake
// (tests/fixtures/broken-stacks/mistakes.ts), judged through the real path: the program under
// mocks and the real policy pack over gRPC. Each must break exactly the checklist items below:
// an id missing means a policy missed the mistake, an extra id means a policy fired wrongly.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Report, Violation } from "../../check/report";
import type { ProgramRun } from "../../check/run-program";
import { readStackConfig, type StackConfig } from "../../check/stack-config";
import { runProgramAfresh, startBrokenStacksSession } from "../fixtures/broken-stacks/check-session";
import { mistakes, type MistakeName } from "../fixtures/broken-stacks/mistakes";
import { BROKEN_STACK, writeStackFolder } from "../fixtures/broken-stacks/stack-folders";

/** Checklist ids of the mandatory violations each mistake adds, frozen from the pack's verdicts. */
const expectedIds: Record<MistakeName, string[]> = {
  "redis-aof-off": ["4.3"],
  "postgres-port-published": ["10.1", "11.8"],
  "app-image-latest": ["11.2"],
  "debug-on": ["1.6"],
  "worker-no-healthcheck": ["11.4"],
  "nginx-legacy-tls": ["9.3"],
  "app-bypasses-pgbouncer": ["3.6", "3.7"],
  "rls-tables-dropped": ["3.4"],
  "stripe-key-in-env": ["2.7"],
  "backups-unencrypted": ["13.1"],
  "dmarc-none": ["5.6"],
  "worker-no-memory-limit": ["11.5"],
};

/** Env variables the offline check must flag as plaintext secrets (no policy can: it sees no secret wrappers). */
const expectedOfflineSubjects: Partial<Record<MistakeName, string[]>> = {
  "stripe-key-in-env": ["STRIPE_SECRET_KEY"],
};

const repoRoot = path.resolve(__dirname, "../..");
const packDir = path.join(repoRoot, "policies");
const BASELINE = "baseline";
const names = Object.keys(mistakes) as MistakeName[];

let workDir: string;
const reports = new Map<string, Report>();
const failures = new Map<string, Error>();

beforeAll(async () => {
  // The runner require()s the fixture program as the language host does; vitest transforms only its own imports.
  (require("tsx/cjs/api") as { register(): void }).register();
  // runProgram adds its two process-wide failure handlers once per run.
  process.setMaxListeners(2 * (names.length + 1) + 10);
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "broken-stacks-"));
  const stacks = new Map<string, StackConfig>([[BASELINE, readStackConfig(writeStackFolder(repoRoot, workDir, BASELINE), BROKEN_STACK)]]);
  for (const name of names) stacks.set(name, readStackConfig(writeStackFolder(repoRoot, workDir, name, name), BROKEN_STACK));

  // The pack starts (a few seconds) while the first programs run; each analysis overlaps the next program.
  const starting = startBrokenStacksSession(packDir, stacks.get(BASELINE) as StackConfig);
  starting.catch(() => undefined); // a failed start is reported by every stack's analysis below
  const pending: Promise<unknown>[] = [];
  try {
    for (const [name, stackConfig] of stacks) {
      const started = Date.now();
      let run: ProgramRun;
      try {
        run = await runProgramAfresh(repoRoot, stackConfig);
      } catch (err) {
        failures.set(name, err as Error);
        continue;
      }
      const programMs = Date.now() - started;
      pending.push(
        starting
          .then((session) => session.analyze(run, stackConfig, { programMs, startedAt: Date.now() - programMs }))
          .then((report) => reports.set(name, report), (err: Error) => failures.set(name, err)),
      );
    }
    await Promise.all(pending);
  } finally {
    await starting.then((session) => session.stop(), () => undefined);
  }
}, 180_000);

afterAll(() => {
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

const key = (v: Violation) => `${v.policy}|${v.urn ?? ""}|${v.message}`;
const mandatory = (report: Report) => report.violations.filter((v) => v.enforcementLevel === "mandatory");

function reportOf(name: string): Report {
  const failure = failures.get(name);
  if (failure) throw failure;
  const report = reports.get(name);
  if (!report) throw new Error(`no report for ${name}: the run stopped before it`);
  return report;
}

/** Mandatory violations the mistake adds to the production stack (all of them once the baseline is clean). */
function addedViolations(name: MistakeName): Violation[] {
  const baseline = new Set(mandatory(reportOf(BASELINE)).map(key));
  return mandatory(reportOf(name)).filter((v) => !baseline.has(key(v)));
}

describe("the production stack the mistakes are made in", () => {
  it("has no mandatory violation, offline finding or policy error", () => {
    const report = reportOf(BASELINE);
    expect(mandatory(report).map((v) => `${v.policy} (${v.checklistIds.join(", ")}) on ${v.resourceName}: ${v.message}`)).toEqual([]);
    expect(report.offlineFindings.filter((f) => f.level === "mandatory")).toEqual([]);
    expect(report.policyErrors).toEqual([]);
  });
});

describe("a production stack with one mistake breaks exactly the checklist items of that mistake", () => {
  it.each(names)("%s", (name) => {
    const added = addedViolations(name);
    const ids = [...new Set(added.flatMap((v) => v.checklistIds))].sort();
    const explain = added.map((v) => `${v.policy} (${v.checklistIds.join(", ")}) on ${v.resourceName}: ${v.message}`);
    expect({ mistake: mistakes[name].description, ids }, explain.join("\n")).toEqual({
      mistake: mistakes[name].description,
      ids: [...expectedIds[name]].sort(),
    });
    expect(reportOf(name).policyErrors).toEqual([]);
  });

  it.each(names)("%s: the offline check flags exactly the plaintext secrets the mistake adds", (name) => {
    const before = new Set(reportOf(BASELINE).offlineFindings.map((f) => `${f.urn}|${f.subject}`));
    const added = reportOf(name).offlineFindings.filter((f) => f.level === "mandatory" && !before.has(`${f.urn}|${f.subject}`));
    expect(added.map((f) => f.subject).sort()).toEqual(expectedOfflineSubjects[name] ?? []);
  });
});

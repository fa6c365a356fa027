// Broken copies of the shipped production stack, each with ONE realistic mistake
// (tests/fixtures/broken-stacks/mistakes/), judged through the real path: the program under mocks
// and the real policy pack over gRPC. Each must break exactly the checklist items its mistake names:
// an id missing means a policy missed the mistake, an extra id means a policy fired wrongly.
// One test file per mistake set calls describeBrokenStacks, so vitest spreads the sets over workers.
import "../fixtures/broken-stacks/sdk-start-up";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Report, Violation } from "../../check/report";
import type { ProgramRun } from "../../check/run-program";
import { readStackConfig, type StackConfig } from "../../check/stack-config";
import { runProgramAfresh, startBrokenStacksSession } from "../fixtures/broken-stacks/check-session";
import { mistakeSets } from "../fixtures/broken-stacks/mistakes";
import { BROKEN_STACK, writeStackFolder } from "../fixtures/broken-stacks/stack-folders";

const repoRoot = path.resolve(__dirname, "../..");
const packDir = path.join(repoRoot, "policies");
const BASELINE = "baseline";

const key = (v: Violation) => `${v.policy}|${v.urn ?? ""}|${v.message}`;
const mandatory = (report: Report) => report.violations.filter((v) => v.enforcementLevel === "mandatory");
const explain = (vs: readonly Violation[]) => vs.map((v) => `${v.policy} (${v.checklistIds.join(", ")}) on ${v.resourceName}: ${v.message}`);

/** The production stack, then each mistake of the set `setName`, through one policy pack. */
export function describeBrokenStacks(setName: string): void {
  const set = mistakeSets[setName];
  if (!set) throw new Error(`no mistake set "${setName}" in tests/fixtures/broken-stacks/mistakes.ts`);
  const names = Object.keys(set);
  let workDir: string;
  const reports = new Map<string, Report>();
  const failures = new Map<string, Error>();

  beforeAll(async () => {
    // The runner require()s the fixture program as the language host does; vitest transforms only its own imports.
    (require("tsx/cjs/api") as { register(): void }).register();
    // runProgram adds its two process-wide failure handlers once per run.
    process.setMaxListeners(2 * (names.length + 1) + 10);
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), `broken-stacks-${setName}-`));
    const stacks = new Map<string, StackConfig>([[BASELINE, readStackConfig(writeStackFolder(repoRoot, workDir, BASELINE), BROKEN_STACK)]]);
    for (const name of names) stacks.set(name, readStackConfig(writeStackFolder(repoRoot, workDir, name, name), BROKEN_STACK));

    // The pack is ready before the first program runs: a program run keeps this process's event loop
    // so busy that a channel still connecting misses its deadline on a loaded machine. Each analysis
    // then overlaps the next program's run.
    const session = await startBrokenStacksSession(packDir, stacks.get(BASELINE) as StackConfig);
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
          session.analyze(run, stackConfig, { programMs, startedAt: Date.now() - programMs })
            .then((report) => reports.set(name, report), (err: Error) => failures.set(name, err)),
        );
      }
      await Promise.all(pending);
    } finally {
      await session.stop();
    }
  // Generous: in CI the stand-up builds its images beside this on the same 2 cores.
  }, 60_000 + 20_000 * names.length);

  afterAll(() => {
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  function reportOf(name: string): Report {
    const failure = failures.get(name);
    if (failure) throw failure;
    const report = reports.get(name);
    if (!report) throw new Error(`no report for ${name}: the run stopped before it`);
    return report;
  }

  /** Mandatory violations the mistake adds to the production stack (all of them once the baseline is clean). */
  function addedViolations(name: string): Violation[] {
    const baseline = new Set(mandatory(reportOf(BASELINE)).map(key));
    return mandatory(reportOf(name)).filter((v) => !baseline.has(key(v)));
  }

  describe(`the production stack the "${setName}" mistakes are made in`, () => {
    it("has no mandatory violation, offline finding or policy error", () => {
      const report = reportOf(BASELINE);
      expect(explain(mandatory(report))).toEqual([]);
      expect(report.offlineFindings.filter((f) => f.level === "mandatory")).toEqual([]);
      expect(report.policyErrors).toEqual([]);
      expect(report.counts.notDecidableAtPreview).toBe(0);
    });
  });

  describe(`a production stack with one "${setName}" mistake breaks exactly the checklist items of that mistake`, () => {
    it.each(names)("%s", (name) => {
      const mistake = set[name]!;
      const added = addedViolations(name);
      const ids = [...new Set(added.flatMap((v) => v.checklistIds))].sort();
      expect({ mistake: mistake.description, ids }, explain(added).join("\n")).toEqual({
        mistake: mistake.description,
        ids: [...mistake.ids].sort(),
      });
      expect(reportOf(name).policyErrors).toEqual([]);
      // A mistake the pack cannot decide at preview would pass `pulumi preview` as advisory.
      expect(reportOf(name).counts.notDecidableAtPreview).toBe(0);
    });

    it.each(names)("%s: the offline check flags exactly the plaintext secrets the mistake adds", (name) => {
      const before = new Set(reportOf(BASELINE).offlineFindings.map((f) => `${f.urn}|${f.subject}`));
      const added = reportOf(name).offlineFindings.filter((f) => f.level === "mandatory" && !before.has(`${f.urn}|${f.subject}`));
      expect(added.map((f) => f.subject).sort()).toEqual([...(set[name]!.offlineSubjects ?? [])].sort());
    });
  });
}

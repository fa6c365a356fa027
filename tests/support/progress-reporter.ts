// Live progress of one of `npm test`'s two vitest processes (scripts/run-tests.mjs): one line per test
// file as it ends, with its project, and the name of every failed test. The full report (errors, diffs,
// the totals) comes once at the end, from both processes' blob reports merged.
import { relative } from "node:path";
import type { Reporter, SerializedError, TestModule } from "vitest/node";

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export default class ProgressReporter implements Reporter {
  private readonly started = Date.now();

  onTestModuleEnd(module: TestModule): void {
    const tests = [...module.children.allTests()];
    const failed = tests.filter((test) => test.result().state === "failed");
    const skipped = tests.filter((test) => test.result().state === "skipped").length;
    const mark = module.state() === "failed" ? "✗" : "✓";
    const counts = [`${tests.length} tests`, failed.length ? `${failed.length} failed` : "", skipped ? `${skipped} skipped` : ""].filter(Boolean);
    const { duration, collectDuration } = module.diagnostic();
    const at = seconds(Date.now() - this.started);
    process.stdout.write(`${mark} [${module.project.name}] ${relative(process.cwd(), module.moduleId)} (${counts.join(", ")}) ${seconds(duration + collectDuration)}, at ${at}\n`);
    for (const test of failed) process.stdout.write(`    × ${test.fullName}\n`);
    if (module.state() === "failed" && tests.length === 0) process.stdout.write("    × the file failed before any test ran (the merged report shows why)\n");
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<SerializedError>): void {
    const projects = [...new Set(modules.map((m) => m.project.name))].join(", ") || "no files";
    process.stdout.write(`[${projects}] ${modules.length} files in ${seconds(Date.now() - this.started)}${errors.length ? `, ${errors.length} unhandled errors` : ""}\n`);
  }
}

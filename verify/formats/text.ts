// Terminal output: one line per result, failing ones first within each check, then the counts.
import type { CheckResult, VerifyReport } from "../report";

const MARK: Record<CheckResult["verdict"], string> = { pass: "PASS", fail: "FAIL", exempted: "EXEMPTED", skipped: "SKIPPED", unreachable: "UNREACHABLE" };

export function renderText(report: VerifyReport): string {
  const lines = [
    `Verify of ${report.project}/${report.stack} (environment ${report.environment}) against the live stack`,
    `  public: ${report.targets.public.length ? report.targets.public.join(", ") : "addresses from DNS"}; DNS: ${report.targets.resolver}; Docker host: ${report.targets.dockerHost ?? "none"}`,
    "",
  ];
  for (const r of report.results) {
    const detail = r.verdict === "pass" ? r.evidence : `${r.evidence}${r.expected ? ` (expected: ${r.expected})` : ""}${r.reason ? ` [${r.reason}]` : ""}`;
    lines.push(`${MARK[r.verdict].padEnd(11)} ${r.check} [${r.ids.join(", ")}] ${r.subject}: ${detail}`);
  }
  if (report.unusedExemptions.length > 0) lines.push("", `Exemptions that matched no failure (${report.unusedExemptions.length}):`, ...report.unusedExemptions.map((e) => `  ${e}`));
  const c = report.counts;
  const verdict = report.exitCode === 0 ? "PASSED" : report.exitCode === 1 ? "FAILED" : "NOT REACHED";
  lines.push("", `${verdict}: ${c.pass} passed, ${c.fail} failed, ${c.exempted} exempted, ${c.skipped} skipped, ${c.unreachable} unreachable in ${report.durationSeconds.toFixed(1)} s`);
  return `${lines.join("\n")}\n`;
}

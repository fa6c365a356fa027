// SARIF 2.1.0 for GitHub code scanning: one rule per check, one result per failing, unreachable or
// exempted result (an exemption as an accepted suppression), located in the stack file, with a
// fingerprint of check, subject and checklist ids so each live finding stays its own alert.
import { createHash } from "node:crypto";
import { sarifSchema } from "../../check/formats/sarif";
import { CHECKS } from "../checks";
import type { VerifyReport } from "../report";

export const VERIFY_TOOL_NAME = "jewelry-shop verify";

export function renderSarif(report: VerifyReport, stackFile: string): string {
  const rules = CHECKS.map((c) => ({
    id: c.name,
    name: c.name,
    shortDescription: { text: c.summary },
    fullDescription: { text: `${c.summary} (checklist ${c.ids.join(", ")})` },
    properties: { tags: c.ids.map((id) => `checklist-${id}`) },
  }));
  const results = report.results.filter((r) => r.verdict === "fail" || r.verdict === "unreachable" || r.verdict === "exempted").map((r) => ({
    ruleId: r.check,
    ruleIndex: CHECKS.findIndex((c) => c.name === r.check),
    level: r.verdict === "unreachable" ? "warning" : "error",
    message: { text: `${r.subject}: ${r.verdict === "unreachable" ? "not reached: " : ""}${r.evidence}${r.expected ? ` (expected: ${r.expected})` : ""}` },
    locations: [{ physicalLocation: { artifactLocation: { uri: stackFile, uriBaseId: "%SRCROOT%" }, region: { startLine: 1 } } }],
    partialFingerprints: { primaryLocationLineHash: `${createHash("sha256").update(`${r.check}\n${r.subject}\n${r.ids.join(",")}`).digest("hex").slice(0, 16)}:1` },
    properties: { checklistIds: r.ids, verdict: r.verdict },
    ...(r.verdict === "exempted" ? { suppressions: [{ kind: "external", status: "accepted", justification: r.reason ?? "" }] } : {}),
  }));
  return `${JSON.stringify({
    $schema: sarifSchema,
    version: "2.1.0",
    runs: [{
      tool: { driver: { name: VERIFY_TOOL_NAME, informationUri: "https://github.com/", rules } },
      automationDetails: { id: `${report.project}/${report.stack}/verify/` },
      invocations: [{ executionSuccessful: report.exitCode !== 2, exitCode: report.exitCode }],
      results,
    }],
  }, null, 2)}\n`;
}

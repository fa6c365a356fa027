// Default terminal output: findings grouped by checklist section, then one summary line.
import { checklistSections } from "../../policies/checklist";
import type { Report, Violation } from "../report";

const sectionOf = (checklistId: string) => checklistId.split(".")[0];

function violationLine(v: Violation): string {
  const level = v.notDecidableAtPreview ? "NOT DECIDABLE AT PREVIEW" : v.enforcementLevel.toUpperCase();
  const where = v.resourceName ? ` ${v.resourceType} "${v.resourceName}"` : "";
  const ids = v.checklistIds.length > 0 ? ` [${v.checklistIds.join(", ")}]` : "";
  return `  ${level} ${v.policy}${ids}${where}: ${v.message}`;
}

export function renderText(report: Report): string {
  const lines = [
    `Policy check of ${report.project}/${report.stack} (environment ${report.environment}) with ` +
      `${report.policyPack.name}@${report.policyPack.version}: ${report.counts.resources} resources, ${report.counts.policies} policies`,
    "",
  ];
  const groups = new Map<string, Violation[]>();
  for (const v of report.violations) {
    const key = v.checklistIds.length > 0 ? sectionOf(v.checklistIds[0]) : "";
    groups.set(key, [...(groups.get(key) ?? []), v]);
  }
  const sectionOrder = Object.keys(checklistSections);
  const keys = [...groups.keys()].sort((a, b) => {
    const rank = (k: string) => (k === "" ? Infinity : sectionOrder.indexOf(k));
    return rank(a) - rank(b);
  });
  for (const key of keys) {
    const items = groups.get(key) ?? [];
    const title = key === "" ? "Not mapped to the checklist" : `${key}. ${checklistSections[key] ?? "Unknown section"}`;
    const mandatory = items.filter((v) => v.enforcementLevel === "mandatory" && !v.notDecidableAtPreview).length;
    lines.push(`${title} (${items.length} finding${items.length === 1 ? "" : "s"}, ${mandatory} mandatory)`);
    lines.push(...items.map(violationLine), "");
  }
  if (report.offlineFindings.length > 0) {
    lines.push(`Secrets in plain text, seen only offline (${report.offlineFindings.length})`);
    for (const f of report.offlineFindings) lines.push(`  ${f.level.toUpperCase()} ${f.resourceType} "${f.resourceName}": ${f.message}`);
    lines.push("");
  }
  if (report.policyErrors.length > 0) {
    lines.push(`Policy errors (${report.policyErrors.length}): a policy threw, so its verdict is missing`);
    // The pack's message is "<which policy>:\n<error and stack>": keep the first two lines.
    for (const e of report.policyErrors) {
      lines.push(`  ${e.method}${e.urn ? ` ${e.urn}` : ""}: ${e.message.split("\n").slice(0, 2).join(" ")}`);
    }
    lines.push("");
  }
  if (report.exemptions.length > 0) {
    lines.push(`Exemptions in force (${report.exemptions.length})`);
    for (const e of report.exemptions) {
      lines.push(`  ${e.text}`);
      for (const v of report.exemptedViolations.filter((x) => x.exemption.text === e.text)) {
        lines.push(`    silences ${v.policy}${v.resourceName ? ` ${v.resourceType} "${v.resourceName}"` : ""}: ${v.message}`);
      }
    }
    lines.push("");
  }
  if (report.undecryptableSecrets.length > 0) {
    lines.push(
      `Set, secret, not verified offline (${report.undecryptableSecrets.length}): ${report.undecryptableSecrets.join(", ")}`,
      "",
    );
  }
  const c = report.counts;
  lines.push(
    `${report.exitCode === 0 ? "PASSED" : "FAILED"}: ${c.mandatory} mandatory, ${c.advisory} advisory, ` +
      `${c.notDecidableAtPreview} not decidable at preview, ${c.offlineMandatory + c.offlineAdvisory} offline ` +
      `(${c.offlineMandatory} mandatory), ${c.policyErrors} policy errors, ${c.exemptions} exemptions ` +
      `(${c.exemptedViolations} result${c.exemptedViolations === 1 ? "" : "s"} silenced) ` +
      `in ${(report.timings.totalMs / 1000).toFixed(1)} s`,
  );
  return `${lines.join("\n")}\n`;
}

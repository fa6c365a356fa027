// The whole checklist with each item's status, from the traceability map and the findings: beside
// each item, every violating resource with its message and every exemption in force with what it
// silences; findings of policies no item traces to follow the table.
import { checklistItems, checklistSections, type ChecklistItem } from "../../policies/checklist";
import type { Trace } from "../../policies/traceability-types";
import type { Exemption, Report, Violation } from "../report";

export type ItemStatus =
  | "passing"
  | "violated"
  | "advisory"
  | "not decidable at preview"
  | "exempted"
  | "verified after deployment"
  | "manual"
  | "not traced";

export interface MarkdownArgs {
  readonly report: Report;
  readonly traceability: Readonly<Record<string, Trace>>;
}

export function itemStatus(item: ChecklistItem, trace: Trace | undefined, report: Report): ItemStatus {
  if (!trace) return "not traced";
  if (trace.kind === "manual") return "manual";
  if (trace.kind === "post-deployment") return "verified after deployment";
  const found = report.violations.filter((v) => trace.policies.includes(v.policy));
  if (found.some((v) => v.enforcementLevel === "mandatory" && !v.notDecidableAtPreview)) return "violated";
  if (found.some((v) => v.notDecidableAtPreview)) return "not decidable at preview";
  if (found.length > 0) return "advisory";
  if (report.exemptions.some((e) => e.policy !== undefined && trace.policies.includes(e.policy))) return "exempted";
  return "passing";
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

const on = (v: Violation) => (v.resourceName ? ` on \`${v.resourceName}\`` : "");

function violationText(v: Violation): string {
  const level = v.notDecidableAtPreview ? "not decidable at preview" : v.enforcementLevel;
  return `**${level}** \`${v.policy}\`${on(v)}: ${v.message}`;
}

const exemptionText = (e: Exemption) =>
  `**exempted** ${e.policy ? `\`${e.policy}\`` : ""}${e.resource ? ` on \`${e.resource}\`` : ""}${e.expires ? ` until ${e.expires}` : ""}: ${e.reason ?? e.text}`;

/** The findings beside an item: its policies' violations, then each exemption with what it silences. */
function findings(trace: Trace | undefined, report: Report): string {
  if (!trace || trace.kind !== "policy") return "";
  const mine = (policy: string) => trace.policies.includes(policy);
  const lines = report.violations.filter((v) => mine(v.policy)).map(violationText);
  for (const e of report.exemptions.filter((x) => x.policy !== undefined && mine(x.policy))) {
    const silenced = report.exemptedViolations.filter((v) => v.exemption.text === e.text);
    lines.push(exemptionText(e) + silenced.map((v) => ` (silences${on(v)}: ${v.message})`).join(""));
  }
  return lines.map(cell).join("<br>");
}

function detail(trace: Trace | undefined): string {
  if (!trace) return "";
  if (trace.kind === "policy") return trace.policies.map((p) => `\`${p}\``).join(", ");
  return trace.kind === "manual" ? trace.reason : trace.check;
}

export function renderMarkdown({ report, traceability }: MarkdownArgs): string {
  const statuses = checklistItems.map((item) => ({ item, status: itemStatus(item, traceability[item.id], report) }));
  const counts = new Map<ItemStatus, number>();
  for (const { status } of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
  const lines = [
    `# Production checklist: ${report.project}/${report.stack}`,
    "",
    `Policy pack ${report.policyPack.name}@${report.policyPack.version}, environment ${report.environment}; ` +
      `verdict: **${report.exitCode === 0 ? "passed" : "failed"}**.`,
    "",
    `${checklistItems.length} items: ${[...counts].map(([s, n]) => `${n} ${s}`).join(", ")}.`,
  ];
  for (const [section, title] of Object.entries(checklistSections)) {
    const rows = statuses.filter(({ item }) => item.section === section);
    if (rows.length === 0) continue;
    lines.push("", `## ${section}. ${title}`, "", "| Item | Status | Checked by | Requirement | Findings |", "| --- | --- | --- | --- | --- |");
    for (const { item, status } of rows) {
      const trace = traceability[item.id];
      lines.push(`| ${item.id} | ${status} | ${cell(detail(trace))} | ${cell(item.text)} | ${findings(trace, report)} |`);
    }
  }
  const traced = new Set(Object.values(traceability).flatMap((t) => (t.kind === "policy" ? t.policies : [])));
  const untraced = report.violations.filter((v) => !traced.has(v.policy));
  const untracedExemptions = report.exemptions.filter((e) => e.policy === undefined || !traced.has(e.policy));
  if (untraced.length + untracedExemptions.length > 0) {
    lines.push("", "## Findings outside the checklist items", "", ...untraced.map((v) => `- ${cell(violationText(v))}`), ...untracedExemptions.map((e) => `- ${cell(exemptionText(e))}`));
  }
  if (report.policyErrors.length > 0) {
    lines.push("", "## Policy errors: a policy threw, so its verdict is missing", "");
    for (const e of report.policyErrors) lines.push(`- ${e.method}${e.urn ? ` \`${e.urn}\`` : ""}: ${cell(e.message.split("\n").slice(0, 2).join(" "))}`);
  }
  if (report.offlineFindings.length > 0) {
    lines.push("", "## Secrets in plain text (offline check)", "");
    for (const f of report.offlineFindings) lines.push(`- **${f.level}** ${cell(f.message)}`);
  }
  if (report.undecryptableSecrets.length > 0) {
    lines.push("", "## Set, secret, not verified offline", "", ...report.undecryptableSecrets.map((k) => `- \`${k}\``));
  }
  return `${lines.join("\n")}\n`;
}

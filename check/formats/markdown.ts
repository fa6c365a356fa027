// The whole checklist with each item's status, from the traceability map and the findings.
import { checklistItems, checklistSections, type ChecklistItem } from "../../policies/checklist";
import type { Trace } from "../../policies/traceability-types";
import type { Report } from "../report";

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
    lines.push("", `## ${section}. ${title}`, "", "| Item | Status | Checked by | Requirement |", "| --- | --- | --- | --- |");
    for (const { item, status } of rows) {
      lines.push(`| ${item.id} | ${status} | ${cell(detail(traceability[item.id]))} | ${cell(item.text)} |`);
    }
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

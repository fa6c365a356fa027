// The Markdown checklist report that joins both verdicts: the policy pack's (before deployment, on the
// program's inputs) and verify's (on the live stack), from ONE program run shared by both. Each item
// is passing, failing, exempted or manual, with the evidence: the pack's findings and verify's results.
import * as path from "node:path";
import { checklistItems, checklistSections } from "../policies/checklist";
import { traceability } from "../policies/traceability";
import type { Trace } from "../policies/traceability-types";
import { startCheckSession } from "../check/check-session";
import { itemStatus } from "../check/formats/markdown";
import type { Report } from "../check/report";
import { runProgram } from "../check/run-program";
import { NOT_VERIFIED } from "./coverage";
import { intentOf } from "./intent";
import { fromCaptured } from "./intent/declared-stack";
import type { CheckResult, VerifyReport } from "./report";
import { runVerify, type VerifyOptions } from "./run-verify";

export type JoinedStatus = "passing" | "failing" | "exempted" | "manual";

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** One item's joined status and its evidence. */
export function joinItem(id: string, trace: Trace | undefined, pack: Report, verify: VerifyReport): { status: JoinedStatus; evidence: string[] } {
  const item = checklistItems.find((i) => i.id === id)!;
  const packStatus = itemStatus(item, trace, pack);
  const mine = verify.results.filter((r) => r.ids.includes(id));
  const line = (r: CheckResult) => `verify ${r.check} ${r.subject}: **${r.verdict}** ${r.evidence}${r.expected && r.verdict !== "pass" ? ` (expected: ${r.expected})` : ""}${r.reason ? ` (${r.reason})` : ""}`;
  const evidence = [...(trace?.kind === "policy" ? [`pack: ${packStatus} (${trace.policies.join(", ")})`] : []), ...mine.map(line)];
  const verdicts = new Set(mine.map((r) => r.verdict));
  if (packStatus === "violated" || verdicts.has("fail") || verdicts.has("unreachable")) return { status: "failing", evidence };
  if (packStatus === "exempted" || verdicts.has("exempted")) return { status: "exempted", evidence };
  if (trace?.kind === "manual") return { status: "manual", evidence: [trace.reason] };
  if (packStatus === "not decidable at preview") return { status: "manual", evidence: [...evidence, "the pack could not decide it at preview"] };
  if (trace?.kind === "post-deployment" && !verdicts.has("pass")) {
    const why = NOT_VERIFIED[id] ?? (mine.length > 0 ? "verify skipped it this run" : "not checked by verify");
    return { status: "manual", evidence: [...evidence, `${trace.check}: ${why}`] };
  }
  if (!trace) return { status: "manual", evidence: ["not traced to any check"] };
  return { status: "passing", evidence };
}

export function renderJoinedMarkdown(pack: Report, verify: VerifyReport): string {
  const rows = checklistItems.map((item) => ({ item, ...joinItem(item.id, traceability[item.id], pack, verify) }));
  const counts = new Map<JoinedStatus, number>();
  for (const r of rows) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const failed = rows.some((r) => r.status === "failing");
  const lines = [
    `# Production checklist, before and after deployment: ${pack.project}/${pack.stack}`,
    "",
    `Policy pack ${pack.policyPack.name}@${pack.policyPack.version} on the program's inputs, and \`npm run verify\` on the live stack ` +
      `(public: ${verify.targets.public.join(", ") || "DNS"}; Docker host ${verify.targets.dockerHost}; ${verify.durationSeconds.toFixed(0)} s). Verdict: **${failed ? "failed" : "passed"}**.`,
    "",
    `${checklistItems.length} items: ${[...counts].map(([s, n]) => `${n} ${s}`).join(", ")}.`,
  ];
  for (const [section, title] of Object.entries(checklistSections)) {
    const inSection = rows.filter((r) => r.item.section === section);
    if (inSection.length === 0) continue;
    lines.push("", `## ${section}. ${title}`, "", "| Item | Status | Requirement | Evidence |", "| --- | --- | --- | --- |");
    for (const r of inSection) lines.push(`| ${r.item.id} | ${r.status} | ${cell(r.item.text)} | ${r.evidence.map(cell).join("<br>")} |`);
  }
  return `${lines.join("\n")}\n`;
}

/** Runs the program once, hands the run to the pack and to verify, and renders the joined report. */
export async function runJoined(options: Omit<VerifyOptions, "intent">, rootDir: string): Promise<{ text: string; exitCode: number }> {
  const started = Date.now();
  // The pack starts once the program has finished, not beside it: its process and connection would
  // keep the event loop alive, and an emptied loop is how the run learns that a program can never
  // finish (check/run-program.ts). Its start (~0.5 s) is little beside verify's live checks.
  const run = await runProgram({ stackConfig: options.stackConfig });
  const programMs = Date.now() - started;
  const session = await startCheckSession(path.join(rootDir, "policies"), options.stackConfig, {});
  let pack: Report;
  try {
    pack = await session.analyze(run, options.stackConfig, { programMs, startedAt: started });
  } finally {
    await session.stop();
  }
  const intent = intentOf({ project: run.project, stack: run.stack, environment: options.stackConfig.environment, resources: fromCaptured(run.resources) });
  const verify = await runVerify({ ...options, intent });
  const exitCode = verify.exitCode === 2 ? 2 : verify.exitCode === 1 || pack.exitCode === 1 ? 1 : 0;
  return { text: renderJoinedMarkdown(pack, verify), exitCode };
}

// Known deviations a run accepts, each with its reason: a failing (or unreachable) result of the named
// check, on one subject or on every subject, is reported as exempted, with its evidence kept. From a
// JSON file (--exemptions FILE): [{"check": "backups", "subject": "repo2 full", "reason": "…"}]. The
// stand-up's tests use it for what the stand-up leaves out (the cloud repositories, Grafana, Loki).
import * as fs from "node:fs";
import { z } from "zod";
import { UserInputError } from "../check/errors";
import type { CheckResult } from "./report";

const schema = z.array(z.object({
  check: z.string().min(1),
  /** Exact subject, or a prefix ending in "*". Omitted: every subject of the check. */
  subject: z.string().min(1).optional(),
  reason: z.string().min(10, "give a reason of a few words"),
}).strict());

export type Exemption = z.infer<typeof schema>[number];

export function readExemptions(file: string | undefined, checkNames: readonly string[]): Exemption[] {
  if (file === undefined) return [];
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new UserInputError(`--exemptions ${file}: cannot read it as JSON (${(err as Error).message})`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new UserInputError(`--exemptions ${file}: ${parsed.error.issues.map((i) => `[${i.path.join(".")}] ${i.message}`).join("; ")}`);
  const unknown = parsed.data.filter((e) => !checkNames.includes(e.check));
  if (unknown.length > 0) throw new UserInputError(`--exemptions ${file}: no check named ${unknown.map((e) => `"${e.check}"`).join(", ")}; checks: ${checkNames.join(", ")}`);
  return parsed.data;
}

const matches = (e: Exemption, r: CheckResult) =>
  e.check === r.check && (e.subject === undefined || e.subject === r.subject || (e.subject.endsWith("*") && r.subject.startsWith(e.subject.slice(0, -1))));

/** Results with their exemptions applied, and the exemptions that matched nothing. */
export function applyExemptions(results: readonly CheckResult[], exemptions: readonly Exemption[]): { results: CheckResult[]; unused: string[] } {
  const used = new Set<Exemption>();
  const applied = results.map((r) => {
    if (r.verdict !== "fail" && r.verdict !== "unreachable") return r;
    const exemption = exemptions.find((e) => matches(e, r));
    if (!exemption) return r;
    used.add(exemption);
    return { ...r, verdict: "exempted" as const, reason: exemption.reason };
  });
  const unused = exemptions.filter((e) => !used.has(e)).map((e) => `${e.check}${e.subject ? ` ${e.subject}` : ""}: ${e.reason}`);
  return { results: applied, unused };
}

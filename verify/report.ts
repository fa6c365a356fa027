// One model of a verify run for every output format, and the exit code rule: 2 when a part of the
// stack could not be reached (nothing was judged there), else 1 when a check failed, else 0.
export type Verdict = "pass" | "fail" | "exempted" | "skipped" | "unreachable";

export interface CheckResult {
  /** The check's name (stable, kebab-case): what --skip and exemptions name. */
  readonly check: string;
  /** Checklist items this result decides. */
  readonly ids: readonly string[];
  /** What was looked at: a host and port, a container, a table, a DNS record. */
  readonly subject: string;
  readonly verdict: Verdict;
  /** What was seen (the header served, the ciphers offered, the backup's age). */
  readonly evidence: string;
  /** What the program declares, when it differs from the evidence. */
  readonly expected?: string;
  /** Why a result is exempted or skipped. */
  readonly reason?: string;
}

export interface VerifyReport {
  readonly schemaVersion: 1;
  readonly project: string;
  readonly stack: string;
  readonly environment: string;
  /** Where the public checks went and the Docker host the inside checks went through. */
  readonly targets: { readonly public: readonly string[]; readonly dockerHost?: string; readonly resolver: string };
  readonly startedAt: string;
  readonly results: readonly CheckResult[];
  /** Exemptions that matched no result (stale, or for a check that passed). */
  readonly unusedExemptions: readonly string[];
  readonly counts: Readonly<Record<Verdict, number>>;
  /** Seconds per check. */
  readonly timings: Readonly<Record<string, number>>;
  readonly durationSeconds: number;
  readonly exitCode: 0 | 1 | 2;
}

export function exitCodeOf(results: readonly CheckResult[]): 0 | 1 | 2 {
  if (results.some((r) => r.verdict === "unreachable")) return 2;
  return results.some((r) => r.verdict === "fail") ? 1 : 0;
}

export function countVerdicts(results: readonly CheckResult[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = { pass: 0, fail: 0, exempted: 0, skipped: 0, unreachable: 0 };
  for (const r of results) counts[r.verdict]++;
  return counts;
}

/** The ids a run found failing (or unreachable): what the fault tests compare. */
export const failingIds = (results: readonly CheckResult[]): string[] =>
  [...new Set(results.filter((r) => r.verdict === "fail" || r.verdict === "unreachable").flatMap((r) => r.ids))].sort();

// Policy exemptions, declared per stack in its config so they are reviewed like code and expire.
//
// Format: stack config key `jewelry-shop:policyExemptions`, a JSON array (YAML list in
// Pulumi.<stack>.yaml) of
//   { "policy":   "<policy name of this pack>",
//     "resource": "<logical name or URN>",      // optional: only this resource; else the whole policy
//     "reason":   "<why, and who accepted it>",
//     "expires":  "YYYY-MM-DD" }                // last day the exemption holds (UTC)
// e.g.
//   jewelry-shop:policyExemptions:
//     - policy: resource-limits
//       resource: app-beat
//       reason: "beat sizing under review, OPS-142 (accepted by J. Doe)"
//       expires: "2025-03-31"
// An exemption runs at most MAX_EXEMPTION_DAYS (365) days ahead of the day it is judged on, and must
// name a resource of the stack that its policy judges. A malformed, expired, too long or dangling
// exemption exempts nothing and is a MANDATORY violation of `policy-exemptions`.
//
// An exempted policy still judges what its exemption covers: each result it silences is reported as
// ADVISORY under the policy's own name, its message followed by the line "exemption in force: …"
// (the same line announces an exemption that silenced nothing). So every exemption in force reaches
// every report, including when `policy-exemptions` itself is disabled by a policy pack config.
import type { ReportViolation } from "@pulumi/policy";
import { configText, isCalendarDate, type StackContext } from "./stack-context";

export const EXEMPTIONS_CONFIG_KEY = "policyExemptions";

export interface Exemption {
  /** Position in the config list, for messages. */
  readonly index: number;
  readonly policy: string;
  /** Logical name or URN; undefined exempts the policy everywhere. */
  readonly resource?: string;
  readonly reason: string;
  /** "YYYY-MM-DD", inclusive. */
  readonly expires: string;
}

export interface ExemptionReview {
  /** Valid and not expired: these take effect. */
  readonly inForce: readonly Exemption[];
  /** One message per rejected entry (or for an unreadable config value). */
  readonly problems: readonly string[];
}

/** An exemption is reviewed at least once a year: it may run at most this many days ahead. */
export const MAX_EXEMPTION_DAYS = 365;

const addDays = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** Go's time.String() of a date: what the CLI hands on for an unquoted `expires: 2027-06-30`. */
const UNQUOTED_DATE = /^(\d{4}-\d{2}-\d{2}) 00:00:00 \+0000 UTC$/;

function reviewEntry(entry: unknown, index: number, policyNames: ReadonlySet<string>, today: string): Exemption | string {
  const at = `${EXEMPTIONS_CONFIG_KEY}[${index}]`;
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return `${at} is not an object {policy, resource?, reason, expires}`;
  const { policy, resource, reason, expires } = entry as Record<string, unknown>;
  if (typeof policy !== "string" || !policyNames.has(policy)) {
    return `${at} names no policy of this pack: ${JSON.stringify(policy)}`;
  }
  if (resource !== undefined && (typeof resource !== "string" || resource.trim() === "")) {
    return `${at} (${policy}): "resource" must be a logical name or URN when given`;
  }
  if (typeof reason !== "string" || reason.trim() === "") return `${at} (${policy}) has no reason`;
  const unquoted = typeof expires === "string" ? UNQUOTED_DATE.exec(expires) : null;
  if (unquoted) {
    return `${at} (${policy}) has "expires" unquoted in the stack file, so YAML reads it as a timestamp and Pulumi hands on ${JSON.stringify(expires)}: write expires: "${unquoted[1]}"`;
  }
  if (typeof expires !== "string" || !isCalendarDate(expires)) {
    return `${at} (${policy}) needs "expires" as a date YYYY-MM-DD, got ${JSON.stringify(expires)}`;
  }
  if (expires < today) return `${at} (${policy}) expired on ${expires}`;
  const latest = addDays(today, MAX_EXEMPTION_DAYS);
  if (expires > latest) {
    return `${at} (${policy}) expires on ${expires}, more than ${MAX_EXEMPTION_DAYS} days after ${today}: an exemption runs at most ${MAX_EXEMPTION_DAYS} days, then it is reviewed again; set "expires" to ${latest} or earlier`;
  }
  return { index, policy, resource: resource as string | undefined, reason: reason.trim(), expires };
}

/** Reads and checks the stack's exemptions against the pack's exemptible policy names. */
export function reviewExemptions(ctx: StackContext, policyNames: ReadonlySet<string>): ExemptionReview {
  if (ctx.todayProblem) return { inForce: [], problems: [`${ctx.todayProblem}; until then no exemption applies`] };
  const text = configText(ctx, EXEMPTIONS_CONFIG_KEY);
  if (text === undefined || text.trim() === "") return { inForce: [], problems: [] };
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch {
    return { inForce: [], problems: [`${EXEMPTIONS_CONFIG_KEY} is not valid JSON`] };
  }
  if (!Array.isArray(entries)) return { inForce: [], problems: [`${EXEMPTIONS_CONFIG_KEY} must be a list of exemptions`] };
  const inForce: Exemption[] = [];
  const problems: string[] = [];
  entries.forEach((entry, index) => {
    const result = reviewEntry(entry, index, policyNames, ctx.today);
    if (typeof result === "string") problems.push(result);
    else inForce.push(result);
  });
  return { inForce, problems };
}

/** Whether the exemption covers the resource with this logical name and URN. */
export const coversResource = (exemption: Exemption, name: string, urn: string): boolean =>
  exemption.resource === undefined || exemption.resource === name || exemption.resource === urn;

export const describeExemption = (e: Exemption): string =>
  `exemption in force: ${e.policy}${e.resource ? ` on ${e.resource}` : ""} until ${e.expires}: ${e.reason}`;

/**
 * The reporter @pulumi/policy passes also takes an object whose `enforcementLevel` overrides the
 * policy's for that one diagnostic (server.js makeReportViolationFun); its typings only show the
 * string form. A silenced result must stay under its own policy's name but never block.
 */
export type ReportWithLevel = (violation: { readonly message: string; readonly urn?: string; readonly enforcementLevel?: "advisory" }) => void;

/** Reports that the exemption is in force, at advisory level, under the reporting policy's name. */
export const announceExemption = (report: ReportViolation, exemption: Exemption, urn?: string): void =>
  (report as unknown as ReportWithLevel)({ message: describeExemption(exemption), urn, enforcementLevel: "advisory" });

/** Reports a result the exemption silences: advisory, the result's message, then the exemption line. */
export const reportExempted = (report: ReportViolation, exemption: Exemption, message: string, urn?: string): void =>
  (report as unknown as ReportWithLevel)({ message: `${message}\n${describeExemption(exemption)}`, urn, enforcementLevel: "advisory" });

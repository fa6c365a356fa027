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
// An exempted policy does not report (for that resource). A malformed, expired or unknown-policy
// exemption exempts nothing and is a MANDATORY violation of `policy-exemptions`; every exemption in
// force is reported by `policy-exemptions` as an ADVISORY "exemption in force: …" so every report
// lists them.
import { configText, type StackContext } from "./stack-context";

export const EXEMPTIONS_CONFIG_KEY = "policyExemptions";

export interface Exemption {
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

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isCalendarDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

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
  if (typeof expires !== "string" || !isCalendarDate(expires)) {
    return `${at} (${policy}) needs "expires" as a date YYYY-MM-DD, got ${JSON.stringify(expires)}`;
  }
  if (expires < today) return `${at} (${policy}) expired on ${expires}`;
  return { policy, resource: resource as string | undefined, reason: reason.trim(), expires };
}

/** Reads and checks the stack's exemptions against the pack's exemptible policy names. */
export function reviewExemptions(ctx: StackContext, policyNames: ReadonlySet<string>): ExemptionReview {
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

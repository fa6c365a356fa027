// One Report model for every output format, and the exit code rule:
// 0 when nothing mandatory failed, 1 otherwise (2, bad input, never gets this far).
import type { AnalyzerInfo, Diagnostic, EnforcementLevel, PolicyFramework, Severity } from "./analyzer-client";
import type { OfflineFinding } from "./offline-findings";
import type { StackConfig } from "./stack-config";

export const reportSchemaVersion = 1;
const exemptionMarker = "exemption in force:";
const previewDowngrade = /^can't run policy '([^']+)' from policy pack '[^']*' during preview: ([\s\S]*)$/;

export interface ReportPolicy {
  readonly name: string;
  readonly description: string;
  /** The level the pack declares; --policy-pack-config may change what is enforced. */
  readonly enforcementLevel: EnforcementLevel;
  readonly configuredLevel: EnforcementLevel;
  readonly severity?: Severity;
  readonly policyType: "resource" | "stack" | "unknown";
  readonly checklistIds: readonly string[];
  readonly framework?: PolicyFramework;
  readonly remediationSteps?: string;
  readonly url?: string;
  readonly tags: readonly string[];
}

export interface Violation {
  readonly policy: string;
  readonly checklistIds: readonly string[];
  readonly enforcementLevel: EnforcementLevel;
  readonly severity?: Severity;
  readonly resourceType?: string;
  readonly resourceName?: string;
  readonly urn?: string;
  readonly message: string;
  /**
   * The policy read a value unknown at preview and the pack downgraded it to advisory,
   * whatever its own level: it decided nothing.
   */
  readonly notDecidableAtPreview: boolean;
}

/**
 * An exemption the pack reports as in force, on a line of its own in a diagnostic of any policy
 * (policies/lib/exemptions.ts): "exemption in force: <policy>[ on <resource>] until <YYYY-MM-DD>: <reason>".
 * A diagnostic with more than that line is a result the exemption silences.
 */
export interface Exemption {
  /** The exempted policy, when the text names one of the pack's policies first. */
  readonly policy?: string;
  /** Logical name or URN the exemption is limited to; absent for the whole stack. */
  readonly resource?: string;
  readonly expires?: string;
  readonly reason?: string;
  /** The text after "exemption in force:", whatever its shape. */
  readonly text: string;
}

const exemptionText = /^(\S+)(?: on (\S+))? until (\d{4}-\d{2}-\d{2}): ([\s\S]*)$/;

/** A result an exemption in force silences: reported, never counted as a violation. */
export interface ExemptedViolation extends Violation {
  readonly exemption: Exemption;
}

/** A gRPC error from the pack: an exception inside a policy. */
export interface PolicyError {
  readonly method: string;
  readonly urn?: string;
  readonly message: string;
}

export interface ReportCounts {
  readonly resources: number;
  readonly policies: number;
  readonly mandatory: number;
  readonly advisory: number;
  readonly notDecidableAtPreview: number;
  readonly offlineMandatory: number;
  readonly offlineAdvisory: number;
  readonly exemptions: number;
  readonly exemptedViolations: number;
  readonly policyErrors: number;
}

export interface ReportTimings {
  readonly programMs: number;
  readonly packStartMs: number;
  readonly analyzeMs: number;
  readonly totalMs: number;
}

export interface Report {
  readonly schemaVersion: typeof reportSchemaVersion;
  readonly project: string;
  readonly stack: string;
  readonly environment: string;
  /** Relative to the project root, for locations in SARIF. */
  readonly stackFile: string;
  readonly programFile: string;
  readonly policyPack: { readonly name: string; readonly version: string; readonly sdkVersion: string };
  readonly policies: readonly ReportPolicy[];
  readonly violations: readonly Violation[];
  readonly offlineFindings: readonly OfflineFinding[];
  readonly exemptions: readonly Exemption[];
  /** Results the exemptions silence, each with the exemption that silences it. */
  readonly exemptedViolations: readonly ExemptedViolation[];
  /** Config keys with a `secure:` value: set and secret, not verified offline. */
  readonly undecryptableSecrets: readonly string[];
  readonly policyErrors: readonly PolicyError[];
  readonly counts: ReportCounts;
  readonly timings: ReportTimings;
  readonly exitCode: 0 | 1;
}

export interface ReportInput {
  readonly stackConfig: StackConfig;
  readonly stackFile: string;
  readonly programFile: string;
  readonly info: AnalyzerInfo;
  readonly sdkVersion: string;
  readonly configuredLevels: Readonly<Record<string, EnforcementLevel | undefined>>;
  readonly resourceCount: number;
  readonly diagnostics: readonly Diagnostic[];
  readonly offlineFindings: readonly OfflineFinding[];
  readonly policyErrors: readonly PolicyError[];
  readonly timings: ReportTimings;
}

/** "11.8, 10.1" -> ["11.8", "10.1"]. */
export const parseChecklistIds = (reference: string | undefined): string[] =>
  (reference ?? "")
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");

/** urn:pulumi:<stack>::<project>::<parent$type>::<name> -> type and name. */
export function urnParts(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  return { type: (parts[2] ?? "").split("$").pop() ?? "", name: parts.slice(3).join("::") };
}

/** The pack prefixes a string message with the policy's description: keep what is specific. */
function specificMessage(d: Diagnostic): string {
  return d.description && d.message.startsWith(`${d.description}\n`) ? d.message.slice(d.description.length + 1) : d.message;
}

function toViolation(d: Diagnostic, message: string, policies: ReadonlyMap<string, ReportPolicy>): Violation {
  const downgrade = previewDowngrade.exec(message);
  const resource = d.urn ? urnParts(d.urn) : undefined;
  return {
    policy: d.policyName,
    checklistIds: policies.get(d.policyName)?.checklistIds ?? [],
    enforcementLevel: d.enforcementLevel,
    severity: d.severity,
    resourceType: resource?.type,
    resourceName: resource?.name,
    urn: d.urn,
    message: downgrade ? downgrade[2] : message,
    notDecidableAtPreview: downgrade !== null,
  };
}

/** Splits "…\nexemption in force: …" into the silenced result's message (may be empty) and the exemption. */
function splitExemption(message: string, policyNames: ReadonlySet<string>): { rest: string; exemption?: Exemption } {
  const lines = message.split("\n");
  const at = lines.findIndex((l) => l.trim().startsWith(exemptionMarker));
  if (at < 0) return { rest: message };
  const text = lines[at].trim().slice(exemptionMarker.length).trim();
  const parts = exemptionText.exec(text);
  const first = parts?.[1] ?? text.split(/\s+/)[0];
  const exemption = {
    policy: policyNames.has(first) ? first : undefined,
    resource: parts?.[2],
    expires: parts?.[3],
    reason: parts?.[4],
    text,
  };
  return { rest: lines.slice(0, at).join("\n").trim(), exemption };
}

export function buildReport(input: ReportInput): Report {
  const policies: ReportPolicy[] = input.info.policies.map((p) => ({
    name: p.name,
    description: p.description,
    enforcementLevel: p.enforcementLevel,
    configuredLevel: input.configuredLevels[p.name] ?? p.enforcementLevel,
    severity: p.severity,
    policyType: p.policyType,
    checklistIds: parseChecklistIds(p.framework?.reference),
    framework: p.framework,
    remediationSteps: p.remediationSteps,
    url: p.url,
    tags: p.tags,
  }));
  const byName = new Map(policies.map((p) => [p.name, p]));
  const exemptions = new Map<string, Exemption>();
  const violations: Violation[] = [];
  const exemptedViolations: ExemptedViolation[] = [];
  for (const d of input.diagnostics) {
    const { rest, exemption } = splitExemption(specificMessage(d), new Set(byName.keys()));
    if (!exemption) {
      violations.push(toViolation(d, rest, byName));
      continue;
    }
    const known = exemptions.get(exemption.text) ?? exemption;
    exemptions.set(known.text, known);
    if (rest !== "") exemptedViolations.push({ ...toViolation(d, rest, byName), exemption: known });
  }
  const decided = violations.filter((v) => !v.notDecidableAtPreview);
  const counts: ReportCounts = {
    resources: input.resourceCount,
    policies: policies.length,
    mandatory: decided.filter((v) => v.enforcementLevel === "mandatory").length,
    advisory: decided.filter((v) => v.enforcementLevel === "advisory").length,
    notDecidableAtPreview: violations.length - decided.length,
    offlineMandatory: input.offlineFindings.filter((f) => f.level === "mandatory").length,
    offlineAdvisory: input.offlineFindings.filter((f) => f.level === "advisory").length,
    exemptions: exemptions.size,
    exemptedViolations: exemptedViolations.length,
    policyErrors: input.policyErrors.length,
  };
  const failed = counts.mandatory + counts.offlineMandatory + counts.policyErrors > 0;
  return {
    schemaVersion: reportSchemaVersion,
    project: input.stackConfig.project,
    stack: input.stackConfig.stack,
    environment: input.stackConfig.environment,
    stackFile: input.stackFile,
    programFile: input.programFile,
    policyPack: { name: input.info.name, version: input.info.version, sdkVersion: input.sdkVersion },
    policies,
    violations,
    offlineFindings: input.offlineFindings,
    exemptions: [...exemptions.values()],
    exemptedViolations,
    undecryptableSecrets: input.stackConfig.undecryptableKeys,
    policyErrors: input.policyErrors,
    counts,
    timings: input.timings,
    exitCode: failed ? 1 : 0,
  };
}

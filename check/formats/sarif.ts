// SARIF 2.1.0 for GitHub code scanning: one rule per policy, one result per violation or offline
// finding, located in the stack file (config decides) or the program, with the resource URN as the
// logical location. Each result names its resource in its message and carries a fingerprint of policy,
// resource and message, so results for different resources stay different alerts. A result an
// exemption silences is there too, with the exemption as its suppression.
import { createHash } from "node:crypto";
import type { ExemptedViolation, Report, ReportPolicy, Violation } from "../report";

export const sarifSchema = "https://json.schemastore.org/sarif-2.1.0.json";
const offlineRuleId = "offline-plaintext-secret";

/** GitHub's security-severity scale (0.0-10.0) from the policy's severity. */
const securitySeverity: Record<string, string> = { low: "3.0", medium: "5.5", high: "8.0", critical: "9.5" };

function rule(p: ReportPolicy) {
  return {
    id: p.name,
    name: p.name,
    shortDescription: { text: p.description },
    fullDescription: { text: `${p.description} (checklist ${p.checklistIds.join(", ") || "n/a"})` },
    ...(p.url ? { helpUri: p.url } : {}),
    help: {
      text: p.remediationSteps ?? p.description,
      markdown: p.remediationSteps ?? p.description,
    },
    defaultConfiguration: { level: p.configuredLevel === "mandatory" ? "error" : "warning" },
    properties: {
      tags: [...p.tags, ...p.checklistIds.map((id) => `checklist-${id}`), p.configuredLevel],
      ...(p.severity ? { "security-severity": securitySeverity[p.severity] } : {}),
    },
  };
}

/** "<name> (<type>): " for a result about one resource. */
const where = (v: Violation) => (v.resourceName ? `${v.resourceName} (${v.resourceType}): ` : "");

/** GitHub keys an alert on primaryLocationLineHash; all results share the stack file's line 1. */
const fingerprint = (policy: string, urn: string | undefined, message: string) => ({
  primaryLocationLineHash: `${createHash("sha256").update(`${policy}\n${urn ?? ""}\n${message}`).digest("hex").slice(0, 16)}:1`,
});

export function renderSarif(report: Report): string {
  const location = (uri: string, urn?: string) => ({
    physicalLocation: { artifactLocation: { uri, uriBaseId: "%SRCROOT%" }, region: { startLine: 1 } },
    ...(urn ? { logicalLocations: [{ fullyQualifiedName: urn, kind: "resource" }] } : {}),
  });
  const rules = [
    ...report.policies.map(rule),
    {
      id: offlineRuleId,
      name: offlineRuleId,
      shortDescription: { text: "A secret-looking env entry or file is not a Pulumi secret." },
      fullDescription: { text: "Seen only offline: the engine hands policies plain text, so no policy can catch it." },
      help: { text: "Build the value from config.requireSecret or pulumi.secret.", markdown: "Build the value from `config.requireSecret` or `pulumi.secret`." },
      properties: { tags: ["secrets", "checklist-2.7"], "security-severity": securitySeverity.high },
    },
  ];
  const ruleIndex = (policy: string) => {
    const index = report.policies.findIndex((p) => p.name === policy);
    return index < 0 ? undefined : index;
  };
  const violationResult = (v: Violation) => ({
    ruleId: v.policy,
    ruleIndex: ruleIndex(v.policy),
    level: v.enforcementLevel === "mandatory" && !v.notDecidableAtPreview ? "error" : "warning",
    message: { text: `${v.notDecidableAtPreview ? "not decidable at preview: " : ""}${where(v)}${v.message}` },
    locations: [location(report.stackFile, v.urn)],
    partialFingerprints: fingerprint(v.policy, v.urn, v.message),
    properties: { notDecidableAtPreview: v.notDecidableAtPreview, checklistIds: v.checklistIds },
  });
  const exemptedResult = (v: ExemptedViolation) => {
    const policy = report.policies.find((p) => p.name === v.policy);
    const { exemption } = v;
    return {
      ...violationResult(v),
      // What it would be without the exemption.
      level: policy?.configuredLevel === "mandatory" ? "error" : "warning",
      suppressions: [{
        kind: "inSource",
        status: "accepted",
        justification: `${exemption.reason ?? exemption.text}${exemption.expires ? ` (exemption until ${exemption.expires})` : ""}`,
        location: { physicalLocation: { artifactLocation: { uri: report.stackFile, uriBaseId: "%SRCROOT%" } } },
      }],
    };
  };
  const results = [
    ...report.violations.map(violationResult),
    ...report.exemptedViolations.map(exemptedResult),
    ...report.offlineFindings.map((f) => ({
      ruleId: offlineRuleId,
      ruleIndex: rules.length - 1,
      level: f.level === "mandatory" ? "error" : "warning",
      message: { text: `${f.resourceName} (${f.resourceType}): ${f.message}` },
      locations: [location(report.programFile, f.urn)],
      partialFingerprints: fingerprint(offlineRuleId, f.urn, f.message),
    })),
  ];
  const log = {
    $schema: sarifSchema,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: report.policyPack.name,
            version: report.policyPack.version,
            informationUri: "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/",
            rules,
          },
        },
        automationDetails: { id: `${report.project}/${report.stack}/` },
        invocations: [{
          executionSuccessful: true,
          exitCode: report.exitCode,
          // A policy that threw decided nothing: the run's own notification, beside the results.
          toolExecutionNotifications: report.policyErrors.map((e) => ({
            level: "error",
            message: { text: `${e.method}${e.urn ? ` ${e.urn}` : ""}: ${e.message.split("\n").slice(0, 2).join(" ")}` },
          })),
        }],
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

// SARIF 2.1.0 for GitHub code scanning: one rule per policy, one result per violation or
// offline finding, located in the stack file (config decides) or the program, with the
// resource URN as the logical location.
import type { Report, ReportPolicy } from "../report";

const sarifSchema = "https://json.schemastore.org/sarif-2.1.0.json";
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
  const results = [
    ...report.violations.map((v) => ({
      ruleId: v.policy,
      ruleIndex: report.policies.findIndex((p) => p.name === v.policy),
      level: v.enforcementLevel === "mandatory" && !v.notDecidableAtPreview ? "error" : "warning",
      message: { text: v.notDecidableAtPreview ? `not decidable at preview: ${v.message}` : v.message },
      locations: [location(report.stackFile, v.urn)],
      properties: { notDecidableAtPreview: v.notDecidableAtPreview, checklistIds: v.checklistIds },
    })),
    ...report.offlineFindings.map((f) => ({
      ruleId: offlineRuleId,
      ruleIndex: rules.length - 1,
      level: f.level === "mandatory" ? "error" : "warning",
      message: { text: f.message },
      locations: [location(report.programFile, f.urn)],
    })),
  ].map((r) => (r.ruleIndex < 0 ? { ...r, ruleIndex: undefined } : r));
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
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

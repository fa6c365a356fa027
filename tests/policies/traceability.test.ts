import { describe, expect, it } from "vitest";
import { checklistItems } from "../../policies/checklist";
import { frameworkIds } from "../../policies/lib/framework";
import { buildPolicies, EXEMPTIONS_POLICY } from "../../policies/lib/pack";
import { checklistRules } from "../../policies/rules";
import { traceability } from "../../policies/traceability";
import { stackContext } from "./baseline";

const ids = new Set(checklistItems.map((i) => i.id));
const policies = buildPolicies(checklistRules, stackContext());
const policyNames = new Set(policies.map((p) => p.name));

describe("traceability", () => {
  it("maps every checklist item", () => {
    expect(checklistItems.filter((i) => traceability[i.id] === undefined).map((i) => i.id)).toEqual([]);
  });
  it("maps only ids the checklist has", () => {
    expect(Object.keys(traceability).filter((id) => !ids.has(id))).toEqual([]);
  });
  it("names only policies the pack has, and every trace says how", () => {
    for (const [id, trace] of Object.entries(traceability)) {
      if (trace.kind === "policy") {
        expect(trace.policies.length, id).toBeGreaterThan(0);
        expect(trace.policies.filter((p) => !policyNames.has(p)), id).toEqual([]);
      } else {
        expect((trace.kind === "manual" ? trace.reason : trace.check).length, id).toBeGreaterThan(10);
      }
    }
  });
  it("maps every id a policy cites back to that policy", () => {
    const unmapped: string[] = [];
    for (const policy of policies) {
      if (policy.name === EXEMPTIONS_POLICY) continue;
      expect(policy.framework, policy.name).toBeDefined();
      for (const id of frameworkIds(policy.framework!)) {
        if (!ids.has(id)) unmapped.push(`${policy.name} cites unknown ${id}`);
        const trace = traceability[id];
        if (trace?.kind !== "policy" || !trace.policies.includes(policy.name)) unmapped.push(`${policy.name} cites ${id}, not mapped to it`);
      }
    }
    expect(unmapped).toEqual([]);
  });
  it("gives every policy a severity, remediation steps and a sentence of description", () => {
    for (const p of policies) {
      expect([p.name, p.severity !== undefined, (p.remediationSteps ?? "").length > 10, /^\S.{20,}\.$/.test(p.description)]).toEqual([p.name, true, true, true]);
    }
  });
});

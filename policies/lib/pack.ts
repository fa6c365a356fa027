// Turns checklist rules into @pulumi/policy policies for one stack: enforcement level from the
// environment, exemptions applied by ONE wrapper around every validate function, and the
// `policy-exemptions` stack policy that reports exemptions. `--policy-pack-config` still overrides
// any level: the engine's Configure call wins over the level set here.
import type { EnforcementLevel, Policies, ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { coversResource, describeExemption, reviewExemptions, type Exemption, type ExemptionReview } from "./exemptions";
import { isResourceRule, type ChecklistPolicy, type ChecklistResourcePolicy, type ChecklistStackPolicy } from "./framework";
import type { StackContext } from "./stack-context";
import { urnName } from "./values";

export const EXEMPTIONS_POLICY = "policy-exemptions";

/** Production: every rule is mandatory. Elsewhere only the `alwaysMandatory` ones are. */
export function enforcementLevelFor(rule: Pick<ChecklistPolicy, "alwaysMandatory">, ctx: StackContext): EnforcementLevel {
  return ctx.environment === "production" || rule.alwaysMandatory ? "mandatory" : "advisory";
}

const common = (rule: ChecklistPolicy, ctx: StackContext) => ({
  name: rule.name,
  description: rule.description,
  severity: rule.severity,
  remediationSteps: rule.remediationSteps,
  framework: rule.framework,
  configSchema: rule.configSchema,
  tags: rule.tags ? [...rule.tags] : undefined,
  enforcementLevel: enforcementLevelFor(rule, ctx),
});

function toResourcePolicy(rule: ChecklistResourcePolicy, ctx: StackContext, exemptions: readonly Exemption[]): ResourceValidationPolicy {
  return {
    ...common(rule, ctx),
    validateResource: async (args, report) => {
      // Type first: a rule never touches the properties of a resource it does not judge.
      if (!rule.resourceTypes.includes(args.type)) return;
      if (exemptions.some((e) => coversResource(e, args.name, args.urn))) return;
      await rule.validateResource(args, report, ctx);
    },
  };
}

function toStackPolicy(rule: ChecklistStackPolicy, ctx: StackContext, exemptions: readonly Exemption[]): StackValidationPolicy {
  return {
    ...common(rule, ctx),
    validateStack: async (args, report) => {
      if (exemptions.some((e) => e.resource === undefined)) return;
      // A stack rule names the resource of each violation by URN; drop those an exemption covers.
      const unlessExempt: ReportViolation = (message, urn) => {
        if (urn !== undefined && exemptions.some((e) => coversResource(e, urnName(urn), urn))) return;
        report(message, urn);
      };
      await rule.validateStack(args, unlessExempt, ctx);
    },
  };
}

/**
 * The reporter @pulumi/policy passes also takes an object whose `enforcementLevel` overrides the
 * policy's for that one diagnostic (server.js makeReportViolationFun); its typings only show the
 * string form. `policy-exemptions` needs both levels under one name.
 */
interface ViolationWithLevel {
  readonly message: string;
  readonly urn?: string;
  readonly enforcementLevel?: EnforcementLevel;
}
type ReportWithLevel = (violation: ViolationWithLevel) => void;

function exemptionsPolicy(review: ExemptionReview): StackValidationPolicy {
  return {
    name: EXEMPTIONS_POLICY,
    description: "Every policy exemption in the stack config names a policy of this pack, gives a reason and an expiry date that has not passed; exemptions in force are listed in every report.",
    severity: "high",
    remediationSteps:
      "Fix or remove the entry in `jewelry-shop:policyExemptions`: each needs policy, reason and expires (YYYY-MM-DD, not in the past); resource is optional (logical name or URN).",
    // Mandatory everywhere: a broken exemption list must never silently exempt or fail to exempt.
    enforcementLevel: "mandatory",
    validateStack: (_args, report) => {
      for (const problem of review.problems) report(problem);
      const withLevel = report as unknown as ReportWithLevel;
      for (const exemption of review.inForce) withLevel({ message: describeExemption(exemption), enforcementLevel: "advisory" });
    },
  };
}

/** The policies of the pack for this stack, in the order given, then `policy-exemptions`. */
export function buildPolicies(rules: readonly ChecklistPolicy[], ctx: StackContext): Policies {
  const names = new Set<string>();
  for (const rule of rules) {
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(rule.name)) throw new Error(`policy name "${rule.name}" is not kebab-case`);
    if (names.has(rule.name) || rule.name === EXEMPTIONS_POLICY) throw new Error(`policy name "${rule.name}" is used twice`);
    names.add(rule.name);
  }
  const review = reviewExemptions(ctx, names);
  const exemptionsOf = (name: string) => review.inForce.filter((e) => e.policy === name);
  return [
    ...rules.map((rule) =>
      isResourceRule(rule) ? toResourcePolicy(rule, ctx, exemptionsOf(rule.name)) : toStackPolicy(rule, ctx, exemptionsOf(rule.name)),
    ),
    exemptionsPolicy(review),
  ];
}

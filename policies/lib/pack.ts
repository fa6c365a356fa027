// Turns checklist rules into @pulumi/policy policies for one stack: enforcement level from the
// environment, exemptions applied by ONE wrapper around every validate function, and the
// `policy-exemptions` stack policy that audits them. `--policy-pack-config` still overrides any level:
// the engine's Configure call wins over the level set here.
import type {
  EnforcementLevel, Policies, PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy,
} from "@pulumi/policy";
import {
  announceExemption, coversResource, MAX_EXEMPTION_DAYS, reportExempted, reviewExemptions, type Exemption, type ExemptionReview,
} from "./exemptions";
import { isResourceRule, type ChecklistPolicy, type ChecklistResourcePolicy, type ChecklistStackPolicy } from "./framework";
import { propsView } from "./props-view";
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

const STACK_TYPE = "pulumi:pulumi:Stack";

/**
 * Runs the rule on a resource its exemption covers: what the rule finds is reported as silenced, and
 * a resource exemption that silenced nothing is announced. An exempted resource is not judged, so an
 * error of the rule there (a value unknown at preview) changes nothing.
 */
async function judgeExempted(exemption: Exemption, urn: string, report: ReportViolation, run: (silenced: ReportViolation) => Promise<void> | void): Promise<void> {
  let silenced = 0;
  const reportSilenced: ReportViolation = (message, violationUrn) => {
    silenced++;
    reportExempted(report, exemption, message, violationUrn ?? urn);
  };
  try {
    await run(reportSilenced);
  } catch {
    // Nothing to silence can be known.
  }
  if (silenced === 0 && exemption.resource !== undefined) announceExemption(report, exemption, urn);
}

/**
 * @pulumi/policy's server skips a validation function that carries its one resource type
 * (`__pulumiType`, as validateResourceOfType sets it) for every other type, before it deserializes
 * the resource's properties once more for that policy. Only for a rule with one type and no
 * whole-stack exemption, which has nothing to do on any other resource, the root stack included.
 */
function forOneTypeOnly(rule: ChecklistResourcePolicy, exemptions: readonly Exemption[]): { __pulumiType?: string } {
  return rule.resourceTypes.length === 1 && !exemptions.some((e) => e.resource === undefined) ? { __pulumiType: rule.resourceTypes[0] } : {};
}

/** The rule's arguments with the properties read through the cheaper view (lib/props-view.ts). */
function withPropsView(args: ResourceValidationArgs): ResourceValidationArgs {
  const props = propsView(args.props);
  if (props === args.props) return args;
  const asType = ((resourceClass: Parameters<ResourceValidationArgs["isType"]>[0]) => (args.isType(resourceClass) ? props : undefined)) as ResourceValidationArgs["asType"];
  return { ...args, props, asType };
}

function toResourcePolicy(rule: ChecklistResourcePolicy, ctx: StackContext, exemptions: readonly Exemption[]): ResourceValidationPolicy {
  return {
    ...common(rule, ctx),
    validateResource: Object.assign(async (engineArgs: ResourceValidationArgs, report: ReportViolation) => {
      // The engine analyzes the root stack once: whole-stack exemptions are announced there.
      if (engineArgs.type === STACK_TYPE) for (const e of exemptions.filter((e) => e.resource === undefined)) announceExemption(report, e, engineArgs.urn);
      // Type first: a rule never touches the properties of a resource it does not judge.
      if (!rule.resourceTypes.includes(engineArgs.type)) return;
      const args = withPropsView(engineArgs);
      const exemption = exemptions.find((e) => e.resource !== undefined && coversResource(e, args.name, args.urn)) ??
        exemptions.find((e) => e.resource === undefined);
      if (!exemption) return rule.validateResource(args, report, ctx);
      await judgeExempted(exemption, args.urn, report, (silenced) => rule.validateResource(args, silenced, ctx));
    }, forOneTypeOnly(rule, exemptions)),
  };
}

function toStackPolicy(rule: ChecklistStackPolicy, ctx: StackContext, exemptions: readonly Exemption[]): StackValidationPolicy {
  return {
    ...common(rule, ctx),
    validateStack: async (args, report) => {
      // The server builds these resource objects for this policy alone: each reads through the cheaper view.
      for (const resource of args.resources) resource.props = propsView(resource.props);
      const silencing = new Set<Exemption>();
      // A stack rule names the resource of each violation by URN: an exemption covering it silences it.
      const unlessExempt: ReportViolation = (message, urn) => {
        const exemption = exemptions.find((e) => e.resource !== undefined && urn !== undefined && coversResource(e, urnName(urn), urn)) ??
          exemptions.find((e) => e.resource === undefined);
        if (!exemption) return report(message, urn);
        silencing.add(exemption);
        reportExempted(report, exemption, message, urn);
      };
      await rule.validateStack(args, unlessExempt, ctx);
      for (const e of exemptions.filter((e) => !silencing.has(e))) {
        const named = e.resource === undefined ? undefined : args.resources.find((r) => coversResource(e, r.name, r.urn));
        if (e.resource === undefined || named) announceExemption(report, e, named?.urn);
      }
    },
  };
}

/** Why an exemption in force exempts nothing: its resource is not in the stack, or not of a type its policy judges. */
function unmatched(exemption: Exemption, resources: readonly PolicyResource[], rule: ChecklistPolicy | undefined): string | undefined {
  if (exemption.resource === undefined) return undefined;
  const at = `policyExemptions[${exemption.index}] (${exemption.policy})`;
  const named = resources.filter((r) => coversResource(exemption, r.name, r.urn));
  if (named.length === 0) {
    return `${at} names resource "${exemption.resource}", which is not in this stack, so it exempts nothing: give a resource's logical name or URN, or remove the entry`;
  }
  if (rule && isResourceRule(rule) && !named.some((r) => rule.resourceTypes.includes(r.type))) {
    return `${at} names "${exemption.resource}", a ${named[0].type}, which ${exemption.policy} does not judge: it exempts nothing; remove the entry`;
  }
  return undefined;
}

function exemptionsPolicy(review: ExemptionReview, rules: readonly ChecklistPolicy[]): StackValidationPolicy {
  return {
    name: EXEMPTIONS_POLICY,
    description: `Every policy exemption in the stack config names a policy of this pack and, when it names a resource, one of this stack that the policy judges; it gives a reason and an expiry date that has not passed and is at most ${MAX_EXEMPTION_DAYS} days ahead.`,
    severity: "high",
    remediationSteps:
      `Fix or remove the entry in \`jewelry-shop:policyExemptions\`: each needs policy, reason and expires ("YYYY-MM-DD" quoted, not in the past, at most ${MAX_EXEMPTION_DAYS} days ahead); resource is optional (a logical name or URN of this stack).`,
    // Mandatory everywhere: a broken exemption list must never silently exempt or fail to exempt.
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
      for (const problem of review.problems) report(problem);
      for (const exemption of review.inForce) {
        const problem = unmatched(exemption, args.resources, rules.find((r) => r.name === exemption.policy));
        if (problem) report(problem);
      }
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
    exemptionsPolicy(review, rules),
  ];
}

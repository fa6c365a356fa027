// The shape of one checklist rule. A section file exports rules built with resourcePolicy() or
// stackPolicy(); index.ts hands the list to buildPolicies(), which turns them into @pulumi/policy
// policies (enforcement level per environment, exemptions, framework metadata).
//
//   export const djangoDebugOff = resourcePolicy({
//     name: "django-debug-off",                       // stable kebab-case: configs and exemptions name it
//     description: "Django app containers run with DEBUG=False.",
//     severity: "critical",
//     remediationSteps: "Set DEBUG=False in the app containers' envs.",
//     framework: checklistFramework("1.6"),           // item ids; text comes from checklist.ts
//     resourceTypes: [CONTAINER],                     // the check runs only on these types
//     validateResource: (args, report, stack) => { ... },
//   });
import type {
  PolicyComplianceFramework, PolicyConfigSchema, ReportViolation, ResourceValidationArgs, Severity, StackValidationArgs,
} from "@pulumi/policy";
import { checklistItem } from "../checklist";
import type { StackContext } from "./stack-context";

export const FRAMEWORK_NAME = "production-deployment-checklist";
export const FRAMEWORK_VERSION = "1.0.0";

/** Framework metadata for the given checklist item ids; throws at pack start-up on an unknown id. */
export function checklistFramework(...ids: [string, ...string[]]): PolicyComplianceFramework {
  const items = ids.map(checklistItem);
  return {
    name: FRAMEWORK_NAME,
    version: FRAMEWORK_VERSION,
    reference: items.map((i) => i.id).join(", "),
    specification: items.map((i) => `${i.id} ${i.text}`).join("; "),
  };
}

/** The checklist ids a framework cites ("3.6, 3.7" -> ["3.6", "3.7"]). */
export const frameworkIds = (framework: PolicyComplianceFramework): string[] =>
  framework.reference.split(",").map((id) => id.trim()).filter((id) => id !== "");

interface ChecklistPolicyCommon {
  readonly name: string;
  /** A full sentence saying what compliance looks like. */
  readonly description: string;
  readonly severity: Severity;
  readonly remediationSteps: string;
  readonly framework: PolicyComplianceFramework;
  /** Stays mandatory in staging and development too (a leak or an open port is never "advisory"). */
  readonly alwaysMandatory?: boolean;
  readonly configSchema?: PolicyConfigSchema;
  readonly tags?: readonly string[];
}

/** A resource check gets the stack context as a third argument (config, environment, stack name). */
export type ResourceCheck = (args: ResourceValidationArgs, report: ReportViolation, stack: StackContext) => void | Promise<void>;
export type StackCheck = (args: StackValidationArgs, report: ReportViolation, stack: StackContext) => void | Promise<void>;

export interface ChecklistResourcePolicy extends ChecklistPolicyCommon {
  /** Type tokens the check applies to; others are skipped without reading a property. */
  readonly resourceTypes: readonly string[];
  readonly validateResource: ResourceCheck;
}

export interface ChecklistStackPolicy extends ChecklistPolicyCommon {
  readonly validateStack: StackCheck;
}

export type ChecklistPolicy = ChecklistResourcePolicy | ChecklistStackPolicy;

export const isResourceRule = (rule: ChecklistPolicy): rule is ChecklistResourcePolicy => "validateResource" in rule;

/** Identity helpers: they give a rule its type, so each section file reads as a list of definitions. */
export const resourcePolicy = (rule: ChecklistResourcePolicy): ChecklistResourcePolicy => rule;
export const stackPolicy = (rule: ChecklistStackPolicy): ChecklistStackPolicy => rule;

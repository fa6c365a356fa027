// Runs the pack's policies in-process the way @pulumi/policy's server does: properties behind the
// unknown-checking proxy, an UnknownValueError turned into an advisory "can't run", each policy's
// level (or the level a violation carries), stack policies given parents-free resources with their
// property dependencies resolved. The policies are exactly what index.ts serves (buildPolicies).
import { unknownCheckingProxy, UnknownValueError, type EnforcementLevel, type PolicyResource, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";
import { buildPolicies } from "../../policies/lib/pack";
import type { StackContext } from "../../policies/lib/stack-context";
import { checklistRules } from "../../policies/rules";

/** The engine's unknown-string sentinel, as a preview hands it to the pack. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface TestResource {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
  /** Property -> names of the resources it was computed from. */
  readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
}

export interface Finding {
  readonly policy: string;
  readonly level: EnforcementLevel;
  readonly message: string;
  /** The URN of the analysed resource (resource policies) or the one the violation names. */
  readonly urn?: string;
}

export const urnOf = (r: Pick<TestResource, "type" | "name">, stack = "production") => `urn:pulumi:${stack}::jewelry-shop::${r.type}::${r.name}`;

interface ViolationObject {
  readonly message?: string;
  readonly urn?: string;
  readonly enforcementLevel?: EnforcementLevel;
}

const emptyOptions = { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] };
const notApplicable = (reason?: string): never => {
  throw new Error(`notApplicable: ${reason}`);
};

function reporter(policy: { name: string; description: string }, level: EnforcementLevel, findings: Finding[], defaultUrn?: string) {
  return (message: string | ViolationObject, urn?: string) => {
    if (typeof message === "object") {
      findings.push({ policy: policy.name, level: message.enforcementLevel ?? level, message: message.message ?? policy.description, urn: message.urn ?? defaultUrn });
    } else {
      findings.push({ policy: policy.name, level, message: message ? `${policy.description}\n${message}` : policy.description, urn: urn ?? defaultUrn });
    }
  };
}

const isResourcePolicy = (p: ResourceValidationPolicy | StackValidationPolicy): p is ResourceValidationPolicy => "validateResource" in p;

/**
 * Runs the pack's policies (built for `ctx`) over the resources: Analyze per resource, then
 * AnalyzeStack. `only` limits the run to some policies (the rest of the pack is still built).
 */
export async function analyze(resources: readonly TestResource[], ctx: StackContext, only?: readonly string[]): Promise<Finding[]> {
  const findings: Finding[] = [];
  const policies = buildPolicies(checklistRules, ctx).filter((p) => !only || only.includes(p.name));
  const cantRun = (name: string, err: UnknownValueError, urn?: string) =>
    findings.push({ policy: name, level: "advisory", message: `can't run policy '${name}' during preview: ${err.message}`, urn });

  for (const policy of policies) {
    const level = policy.enforcementLevel ?? "advisory";
    if (level === "disabled") continue;
    if (isResourcePolicy(policy)) {
      const validate = policy.validateResource;
      if (!validate || Array.isArray(validate)) throw new Error(`${policy.name}: expected one validateResource`);
      for (const r of resources) {
        const urn = urnOf(r, ctx.stack);
        try {
          await validate({
            type: r.type, name: r.name, urn, props: unknownCheckingProxy(structuredClone(r.props)), opts: emptyOptions,
            stackTags: new Map(), isType: () => false, asType: () => undefined, getConfig: <T>() => ({}) as T, notApplicable,
          }, reporter(policy, level, findings, urn));
        } catch (err) {
          if (!(err instanceof UnknownValueError)) throw err;
          cantRun(policy.name, err, urn);
        }
      }
    } else {
      const byName = new Map<string, PolicyResource>();
      const stackResources = resources.map((r): PolicyResource => {
        const resource: PolicyResource = {
          type: r.type, name: r.name, urn: urnOf(r, ctx.stack), props: unknownCheckingProxy(structuredClone(r.props)), opts: emptyOptions,
          dependencies: [], propertyDependencies: {}, isType: () => false, asType: () => undefined,
        };
        byName.set(r.name, resource);
        return resource;
      });
      resources.forEach((r, i) => {
        for (const [property, names] of Object.entries(r.propertyDependencies ?? {})) {
          stackResources[i].propertyDependencies[property] = names.map((n) => {
            const source = byName.get(n);
            if (!source) throw new Error(`${r.name}.${property} depends on unknown resource ${n}`);
            return source;
          });
        }
      });
      try {
        await policy.validateStack({ resources: stackResources, stackTags: new Map(), getConfig: <T>() => ({}) as T, notApplicable }, reporter(policy, level, findings));
      } catch (err) {
        if (!(err instanceof UnknownValueError)) throw err;
        cantRun(policy.name, err);
      }
    }
  }
  return findings;
}

/** Findings of one policy. */
export const of = (findings: readonly Finding[], policy: string) => findings.filter((f) => f.policy === policy);

/** Findings of `policy` for the stack, judged under `ctx`. */
export async function findingsOf(policy: string, resources: readonly TestResource[], ctx: StackContext): Promise<Finding[]> {
  return of(await analyze(resources, ctx, [policy]), policy);
}

/** The one-line summary a failing expectation prints. */
export const describeFindings = (findings: readonly Finding[]) => findings.map((f) => `${f.level}: ${f.message.split("\n").pop()}`).join("\n");

/** The last line (the rule's own message) of each finding of `policy` at `level`. */
export async function messagesOf(policy: string, resources: readonly TestResource[], ctx: StackContext, level: EnforcementLevel = "mandatory"): Promise<string[]> {
  return (await findingsOf(policy, resources, ctx)).filter((f) => f.level === level).map((f) => f.message.split("\n").pop() ?? "");
}

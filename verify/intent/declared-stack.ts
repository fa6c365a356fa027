// The stack as the program declares it: the real program run under Pulumi's mocks in preview mode
// with the stack's config, exactly as `npm run check` runs it (check/run-program.ts). Every reader in
// this folder takes its intent from here, never from a copy of the program's values.
import { unknownCheckingProxy, type PolicyResource } from "@pulumi/policy";
import { isJsonObject, type JsonValue } from "../../check/json";
import { isSecretWrapper, isUnknown } from "../../check/property-values";
import { runProgram, type CapturedResource } from "../../check/run-program";
import type { StackConfig } from "../../check/stack-config";
import type { PropRecord } from "../../policies/lib/values";

export interface DeclaredResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  /** Inputs with secret markers removed; a value unknown at preview is the sentinel string of check/property-values. */
  readonly inputs: PropRecord;
}

export interface DeclaredStack {
  readonly project: string;
  readonly stack: string;
  readonly environment: string;
  readonly resources: readonly DeclaredResource[];
}

export const CONTAINER = "docker:index/container:Container";

/** Secret markers removed; unknowns kept as the engine's sentinel (isUnknown tells them). */
export function plain(value: JsonValue): JsonValue {
  if (isSecretWrapper(value)) return plain(value.value);
  if (Array.isArray(value)) return value.map(plain);
  if (isJsonObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

/** A value the program computes only at `pulumi up` (a generated password, a certificate). */
export const isUnknownValue = (value: unknown): boolean => typeof value === "string" && isUnknown(value);

export function fromCaptured(resources: readonly CapturedResource[]): DeclaredResource[] {
  return resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, inputs: plain(r.object) as PropRecord }));
}

export async function declaredStack(stackConfig: StackConfig): Promise<DeclaredStack> {
  // The language host require()s index.ts: TypeScript through tsx, as `npm run check` runs.
  const run = await runProgram({ stackConfig });
  return { project: run.project, stack: run.stack, environment: stackConfig.environment, resources: fromCaptured(run.resources) };
}

export const ofType = (stack: DeclaredStack, type: string): DeclaredResource[] => stack.resources.filter((r) => r.type === type);

/**
 * The resources as the policy pack receives them (props behind the engine's unknown-checking proxy),
 * so verify reads the intent through the pack's own server models.
 */
export function policyResources(stack: DeclaredStack): PolicyResource[] {
  return stack.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: unknownCheckingProxy(r.inputs), propertyDependencies: {} }) as unknown as PolicyResource);
}

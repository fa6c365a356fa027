// One dynamic resource taken through a ProviderHost in the order the engine calls it
// (pkg/resource/deploy/step_generator.go and step.go):
//   preview:  Check(olds = state inputs, news, unknowns allowed), then Diff when the resource exists.
//   up:       Check, then Create for a new resource; else Diff and, by its answer, nothing, Update, or a
//             replacement: Create the new one and Delete the old one afterwards (Delete first when the
//             provider asks for deleteBeforeReplace).
//   refresh:  Read(id, properties = state outputs, inputs = state inputs); an empty id drops it from state.
//   destroy:  Delete(id, properties = state outputs, oldInputs = state inputs).
// Check failures stop the resource before any change, as the engine does, with a CheckFailedError.
//
// Usage (e.g. applying row-level security to a real database):
//   const host = await startProviderHost();
//   const provider = await serializeProvider("components/postgres/rls-provider.ts", "tenantIsolationProvider");
//   const rls = new DynamicResource(host, { type: TENANT_ISOLATION_TYPE, name: "rls", provider });
//   await rls.up({ connection, tables });      // JSON inputs; SDK secret wrappers are unwrapped as the engine does
//   ...
//   await host.stop();
import type { JsonObject, JsonValue } from "../../check/json";
import { isSecretWrapper } from "../../check/property-values";
import { containsUnknown } from "../../components/dynamic/unknowns";
import { type CheckFailure, type DiffResult, type ProviderHost, type ResourceRef, type SerializedProvider } from "./provider-host";

export type Operation = "create" | "same" | "update" | "replace";

export interface ResourceState {
  readonly id: string;
  readonly inputs: JsonObject;
  readonly outputs: JsonObject;
}

export interface DynamicResourceArgs {
  /** The engine type token, "pulumi-nodejs:dynamic/<module>:<Type>" as pulumi.dynamic.Resource builds it. */
  readonly type: string;
  readonly name: string;
  readonly provider: SerializedProvider;
  readonly project?: string;
  readonly stack?: string;
}

export class CheckFailedError extends Error {
  constructor(readonly urn: string, readonly failures: readonly CheckFailure[]) {
    super(`${urn} failed its provider's check: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
    this.name = "CheckFailedError";
  }
}

/**
 * Inputs as the engine marshals them for the dynamic-provider host, which does not accept secrets:
 * every SDK secret wrapper replaced by its value (MarshalOptions.KeepSecrets false).
 */
export function withoutSecrets(value: JsonValue): JsonValue {
  if (isSecretWrapper(value)) return withoutSecrets(value.value);
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, withoutSecrets(v)]));
}

const sameJson = (a: JsonValue, b: JsonValue): boolean => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
function sorted(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sorted);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sorted(value[key])]));
}

export class DynamicResource {
  readonly ref: ResourceRef;
  /** What the engine would hold in the stack's state for this resource; undefined before create. */
  state: ResourceState | undefined;

  constructor(private readonly host: ProviderHost, private readonly args: DynamicResourceArgs) {
    const project = args.project ?? "jewelry-shop";
    const stack = args.stack ?? "test";
    this.ref = { urn: `urn:pulumi:${stack}::${project}::${args.type}::${args.name}`, type: args.type, name: args.name };
  }

  /** Check and, for an existing resource, Diff, with unknowns allowed: what `pulumi preview` shows. */
  async preview(inputs: JsonObject): Promise<Operation> {
    const checked = await this.check(inputs);
    if (!this.state) return "create";
    return this.classify(await this.diff(checked), checked);
  }

  /** What `pulumi up` does to this resource; every input must be known by then. */
  async up(inputs: JsonObject): Promise<Operation> {
    if (containsUnknown(inputs)) throw new Error(`${this.ref.urn}: an update runs with every input known; unknowns are for preview()`);
    const checked = await this.check(inputs);
    const state = this.state;
    if (!state) {
      await this.create(checked);
      return "create";
    }
    const diff = await this.diff(checked);
    const operation = this.classify(diff, checked);
    if (operation === "same") {
      this.state = { ...state, inputs: checked };
    } else if (operation === "update") {
      const outputs = await this.host.update(this.ref, state.id, state.outputs, checked, state.inputs);
      this.state = { id: state.id, inputs: checked, outputs };
    } else if (diff.deleteBeforeReplace) {
      await this.host.delete(this.ref, state.id, state.outputs, state.inputs);
      this.state = undefined;
      await this.create(checked);
    } else {
      await this.create(checked);
      await this.host.delete(this.ref, state.id, state.outputs, state.inputs);
    }
    return operation;
  }

  /** `pulumi refresh`: the provider's Read decides what state holds from now on. */
  async refresh(): Promise<"same" | "changed" | "gone"> {
    const state = this.requireState("refresh");
    const read = await this.host.read(this.ref, state.id, state.outputs, state.inputs);
    if (read.id === "") {
      this.state = undefined;
      return "gone";
    }
    this.state = { id: read.id, inputs: read.inputs ?? state.inputs, outputs: read.properties };
    return sameJson(read.properties, state.outputs) ? "same" : "changed";
  }

  /** `pulumi destroy` of this resource. */
  async destroy(): Promise<void> {
    const state = this.requireState("destroy");
    await this.host.delete(this.ref, state.id, state.outputs, state.inputs);
    this.state = undefined;
  }

  private async check(inputs: JsonObject): Promise<JsonObject> {
    // The SDK registers the serialized provider as one more input; the engine unwraps secrets.
    const news = { ...(withoutSecrets(inputs) as JsonObject), __provider: this.args.provider.text };
    const result = await this.host.check(this.ref, this.state?.inputs ?? {}, news);
    if (result.failures.length > 0) throw new CheckFailedError(this.ref.urn, result.failures);
    return result.inputs;
  }

  private diff(checked: JsonObject): Promise<DiffResult> {
    const state = this.requireState("diff");
    return this.host.diff(this.ref, state.id, state.inputs, state.outputs, checked);
  }

  private async create(checked: JsonObject): Promise<void> {
    const created = await this.host.create(this.ref, checked);
    this.state = { id: created.id, inputs: checked, outputs: created.properties };
  }

  /** The engine's reading of a DiffResponse; DIFF_UNKNOWN falls back to comparing old and new inputs. */
  private classify(diff: DiffResult, checked: JsonObject): Operation {
    if (diff.changes === "unknown") return sameJson(this.requireState("diff").inputs, checked) ? "same" : "update";
    if (diff.changes === "none") return "same";
    return diff.replaces.length > 0 ? "replace" : "update";
  }

  private requireState(operation: string): ResourceState {
    if (!this.state) throw new Error(`${this.ref.urn}: nothing to ${operation}, the resource is not in state`);
    return this.state;
  }
}

// @pulumi/policy's server deserializes a resource's properties (protobuf Struct to JavaScript) afresh
// for every policy it hands the resource to: AnalyzeStack converts the whole stack once per stack
// policy (some forty), Analyze once per resource policy that judges the type. On a large stack that
// was the largest part of the pack's work. The request's Struct is one object for the whole call
// (protobuf keeps the message it decoded), so the pack converts each Struct once and every policy reads
// the same deserialized value, each through its own unknown-checking proxy as before.
//
// The value is shared, so no policy may change it: rules read properties (lib/props-view.ts and the
// snapshots of lib/docker/snapshot.ts copy what they keep). It is not frozen: the server's proxy and
// the props view return a frozen property as is, unchecked for unknowns, instead of wrapping it.
// Remediation (properties a policy may change, secrets proxied) is converted per call as before.

/** The module whose export the server calls on every conversion (`deserialize_1.deserializeProperties(...)`). */
interface DeserializeModule {
  deserializeProperties(struct: object, proxySecrets: boolean): Record<string, unknown>;
}

const converted = new WeakMap<object, Record<string, unknown>>();
let shared = false;

/** Makes the pack's server convert each request's properties once, however many policies read them. */
export function shareDeserializedProperties(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require("@pulumi/policy/deserialize") as DeserializeModule;
  const deserialize = module.deserializeProperties;
  if (shared || typeof deserialize !== "function") return;
  shared = true;
  const once = (struct: object, proxySecrets: boolean): Record<string, unknown> => {
    if (proxySecrets) return deserialize(struct, proxySecrets);
    let props = converted.get(struct);
    if (props === undefined) converted.set(struct, (props = deserialize(struct, proxySecrets)));
    return props;
  };
  module.deserializeProperties = once;
}

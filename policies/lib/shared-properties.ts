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
import * as path from "node:path";

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

/** A resource's property dependencies: a protobuf map, which the server walks through `entries()`. */
interface PropertyDependencyMap {
  entries(): IterableIterator<[string, unknown]>;
  set(...args: unknown[]): unknown;
  del(...args: unknown[]): unknown;
  clear(): unknown;
}

interface AnalyzerResourceModule {
  AnalyzerResource: { prototype: { getPropertydependenciesMap(noLazyCreate?: boolean): PropertyDependencyMap | undefined } };
}

const walkedOnce = new WeakSet<PropertyDependencyMap>();
let dependenciesShared = false;

/** Makes `map` walk itself once and hand out the same entries again until it is changed. */
function walkOnce(map: PropertyDependencyMap): void {
  const walk = map.entries.bind(map);
  let entries: [string, unknown][] | undefined;
  map.entries = () => (entries ??= [...walk()])[Symbol.iterator]();
  for (const write of ["set", "del", "clear"] as const) {
    const change = map[write].bind(map) as (...args: unknown[]) => unknown;
    map[write] = (...args: unknown[]) => {
      entries = undefined;
      return change(...args);
    };
  }
  walkedOnce.add(map);
}

/**
 * Makes the pack's server walk each resource's property-dependency map once per request. The server
 * rebuilds every resource's property dependencies for each stack policy, and protobuf's map sorts its
 * keys and makes a new entry array for each key on every walk: at ten times the production stack that
 * was ~40% of what AnalyzeStack allocated (a sampling heap profile: 679 MB in all, 388 MB without it),
 * though only ~4% of its time (1,827 → 1,762 ms, 98 → 79 scavenges): short-lived garbage is cheap.
 * The same keys and value messages are handed out again; a change to the map (none in the pack) reads
 * it anew.
 */
export function sharePropertyDependencies(): void {
  if (dependenciesShared) return;
  // The module of the server's own requests: resolved from @pulumi/policy, as its server requires it.
  const fromPolicy = { paths: [path.dirname(require.resolve("@pulumi/policy/package.json"))] };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pb = require(require.resolve("@pulumi/pulumi/proto/analyzer_pb", fromPolicy)) as AnalyzerResourceModule;
  const proto = pb.AnalyzerResource.prototype;
  const read = proto.getPropertydependenciesMap;
  dependenciesShared = true;
  proto.getPropertydependenciesMap = function (this: unknown, noLazyCreate?: boolean) {
    const map = read.call(this, noLazyCreate);
    if (map !== undefined && !walkedOnce.has(map)) walkOnce(map);
    return map;
  };
}

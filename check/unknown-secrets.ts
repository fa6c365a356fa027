// The offline check reads the SDK's secret markers to tell a credential that is a Pulumi secret from
// one that is not (check/offline-findings.ts). @pulumi/pulumi 3.248, the last release whose engines
// field admits Node 20, serializes an output that is secret AND unknown at preview as a bare unknown:
// the marker is lost before the request leaves the program (runtime/rpc.js serializeProperty,
// `if (!isKnown) return unknownValue`); 3.250 and later keep it ("Preserve the secret marker even when
// the value is unknown"). Policies never see the difference (Analyze unwraps secrets), so only the
// capture needs it: this re-marks, in the serialized inputs, every unknown whose input was a secret
// output, as the newer SDKs do.
import type * as pulumiModule from "@pulumi/pulumi";
import { isJsonObject, type JsonObject, type JsonValue } from "./json";
import { isUnknown, wrapSecret } from "./property-values";

type Path = readonly (string | number)[];
type SerializeResourceProperties = (label: string, props: Record<string, unknown>, opts?: unknown) => Promise<[JsonObject, unknown]>;
interface RpcModule {
  serializeResourceProperties: SerializeResourceProperties;
}

/** Paths of the inputs that are secret outputs unknown now (awaiting promises on the way, as serialization does). */
async function secretUnknownPaths(value: unknown, pulumi: typeof pulumiModule, path: Path, found: Path[]): Promise<void> {
  if (value instanceof Promise) return secretUnknownPaths(await value, pulumi, path, found);
  if (pulumi.Output.isInstance(value)) {
    const internals = value as unknown as { isKnown: Promise<boolean>; isSecret: Promise<boolean> };
    const [isKnown, isSecret] = await Promise.all([internals.isKnown, internals.isSecret]);
    if (!isKnown && isSecret === true) found.push(path);
    return;
  }
  if (pulumi.Resource.isInstance(value) || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    await Promise.all(value.map((element, i) => secretUnknownPaths(element, pulumi, [...path, i], found)));
    return;
  }
  await Promise.all(Object.entries(value).map(([key, v]) => secretUnknownPaths(v, pulumi, [...path, key], found)));
}

/** Wraps the unknown at `path` of `object` in a secret marker; anything else there is left alone. */
function markSecret(object: JsonObject, path: Path): void {
  let parent: JsonValue = object;
  for (const step of path.slice(0, -1)) {
    const next: JsonValue | undefined = Array.isArray(parent) ? parent[step as number] : isJsonObject(parent) ? parent[step] : undefined;
    if (next === undefined) return;
    parent = next;
  }
  const last = path[path.length - 1]!;
  if (Array.isArray(parent) && typeof last === "number" && isUnknown(parent[last])) parent[last] = wrapSecret(parent[last]!);
  else if (isJsonObject(parent) && typeof last === "string" && isUnknown(parent[last])) parent[last] = wrapSecret(parent[last]!);
}

/**
 * Patches the SDK loaded in this process (the resource module calls `rpc.serializeResourceProperties`
 * through the module object, so the patch reaches every registration). Returns the undo.
 */
export function keepSecretMarkersOnUnknowns(pulumi: typeof pulumiModule, rpc: RpcModule): () => void {
  const original = rpc.serializeResourceProperties;
  rpc.serializeResourceProperties = async (label, props, opts) => {
    const result = await original(label, props, opts);
    const paths: Path[] = [];
    await Promise.all(Object.entries(props).filter(([key]) => key !== "id" && key !== "urn")
      .map(([key, v]) => secretUnknownPaths(v, pulumi, [key], paths)));
    for (const path of paths) markSecret(result[0], path);
    return result;
  };
  return () => {
    rpc.serializeResourceProperties = original;
  };
}

// Server models are built once per input text and shared by every rule that asks: @pulumi/policy
// deserializes the resources afresh for each stack policy, so the key is the inputs a model reads
// (as text), not the resource object. Bounded, so a long-lived pack does not grow without limit: the
// least recently used entry goes first, and the bound is well above the containers of one stack (a
// cyclic scan of more keys than the bound would miss every time, policy after policy).

const MAX_ENTRIES = 1024;
const caches = new Map<string, Map<string, unknown>>();

/** The model of `kind` for inputs `key`, built by `build` the first time. */
export function memoized<T>(kind: string, key: string, build: () => T): T {
  let cache = caches.get(kind);
  if (!cache) caches.set(kind, (cache = new Map()));
  if (cache.has(key)) {
    const model = cache.get(key) as T;
    cache.delete(key);
    cache.set(key, model);
    return model;
  }
  const model = build();
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
  cache.set(key, model);
  return model;
}

const byInputs = new Map<string, WeakMap<object, { readonly urn: string; readonly model: unknown }>>();

/**
 * The model of `kind` for one resource, found first by the identity of its deserialized properties:
 * the pack's server hands every policy the same deserialized value (lib/shared-properties.ts), which
 * no rule changes, so no policy after the first reads the inputs, builds their key text and hashes it
 * again. `owner` is that value (or a snapshot made once from it), undefined when there is none (a
 * plain object in a unit test). Otherwise as `memoized`: `inputsOf` reads the inputs (and may throw,
 * every time: nothing is kept then), `keyOf` gives their key text, `build` the model.
 */
export function memoizedForInputs<T, I>(
  kind: string, urn: string, owner: object | undefined, inputsOf: () => I, keyOf: (inputs: I) => string, build: (inputs: I) => T,
): T {
  let seen = byInputs.get(kind);
  if (!seen) byInputs.set(kind, (seen = new WeakMap()));
  const entry = owner === undefined ? undefined : seen.get(owner);
  if (entry?.urn === urn) return entry.model as T;
  const inputs = inputsOf();
  const model = memoized(kind, keyOf(inputs), () => build(inputs));
  if (owner !== undefined) seen.set(owner, { urn, model });
  return model;
}

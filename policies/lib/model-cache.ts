// Server models are built once per input text and shared by every rule that asks: @pulumi/policy
// deserializes the resources afresh for each stack policy, so the key is the inputs a model reads
// (as text), not the resource object. Bounded, so a long-lived pack does not grow without limit.

const MAX_ENTRIES = 256;
const caches = new Map<string, Map<string, unknown>>();

/** The model of `kind` for inputs `key`, built by `build` the first time. */
export function memoized<T>(kind: string, key: string, build: () => T): T {
  let cache = caches.get(kind);
  if (!cache) caches.set(kind, (cache = new Map()));
  if (cache.has(key)) return cache.get(key) as T;
  const model = build();
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
  cache.set(key, model);
  return model;
}

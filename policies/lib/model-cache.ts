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

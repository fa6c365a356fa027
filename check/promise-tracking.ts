// The SDK wraps every promise it makes in debuggablePromise (runtime/debuggable.js): it tracks the
// promise as a leak candidate until it settles, and defines three properties on it (an id, a context
// string and a stack trace) that only the leak report of PULUMI_DEBUG_PROMISE_LEAKS reads. Defining
// them moves every promise to a slow dictionary shape, some 4% of a large run's CPU. While the check
// runs a program the promises are tracked as before, through the very same then/catch chain (so each
// registration takes the same microtask turns and resources register in the same order), without
// the three properties; with PULUMI_DEBUG_PROMISE_LEAKS set the SDK's own function stays.

type DebuggablePromise = <T>(p: Promise<T>, ctx: unknown) => Promise<T>;

interface DebuggableModule {
  debuggablePromise: DebuggablePromise;
  readonly debugPromiseLeaks: boolean;
}

interface StateModule {
  getStore(): { readonly leakCandidates: Set<Promise<unknown>> };
}

/**
 * Patches the SDK loaded in this process (its modules call `debuggable.debuggablePromise` through
 * the module object, so the patch reaches every caller). Returns the undo.
 */
export function trackPromisesWithoutDecorations(debuggable: DebuggableModule, state: StateModule): () => void {
  const original = debuggable.debuggablePromise;
  if (debuggable.debugPromiseLeaks) return () => undefined;
  let first = true;
  debuggable.debuggablePromise = <T>(p: Promise<T>, ctx: unknown): Promise<T> => {
    // The SDK's own call schedules its leak report at exit, once.
    if (first) {
      first = false;
      return original(p, ctx);
    }
    const { leakCandidates } = state.getStore();
    leakCandidates.add(p);
    return p
      .then((value) => {
        leakCandidates.delete(p);
        return value;
      })
      .catch((err: unknown) => {
        leakCandidates.delete(p);
        (err as { promise?: unknown }).promise = p;
        throw err;
      });
  };
  return () => {
    debuggable.debuggablePromise = original;
  };
}

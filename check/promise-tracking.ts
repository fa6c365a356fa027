// The SDK wraps every promise it makes in debuggablePromise (runtime/debuggable.js): it tracks the
// promise as a leak candidate until it settles, and defines three properties on it (an id, a context
// string and a stack trace) that only the leak report of PULUMI_DEBUG_PROMISE_LEAKS reads. Defining
// them moves every promise to a slow dictionary shape, some 4% of a large run's CPU. While the check
// runs a program the promises are tracked as before, through the very same then/catch chain (so each
// registration takes the same microtask turns and resources register in the same order), without
// the three properties; with PULUMI_DEBUG_PROMISE_LEAKS set the SDK's own function stays.
//
// And they are counted rather than kept in the SDK's Set: at exit the SDK reads only how many are
// still pending (its message names the count; only the debug report lists them, and there the SDK's
// own function stays). A program keeps some 134,000 promises pending at once at ten times the
// production stack: the Set's table, regrown as they are made and shrunk as they settle, left ~10 MB
// of large tables for V8 to collect at the check's peak, and each promise needed a second closure.
// The check's process 383–399 → 367–380 MB at the 10x program's end.

type DebuggablePromise = <T>(p: Promise<T>, ctx: unknown) => Promise<T>;

interface DebuggableModule {
  debuggablePromise: DebuggablePromise;
  readonly debugPromiseLeaks: boolean;
}

interface StateModule {
  getStore(): { leakCandidates: Set<Promise<unknown>> };
}

/** The SDK's leak candidates with the promises the check tracks counted in: what its exit check reads is `size`. */
export class CountedLeakCandidates extends Set<Promise<unknown>> {
  /** Promises tracked by count, not yet settled. */
  pending = 0;

  override get size(): number {
    return super.size + this.pending;
  }
}

/**
 * Patches the SDK loaded in this process (its modules call `debuggable.debuggablePromise` through
 * the module object, so the patch reaches every caller). Returns the undo; the store keeps counting
 * the promises still pending, which the SDK's exit check reads.
 */
export function trackPromisesWithoutDecorations(debuggable: DebuggableModule, state: StateModule): () => void {
  const original = debuggable.debuggablePromise;
  if (debuggable.debugPromiseLeaks) return () => undefined;
  const store = state.getStore();
  const candidates = store.leakCandidates instanceof CountedLeakCandidates ? store.leakCandidates : new CountedLeakCandidates(store.leakCandidates);
  store.leakCandidates = candidates;
  // Shared by every promise: a settled one is no longer counted.
  const fulfilled = <T>(value: T): T => {
    candidates.pending--;
    return value;
  };
  let first = true;
  debuggable.debuggablePromise = <T>(p: Promise<T>, ctx: unknown): Promise<T> => {
    // The SDK's own call schedules its leak report at exit, once.
    if (first) {
      first = false;
      return original(p, ctx);
    }
    candidates.pending++;
    return p.then(fulfilled).catch((err: unknown) => {
      candidates.pending--;
      (err as { promise?: unknown }).promise = p;
      throw err;
    });
  };
  return () => {
    debuggable.debuggablePromise = original;
  };
}

// On a large stack the program leaves V8's old space far larger than what it still holds (at ten
// times the production stack ~300 MB for ~125 MB live), and V8 collects it only when it next needs
// room, which in a check never comes: the check's process holds it all while the pack judges the
// stack, and the pack grows meanwhile, so the two peak together. Once the program has run and what
// the report needs is captured, the check collects its garbage itself, on a thread that is only
// waiting for the pack. The 10x check's peak, both processes summed, 652 → 572–586 MB (single runs
// on one machine): the peak is now the program's end itself, the pack mid-way.
// `npm run check` sets V8's --expose-gc for this (check/start.cjs); elsewhere (a test's worker) this
// does nothing. A small stack's heap is left alone: its collection would cost more than it frees.
import * as vm from "node:vm";

/** Below this much heap a collection is not worth its time. */
const LARGE_HEAP_BYTES = 256 * 2 ** 20;

/** V8's gc(), which --expose-gc gives a context made after the flag was set; undefined without it. */
function collector(): (() => void) | undefined {
  const gc: unknown = vm.runInNewContext("typeof gc === 'function' ? gc : undefined");
  return typeof gc === "function" ? (gc as () => void) : undefined;
}

/** Collects this process's garbage when its heap is large; whether it did. */
export function releaseProgramGarbage(): boolean {
  if (process.memoryUsage().heapTotal < LARGE_HEAP_BYTES) return false;
  const gc = collector();
  if (!gc) return false;
  // The first collection frees the garbage; the second, sizing the heap on what is left, gives most of
  // the space back (measured at 10x: heap 330 → 256 MB after one, → 174 MB after two; RSS 460 → 307 MB).
  gc();
  gc();
  return true;
}

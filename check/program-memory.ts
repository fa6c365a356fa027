// On a large stack the program leaves V8's old space far larger than what it still holds (at ten
// times the production stack ~300 MB for ~125 MB live), and V8 collects it only when it next needs
// room, which in a check never comes: the check's process holds it all while the pack judges the
// stack, and the pack grows meanwhile, so the two peak together. Once the program has run and what
// the report needs is captured, the check collects its garbage itself, on a thread that is only
// waiting for the pack. The 10x check's peak, both processes summed, 652 → 572–586 MB (single runs
// on one machine): the peak is now the program's end itself, the pack mid-way.
//
// While the program runs, the heap is largest when the program has built its resources, before the
// first registers (at 10x ~220 MB live), and what it holds shrinks as registrations complete; V8 sized
// its heap at its last full collection and takes fresh space for what the registrations promote
// rather than collect what they freed, until its limit. So once a large heap has grown 16 MB past
// where it stood, the check collects once (a collection V8 would have made itself near the program's
// end: no time measured lost) and the registrations reuse the space. The 10x peak 565 → 526 MB
// (medians of 4, interleaved, with the pack thread's young generation held small: check/pack-thread.ts),
// the wall clock unchanged.
//
// `npm run check` sets V8's --expose-gc for this (policies/v8-flags.js); elsewhere (a test's worker) this
// does nothing. A small stack's heap is left alone: its collection would cost more than it frees.
import * as v8 from "node:v8";
import { collectOnceGrown, collector, type GrowthWatch } from "../policies/heap-watch";

/** Below this much heap a collection is not worth its time. */
const LARGE_HEAP_BYTES = 256 * 2 ** 20;

/** This process's heap, as both collections read it: V8's total_heap_size. */
const processHeap: GrowthWatch = {
  bytes: () => v8.getHeapStatistics().total_heap_size,
  collect: () => collector()?.(),
};

/** Collects this process's garbage when its heap is large; whether it did. */
export function releaseProgramGarbage(): boolean {
  if (processHeap.bytes() < LARGE_HEAP_BYTES) return false;
  const gc = collector();
  if (!gc) return false;
  // The first collection frees the garbage; the second, sizing the heap on what is left, gives most of
  // the space back (measured at 10x: heap 330 → 256 MB after one, → 174 MB after two; RSS 460 → 307 MB).
  gc();
  gc();
  return true;
}

/** A resource as the SDK links it into the stack's tree (resource.js): its parent, and a parent its children. */
interface LinkedResource {
  __parentResource?: LinkedResource;
  __childResources?: Set<LinkedResource>;
}

/** @pulumi/pulumi/runtime/state, where the SDK keeps the stack's root resource (and on globalThis). */
export interface SdkStackState {
  getStore(): { readonly stackResource?: unknown };
  setStackResource(resource: undefined): void;
}

/**
 * Lets go of a finished program's resources, which the SDK keeps for the life of the process: its
 * state holds the root Stack resource, the root its children, each of them its own and its parent,
 * so any one resource the process still reaches (an export of the program's module in require's
 * cache, a dynamic provider's function the closure serializer's inspector session keeps) holds the
 * whole tree: at 10x ~35,000 Outputs with their promises, which the check held while the pack judged
 * the stack. Once the program has run and its registrations are captured nothing reads the links, so
 * the tree is taken apart; the collection after the program frees it (10x: live 73 → 36 MB, and the
 * pages it held: RSS during AnalyzeStack 273–281 → 184–201 MB).
 */
export function forgetProgramResources(state: SdkStackState): void {
  const root = state.getStore().stackResource as LinkedResource | undefined;
  state.setStackResource(undefined);
  const unlinked: LinkedResource[] = root ? [root] : [];
  for (let resource = unlinked.pop(); resource; resource = unlinked.pop()) {
    const children = resource.__childResources;
    resource.__childResources = undefined;
    resource.__parentResource = undefined;
    if (children) for (const child of children) unlinked.push(child);
  }
}

/** How far a large heap may grow during the program before the check collects it. */
const GROWTH_BEFORE_COLLECTING = 16 * 2 ** 20;
/** How many registrations apart the heap is looked at (a look costs a few microseconds). */
const REGISTRATIONS_BETWEEN_LOOKS = 32;

/**
 * What the check calls on every registration while the program runs: collects once a large heap has
 * grown GROWTH_BEFORE_COLLECTING past where it stood (first seen large, or last collected:
 * collectOnceGrown, the pack's look too). Without gc() in the process a collection does nothing.
 */
export function collectAsRegistrationsComplete(watch: GrowthWatch = processHeap): () => void {
  let registrations = 0;
  const look = collectOnceGrown(watch, GROWTH_BEFORE_COLLECTING);
  return () => {
    if (++registrations % REGISTRATIONS_BETWEEN_LOOKS !== 0) return;
    const size = watch.bytes();
    if (size >= LARGE_HEAP_BYTES) look(size);
  };
}

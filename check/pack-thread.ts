// The check's pack thread (check/pack-worker.ts), which starts the pack and speaks to it. Kept apart
// from the channel (check/pack-channel.ts) so that `npm run check` starts it before loading the rest
// of its engine (protobuf, grpc-js, the report): the pack's start is on the check's critical path.
import * as path from "node:path";
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import type { PackThreadData, PackToStart, ToPackThread } from "./pack-worker";
import type { PolicyPackEnv } from "./policy-pack-process";

export interface PackThread {
  readonly worker: Worker;
  /** This thread's end of the channel to the pack thread. */
  readonly port: MessagePort;
  /** The thread's own failure (it could not load or start), whenever it comes. */
  readonly failure: Promise<Error>;
}

const packThreadEntry = path.join(__dirname, "pack-worker.cjs");

// The thread passes bytes between the program and the pack and keeps ~6 MB: with V8's default young
// generation it grew to 25 MB of heap at 10x, most of it a nursery sized for the allocation rate. Its
// young generation is held at 6 MB (semi-spaces of 2 MB): the 10x check ~11 MB smaller at its peak.
const PACK_THREAD_YOUNG_GENERATION_MB = 6;

function newPackThread(pack: PackToStart | undefined): PackThread {
  const { port1, port2 } = new MessageChannel();
  const data: PackThreadData = pack ? { port: port1, ...pack } : { port: port1 };
  const worker = new Worker(packThreadEntry, {
    workerData: data,
    transferList: [port1],
    resourceLimits: { maxYoungGenerationSizeMb: PACK_THREAD_YOUNG_GENERATION_MB },
  });
  const failure = new Promise<Error>((resolve) => worker.once("error", resolve));
  return { worker, port: port2, failure };
}

// A thread takes 40–100 ms to boot (a new Node environment) before it can spawn the pack, and the
// main thread reads the stack's config before it knows the pack's environment: `npm run check` starts
// the thread first thing (check/start.cjs), so the two overlap and the pack is spawned ~0.1 s sooner.
let prestarted: PackThread | undefined;

/**
 * Starts a pack thread that waits to be told which pack to start (startPackThread). It does not keep
 * the process alive: a run that ends before any check (bad input, --help) just exits.
 */
export function prestartPackThread(): void {
  if (prestarted) return;
  prestarted = newPackThread(undefined);
  prestarted.worker.unref();
}

/** The thread that starts the pack in `packDir` for `env`: the prestarted one, else a new one. */
export function startPackThread(packDir: string, env: PolicyPackEnv): PackThread {
  const thread = prestarted;
  prestarted = undefined;
  if (!thread) return newPackThread({ packDir, env });
  thread.worker.ref();
  const start: ToPackThread = { kind: "start", packDir, env };
  thread.port.postMessage(start);
  return thread;
}

// The check's pack thread (check/pack-worker.ts), which starts the pack and speaks to it. Kept apart
// from the channel (check/pack-channel.ts) so that `npm run check` starts it before loading the rest
// of its engine (protobuf, grpc-js, the report): the pack's start is on the check's critical path.
import * as path from "node:path";
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import type { PackThreadData } from "./pack-worker";
import type { PolicyPackEnv } from "./policy-pack-process";

export interface PackThread {
  readonly worker: Worker;
  /** This thread's end of the channel to the pack thread. */
  readonly port: MessagePort;
  /** The thread's own failure (it could not load or start), whenever it comes. */
  readonly failure: Promise<Error>;
}

const packThreadEntry = path.join(__dirname, "pack-worker.cjs");

/** Starts the thread, which starts the pack in `packDir` for `env` at once. */
export function startPackThread(packDir: string, env: PolicyPackEnv): PackThread {
  const { port1, port2 } = new MessageChannel();
  const data: PackThreadData = { port: port1, packDir, env };
  const worker = new Worker(packThreadEntry, { workerData: data, transferList: [port1] });
  const failure = new Promise<Error>((resolve) => worker.once("error", resolve));
  return { worker, port: port2, failure };
}

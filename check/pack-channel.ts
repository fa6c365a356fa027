// The check's analyzer calls to its pack through the pack thread (check/pack-worker.ts): the requests
// are serialized here, when they are made, and the answers read here. Under mocks the program runs in
// microtasks, so this thread's event loop turns only once the program ends; `poll()`, called as each
// resource registers, takes the pack thread's messages without it, so that the session's set-up goes on
// and each resource's Analyze reaches the pack while the program runs. Answers are matched to calls by
// id: a caller that keeps its calls in the order it made them gets the same order whatever order the
// pack answers in.
import { receiveMessageOnPort, type MessagePort, type Worker } from "node:worker_threads";
import type * as grpcModule from "@grpc/grpc-js";
import type * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import type * as pluginPb from "@pulumi/pulumi/proto/plugin_pb";
import type * as emptyPb from "google-protobuf/google/protobuf/empty_pb";
import {
  AnalyzerCallError,
  analyzeRequest,
  analyzeStackRequestBytes,
  analyzerInfoOf,
  configureRequest,
  configureStackRequest,
  diagnosticsOf,
  type Analyzer,
  type AnalyzerInfo,
  type AnalyzerResource,
  type Diagnostic,
  type PolicyConfig,
  type StackIdentity,
} from "./analyzer-client";
import { analyzeRequestBytes } from "./analyze-request-bytes";
import { UserInputError } from "./errors";
import type { PackThread } from "./pack-thread";
import type { FromPackThread, ToPackThread } from "./pack-worker";
import { fromSdk } from "./sdk";

const grpc = fromSdk<typeof grpcModule>("@grpc/grpc-js");
const pb = fromSdk<typeof analyzerPb>("@pulumi/pulumi/proto/analyzer_pb");
const { PluginInfo } = fromSdk<typeof pluginPb>("@pulumi/pulumi/proto/plugin_pb");
const { Empty } = fromSdk<typeof emptyPb>("google-protobuf/google/protobuf/empty_pb");

/**
 * An AnalyzeResponse without its not_applicable entries (field 3), which the check does not read: the
 * pack's server lists every single-type policy it skipped for each resource (some fifty entries per
 * Analyze answer), and decoding them with jspb cost the main thread more than the diagnostics. The
 * bytes as they are when anything in them is not a length-delimited field (jspb reads them then).
 */
export function withoutNotApplicable(response: Uint8Array): Uint8Array {
  const kept: Array<[number, number]> = [];
  let at = 0;
  let dropped = false;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 35 && at < response.length; shift += 7) {
      const byte = response[at++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    return undefined;
  };
  while (at < response.length) {
    const start = at;
    const tag = varint();
    if (tag === undefined || tag % 8 !== 2) return response;
    const length = varint();
    if (length === undefined || at + length > response.length) return response;
    at += length;
    if (tag >>> 3 === 3) dropped = true;
    else kept.push([start, at]);
  }
  if (!dropped) return response;
  return Buffer.concat(kept.map(([start, end]) => response.subarray(start, end)));
}

interface Pending {
  readonly method: string;
  readonly urn?: string;
  resolve(response: Uint8Array): void;
  reject(err: Error): void;
}

/** The pack as the check started it, through its thread. */
export class PackChannel implements Analyzer {
  /** Resolves with the pack's start time (spawn to port line) once it printed its port. */
  readonly started: Promise<{ readonly startMs: number; readonly pid: number }>;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private readonly ready: Promise<void>;
  private onStarted!: (started: { startMs: number; pid: number }) => void;
  private onReady!: () => void;
  private onFailed!: (err: Error) => void;
  private onStopped: () => void = () => undefined;
  private failure?: Error;

  /** Over a pack thread started by startPackThread. */
  constructor(thread: PackThread) {
    this.port = thread.port;
    this.worker = thread.worker;
    void thread.failure.then((err) => this.fail(err));
    let failStart: (err: Error) => void = () => undefined;
    let failReady: (err: Error) => void = () => undefined;
    this.started = new Promise((resolve, reject) => {
      this.onStarted = resolve;
      failStart = reject;
    });
    // Its own promise: "started" and "ready" may be taken in one poll.
    this.ready = new Promise((resolve, reject) => {
      this.onReady = resolve;
      failReady = reject;
    });
    this.onFailed = (err) => {
      failStart(err);
      failReady(err);
    };
    // A failed start is read through `started` or the first call, never unhandled.
    this.started.catch(() => undefined);
    this.ready.catch(() => undefined);
    this.port.on("message", (message: FromPackThread) => this.receive(message));
  }

  /** Takes the messages the pack thread has sent so far, without waiting for this thread's event loop. */
  poll(): void {
    for (let next = receiveMessageOnPort(this.port); next; next = receiveMessageOnPort(this.port)) this.receive(next.message as FromPackThread);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.onFailed(err);
    for (const [id, call] of this.pending) {
      this.pending.delete(id);
      call.reject(err);
    }
  }

  private receive(message: FromPackThread): void {
    switch (message.kind) {
      case "started":
        return this.onStarted({ startMs: message.startMs, pid: message.pid });
      case "ready":
        return this.onReady();
      case "failed":
        return this.fail(message.userInput ? new UserInputError(message.message) : new Error(message.message));
      case "answer":
      case "error": {
        const call = this.pending.get(message.id);
        if (!call) return;
        this.pending.delete(message.id);
        if (message.kind === "answer") call.resolve(message.response);
        // As grpc-js words a failed call: its details, else its status.
        else call.reject(new AnalyzerCallError(call.method, call.urn, message.details || `${message.code} ${grpc.status[message.code]}: ${message.details}`));
        return;
      }
      case "stopped":
        return this.onStopped();
    }
  }

  private post(message: ToPackThread): void {
    this.port.postMessage(message);
  }

  /** Each resource's Analyze request as sent: AnalyzeStack's request reuses it (analyzeStackRequestBytes). */
  private readonly analyzeRequests = new WeakMap<AnalyzerResource, Uint8Array>();

  private call(method: string, bytes: Uint8Array, urn?: string): Promise<Uint8Array> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { method, urn, resolve, reject });
      this.post({ kind: "call", id, method, request: bytes });
    });
  }

  async waitForReady(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the policy pack's channel was not ready within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    try {
      await Promise.race([this.ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async getAnalyzerInfo(): Promise<AnalyzerInfo> {
    return analyzerInfoOf(pb.AnalyzerInfo.deserializeBinary(await this.call("GetAnalyzerInfo", new Empty().serializeBinary())));
  }

  async getPluginVersion(): Promise<string> {
    return PluginInfo.deserializeBinary(await this.call("GetPluginInfo", new Empty().serializeBinary())).getVersion();
  }

  async configureStack(identity: StackIdentity): Promise<void> {
    await this.call("ConfigureStack", configureStackRequest(identity).serializeBinary());
  }

  async configure(config: Readonly<Record<string, PolicyConfig>>): Promise<void> {
    await this.call("Configure", configureRequest(config).serializeBinary());
  }

  async analyze(resource: AnalyzerResource): Promise<Diagnostic[]> {
    // Written directly, as jspb would write it, unless a value is no plain JSON (check/analyze-request-bytes.ts).
    const request = analyzeRequestBytes(resource) ?? analyzeRequest(resource).serializeBinary();
    this.analyzeRequests.set(resource, request);
    return diagnosticsOf(pb.AnalyzeResponse.deserializeBinary(withoutNotApplicable(await this.call("Analyze", request, resource.urn))));
  }

  async analyzeStack(resources: readonly AnalyzerResource[]): Promise<Diagnostic[]> {
    const request = analyzeStackRequestBytes(resources, (r) => this.analyzeRequests.get(r));
    return diagnosticsOf(pb.AnalyzeResponse.deserializeBinary(withoutNotApplicable(await this.call("AnalyzeStack", request))));
  }

  /** Nothing to close here: `stop` ends the session with the pack and the pack. */
  close(): void {}

  /** Ends the pack (its process group) and the pack thread. */
  async stop(): Promise<void> {
    const stopped = new Promise<void>((resolve) => (this.onStopped = resolve));
    this.post({ kind: "stop" });
    // A thread that failed to start the pack has nothing to stop; it ends on its own.
    await Promise.race([stopped, new Promise<void>((resolve) => this.worker.once("exit", () => resolve()))]);
    this.port.close();
    await this.worker.terminate();
  }
}

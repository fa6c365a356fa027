// The check's pack thread: starts the pack as the CLI does and carries the main thread's analyzer
// calls to it over HTTP/2 as gRPC unary calls, bytes in and bytes out. The main thread serializes every
// request and reads every answer; this thread loads neither protobuf nor gRPC. It exists because the
// program runs under mocks in microtasks, so the main thread's event loop does not turn until the
// program ends: this thread's does, and the pack judges each resource while the program runs.
import type * as Http2 from "node:http2";
import type { MessagePort } from "node:worker_threads";
import { workerData } from "node:worker_threads";
import { startPolicyPack, type PolicyPackEnv, type PolicyPackProcess } from "./policy-pack-process";

/** Which pack to start, and for which stack. */
export interface PackToStart {
  readonly packDir: string;
  readonly env: PolicyPackEnv;
}

/** The thread's data: its port, and the pack to start at once, or none until a "start" message names it. */
export type PackThreadData = { readonly port: MessagePort } & (PackToStart | { readonly packDir?: undefined });

/** The main thread to this one. */
export type ToPackThread =
  | ({ readonly kind: "start" } & PackToStart)
  | { readonly kind: "call"; readonly id: number; readonly method: string; readonly request: Uint8Array }
  | { readonly kind: "stop" };

/** This thread to the main thread. */
export type FromPackThread =
  | { readonly kind: "started"; readonly startMs: number; readonly pid: number }
  | { readonly kind: "failed"; readonly message: string; readonly userInput: boolean }
  | { readonly kind: "ready" }
  | { readonly kind: "answer"; readonly id: number; readonly response: Uint8Array }
  | { readonly kind: "error"; readonly id: number; readonly code: number; readonly details: string }
  | { readonly kind: "stopped" };

// The pack judges one call at a time: a bounded number in flight keeps it busy without opening a
// stream per resource of a large stack at once.
const maxInFlight = 16;
const grpcUnavailable = 14;
const grpcInternal = 13;

// node:http2 is loaded once the pack is spawned: its loading (10-20 ms in a thread) then overlaps the
// pack's start instead of delaying the spawn, which is on the check's critical path.
let http2Module: typeof Http2 | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const http2 = (): typeof Http2 => (http2Module ??= require("node:http2") as typeof Http2);

/** A gRPC message: uncompressed flag, length, bytes. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame.writeUInt8(0, 0);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/** The one message of a unary answer's body. */
export function grpcMessage(body: Buffer): Uint8Array | string {
  if (body.length < 5) return "the answer holds no message";
  if (body.readUInt8(0) !== 0) return "the answer is compressed";
  const length = body.readUInt32BE(1);
  if (body.length !== 5 + length) return `the answer's message is ${body.length - 5} bytes long, its frame says ${length}`;
  return new Uint8Array(body.buffer, body.byteOffset + 5, length);
}

/** The status details as grpc-js hands them to a client (URI-decoded when that decodes). */
function detailsOf(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? value[0] : (value ?? "");
  try {
    return decodeURI(text);
  } catch {
    return text;
  }
}

type CallResult = { readonly response: Uint8Array } | { readonly code: number; readonly details: string };

function unaryCall(session: Http2.ClientHttp2Session, method: string, request: Uint8Array): Promise<CallResult> {
  return new Promise((resolve) => {
    const stream = session.request({
      ":method": "POST",
      ":path": `/pulumirpc.Analyzer/${method}`,
      "content-type": "application/grpc",
      te: "trailers",
    });
    const chunks: Buffer[] = [];
    let status: string | string[] | undefined;
    let message: string | string[] | undefined;
    const readStatus = (headers: Http2.IncomingHttpHeaders) => {
      if (headers["grpc-status"] !== undefined) {
        status = headers["grpc-status"];
        message = headers["grpc-message"];
      }
    };
    stream.on("response", readStatus);
    stream.on("trailers", readStatus);
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", (err: Error) => resolve({ code: grpcUnavailable, details: err.message }));
    stream.on("close", () => {
      if (status === undefined) return resolve({ code: grpcUnavailable, details: "the pack closed the call without a status" });
      const code = Number(Array.isArray(status) ? status[0] : status);
      if (code !== 0) return resolve({ code, details: detailsOf(message) });
      const body = grpcMessage(Buffer.concat(chunks));
      resolve(typeof body === "string" ? { code: grpcInternal, details: body } : { response: body });
    });
    stream.end(grpcFrame(request));
  });
}

function connect(address: string): Promise<Http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    // An AnalyzeStack request of a large stack is megabytes: the default 10 MB session budget is too small.
    const session = http2().connect(`http://${address}`, { maxSessionMemory: 1024 });
    session.once("connect", () => {
      session.off("error", reject);
      resolve(session);
    });
    session.once("error", reject);
  });
}

async function serve(port: MessagePort, data: PackToStart): Promise<void> {
  const send = (message: FromPackThread) => port.postMessage(message);
  const queued: Extract<ToPackThread, { kind: "call" }>[] = [];
  let session: Http2.ClientHttp2Session | undefined;
  let pack: PolicyPackProcess | undefined;
  let inFlight = 0;
  let stopping = false;

  const pump = () => {
    while (session && inFlight < maxInFlight && queued.length > 0) {
      const call = queued.shift()!;
      inFlight++;
      void unaryCall(session, call.method, call.request).then((result) => {
        inFlight--;
        if ("response" in result) send({ kind: "answer", id: call.id, response: result.response });
        else send({ kind: "error", id: call.id, ...result });
        pump();
      });
    }
  };
  const stop = async () => {
    stopping = true;
    session?.destroy();
    await pack?.stop();
    send({ kind: "stopped" });
    port.close();
  };
  port.on("message", (message: ToPackThread) => {
    if (message.kind === "stop") void stop();
    else if (message.kind === "call") {
      queued.push(message);
      pump();
    }
  });

  try {
    const starting = startPolicyPack(data.packDir, data.env);
    http2();
    pack = await starting;
  } catch (err) {
    send({ kind: "failed", message: (err as Error).message, userInput: (err as Error).name === "UserInputError" });
    return;
  }
  if (stopping) {
    await pack.stop();
    return;
  }
  send({ kind: "started", startMs: pack.startMs, pid: pack.pid });
  try {
    session = await connect(pack.address);
  } catch (err) {
    send({ kind: "failed", message: `cannot connect to the policy pack at ${pack.address}: ${(err as Error).message}`, userInput: false });
    return;
  }
  if (stopping) return void session.destroy();
  send({ kind: "ready" });
  pump();
}

const data = workerData as PackThreadData | null;
if (data?.packDir !== undefined) void serve(data.port, data);
// Started ahead of the check (check/pack-thread.ts, prestartPackThread): the pack is named later.
else if (data) data.port.once("message", (message: ToPackThread) => message.kind === "start" && void serve(data.port, message));

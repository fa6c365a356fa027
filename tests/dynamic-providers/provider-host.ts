// Pulumi's real dynamic-provider host, started and spoken to as the engine does it.
//
// API
//   serializeProvider(modulePath, exportName, root?): Promise<SerializedProvider>
//   serializeProviders([{ modulePath, exportName }, …], root?): the same for several, in one process.
//     The provider object as `pulumi up` ships it: compiled by ts-node with the project's tsconfig,
//     serialized by the SDK's closure serializer (serialize-provider.cjs). Its text is what the engine
//     stores in the resource's `__provider` input.
//   startProviderHost({ cwd? }): Promise<ProviderHost>
//     `node @pulumi/pulumi/cmd/dynamic-provider <engine address>` in the project folder (what the CLI's
//     pulumi-resource-pulumi-nodejs shim runs), reads the port from its first stdout line, then calls
//     GetPluginInfo and Configure as the engine does before any resource call.
//   ProviderHost: check/diff/create/read/update/delete take and return plain JSON properties (the
//     Structs of pulumirpc.ResourceProvider); a failed call rejects with a ProviderRpcError whose
//     `details` is the text the engine would print. stop() ends the host by PID.
//   dynamic-resource.ts drives one resource through these calls in the engine's order.
//
// What the engine sends (pkg/resource/deploy, sdk/go/common/resource/plugin/provider_plugin.go):
//   - `__provider` is an ordinary input property holding the serialized text; the host deserializes
//     it from `news` (Check, Create, Update), from the old outputs (Diff falls back to olds when the
//     news one is unknown, Read, Delete). The host copies it into every result so it reaches state.
//   - The host's Configure answers acceptSecrets=false, so the engine strips every secret wrapper before
//     it marshals properties to it: a provider only ever sees plain values.
//   - During preview, Check and Diff get unknown values as sentinel strings (UNKNOWN for anything a
//     Node program left unknown); Create and Update are not called (the host does not support preview).
//     During an update unknowns are rejected before they reach a provider.
import { execFile, spawn } from "node:child_process";
import * as path from "node:path";
import type * as grpcModule from "@grpc/grpc-js";
import type * as providerGrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import type * as providerPb from "@pulumi/pulumi/proto/provider_pb";
import type * as emptyPb from "google-protobuf/google/protobuf/empty_pb";
import type * as structPb from "google-protobuf/google/protobuf/struct_pb";
import type { JsonObject } from "../../check/json";
import { fromSdk } from "../../check/sdk";
import { ENGINE_UNKNOWN_VALUES } from "../../components/dynamic/unknowns";

const grpc = fromSdk<typeof grpcModule>("@grpc/grpc-js");
const stubs = fromSdk<typeof providerGrpc>("@pulumi/pulumi/proto/provider_grpc_pb");
const pb = fromSdk<typeof providerPb>("@pulumi/pulumi/proto/provider_pb");
const { Empty } = fromSdk<typeof emptyPb>("google-protobuf/google/protobuf/empty_pb");
const { Struct } = fromSdk<typeof structPb>("google-protobuf/google/protobuf/struct_pb");

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** The engine's sentinel for a value a Node program left unknown, as Check and Diff get it in preview. */
export const UNKNOWN = ENGINE_UNKNOWN_VALUES[0];
const RPC_DEADLINE_MS = 60_000;
const START_TIMEOUT_MS = 30_000;

export interface SerializedProvider {
  readonly text: string;
  readonly containsSecrets: boolean;
}

/** A provider object to serialize: `exportName` of `modulePath` (relative to the project root). */
export interface ProviderExport {
  readonly modulePath: string;
  readonly exportName: string;
}

/** Serializes each provider in one fresh process, as `pulumi up` does; results in the same order. */
export function serializeProviders(providers: readonly ProviderExport[], root = REPO_ROOT): Promise<SerializedProvider[]> {
  const script = path.join(__dirname, "serialize-provider.cjs");
  const specs = providers.map((p) => `${p.modulePath}#${p.exportName}`);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, root, ...specs], { cwd: root, maxBuffer: 32 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`serializing ${specs.join(", ")} failed: ${stderr || error.message}`));
        else resolve(JSON.parse(stdout) as SerializedProvider[]);
      });
  });
}

export async function serializeProvider(modulePath: string, exportName: string, root = REPO_ROOT): Promise<SerializedProvider> {
  const [serialized] = await serializeProviders([{ modulePath, exportName }], root);
  return serialized;
}

/** A failed ResourceProvider call, carrying the status details the engine reports to the user. */
export class ProviderRpcError extends Error {
  constructor(readonly method: string, readonly code: number, readonly details: string) {
    super(`${method} failed (gRPC status ${code}): ${details}`);
    this.name = "ProviderRpcError";
  }
}

export interface CheckFailure {
  readonly property: string;
  readonly reason: string;
}

export interface CheckResult {
  readonly inputs: JsonObject;
  readonly failures: readonly CheckFailure[];
}

export type DiffChanges = "unknown" | "none" | "some";

export interface DiffResult {
  readonly changes: DiffChanges;
  readonly replaces: readonly string[];
  readonly deleteBeforeReplace: boolean;
}

export interface ReadResult {
  /** "" when the provider says the resource is gone. */
  readonly id: string;
  readonly properties: JsonObject;
  readonly inputs?: JsonObject;
}

/** Identifies the resource a call is about: URN plus the type and name the engine also sends. */
export interface ResourceRef {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
}

export interface ProviderHost {
  readonly address: string;
  readonly pid: number;
  /** What the host wrote to stderr (it logs the stack of every error it catches). */
  stderr(): string;
  check(ref: ResourceRef, olds: JsonObject, news: JsonObject): Promise<CheckResult>;
  diff(ref: ResourceRef, id: string, oldInputs: JsonObject, olds: JsonObject, news: JsonObject): Promise<DiffResult>;
  create(ref: ResourceRef, properties: JsonObject): Promise<{ id: string; properties: JsonObject }>;
  read(ref: ResourceRef, id: string, properties: JsonObject | undefined, inputs: JsonObject | undefined): Promise<ReadResult>;
  update(ref: ResourceRef, id: string, olds: JsonObject, news: JsonObject, oldInputs: JsonObject): Promise<JsonObject>;
  delete(ref: ResourceRef, id: string, properties: JsonObject, oldInputs: JsonObject): Promise<void>;
  stop(): Promise<void>;
}

const DIFF_CHANGES: Record<number, DiffChanges> = {
  [pb.DiffResponse.DiffChanges.DIFF_UNKNOWN]: "unknown",
  [pb.DiffResponse.DiffChanges.DIFF_NONE]: "none",
  [pb.DiffResponse.DiffChanges.DIFF_SOME]: "some",
};

/** A Struct as the engine marshals it: JSON only, no undefined members. */
const struct = (value: JsonObject) => Struct.fromJavaScript(JSON.parse(JSON.stringify(value)) as Record<string, structPb.JavaScriptValue>);
const plain = (value: structPb.Struct | undefined): JsonObject => (value?.toJavaScript() ?? {}) as JsonObject;

type Unary<Req, Res> = (request: Req, metadata: grpcModule.Metadata, options: grpcModule.CallOptions,
  callback: (error: grpcModule.ServiceError | null, response: Res) => void) => grpcModule.ClientUnaryCall;

/** Starts the host in `cwd` (the project folder, where the serialized code resolves `require`). */
export async function startProviderHost(opts: { cwd?: string } = {}): Promise<ProviderHost> {
  const cwd = opts.cwd ?? REPO_ROOT;
  const script = require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [cwd] });
  // The host only checks that an engine address is given; it never dials it.
  const child = spawn(process.execPath, [script, "127.0.0.1:0"], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const stopProcess = async () => {
    process.off("exit", killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };

  let port: string;
  try {
    port = await firstStdoutLine(child, START_TIMEOUT_MS);
    if (!/^\d+$/.test(port)) throw new Error(`its first stdout line is "${port}", not a port`);
  } catch (error) {
    await stopProcess();
    throw new Error(`the dynamic-provider host did not start: ${(error as Error).message}\n${stderr}`);
  }
  const address = `127.0.0.1:${port}`;
  const client = new stubs.ResourceProviderClient(address, grpc.credentials.createInsecure());

  const call = <Req, Res>(method: string, fn: Unary<Req, Res>, request: Req): Promise<Res> =>
    new Promise((resolve, reject) => {
      fn.call(client, request, new grpc.Metadata(), { deadline: Date.now() + RPC_DEADLINE_MS }, (error, response) => {
        if (error) reject(new ProviderRpcError(method, error.code, error.details));
        else resolve(response);
      });
    });
  const withRef = <T extends { setUrn(v: string): T; setName(v: string): T; setType(v: string): T }>(message: T, ref: ResourceRef): T =>
    message.setUrn(ref.urn).setName(ref.name).setType(ref.type);

  const host: ProviderHost = {
    address,
    pid: child.pid ?? -1,
    stderr: () => stderr,
    async check(ref, olds, news) {
      const response = await call("Check", client.check, withRef(new pb.CheckRequest(), ref).setOlds(struct(olds)).setNews(struct(news)));
      return {
        inputs: plain(response.getInputs()),
        failures: response.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
      };
    },
    async diff(ref, id, oldInputs, olds, news) {
      const request = withRef(new pb.DiffRequest(), ref).setId(id).setOldInputs(struct(oldInputs)).setOlds(struct(olds)).setNews(struct(news));
      const response = await call("Diff", client.diff, request);
      return {
        changes: DIFF_CHANGES[response.getChanges()],
        replaces: response.getReplacesList(),
        deleteBeforeReplace: response.getDeletebeforereplace(),
      };
    },
    async create(ref, properties) {
      const response = await call("Create", client.create, withRef(new pb.CreateRequest(), ref).setProperties(struct(properties)));
      return { id: response.getId(), properties: plain(response.getProperties()) };
    },
    async read(ref, id, properties, inputs) {
      const request = withRef(new pb.ReadRequest(), ref).setId(id);
      if (properties) request.setProperties(struct(properties));
      if (inputs) request.setInputs(struct(inputs));
      const response = await call("Read", client.read, request);
      return { id: response.getId(), properties: plain(response.getProperties()), inputs: response.getInputs() && plain(response.getInputs()) };
    },
    async update(ref, id, olds, news, oldInputs) {
      const request = withRef(new pb.UpdateRequest(), ref).setId(id).setOlds(struct(olds)).setNews(struct(news)).setOldInputs(struct(oldInputs));
      return plain((await call("Update", client.update, request)).getProperties());
    },
    async delete(ref, id, properties, oldInputs) {
      await call("Delete", client.delete, withRef(new pb.DeleteRequest(), ref).setId(id).setProperties(struct(properties)).setOldInputs(struct(oldInputs)));
    },
    async stop() {
      client.close();
      await stopProcess();
    },
  };

  try {
    // The engine's opening calls: plugin info, then Configure of the default pulumi-nodejs provider.
    await call("GetPluginInfo", client.getPluginInfo, new Empty());
    const configure = new pb.ConfigureRequest()
      .setArgs(struct({})).setAcceptsecrets(true).setAcceptresources(true)
      .setSendsOldInputs(true).setSendsOldInputsToDelete(true)
      .setType("pulumi:providers:pulumi-nodejs").setName("default");
    const configured = await call("Configure", client.configure, configure);
    if (configured.getAcceptsecrets()) throw new Error("the host now accepts secrets: update provider-host.ts to keep them wrapped");
  } catch (error) {
    await host.stop();
    throw error;
  }
  return host;
}

function firstStdoutLine(child: ReturnType<typeof spawn>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => reject(new Error(`no port after ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      reject(new Error(`it exited (${signal ?? `code ${code}`}) before printing its port`));
    };
    child.once("exit", onExit);
    child.stdout?.setEncoding("utf8").on("data", function onData(chunk: string) {
      stdout += chunk;
      const newline = stdout.indexOf("\n");
      if (newline < 0) return;
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
      child.stdout?.resume();
      clearTimeout(timer);
      resolve(stdout.slice(0, newline).trim());
    });
  });
}

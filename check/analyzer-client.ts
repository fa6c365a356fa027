// A client of the pack's real gRPC analyzer service (pulumirpc.Analyzer), speaking to it as the
// engine does: the same stubs and the same @grpc/grpc-js and google-protobuf copies as @pulumi/pulumi.
import type * as grpcModule from "@grpc/grpc-js";
import type * as analyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import type * as emptyPb from "google-protobuf/google/protobuf/empty_pb";
import type * as structPb from "google-protobuf/google/protobuf/struct_pb";
import type { JsonObject } from "./json";
import { fromSdk } from "./sdk";

const grpc = fromSdk<typeof grpcModule>("@grpc/grpc-js");
const stubs = fromSdk<typeof analyzerGrpc>("@pulumi/pulumi/proto/analyzer_grpc_pb");
const pb = fromSdk<typeof analyzerPb>("@pulumi/pulumi/proto/analyzer_pb");
const { Empty } = fromSdk<typeof emptyPb>("google-protobuf/google/protobuf/empty_pb");
const { Struct } = fromSdk<typeof structPb>("google-protobuf/google/protobuf/struct_pb");

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";
export type Severity = "low" | "medium" | "high" | "critical";

export interface PolicyFramework {
  readonly name: string;
  readonly version: string;
  readonly reference: string;
  readonly specification: string;
}

export interface PolicyConfigSchema {
  readonly properties: JsonObject;
  readonly required: readonly string[];
}

export interface PolicyMetadata {
  readonly name: string;
  readonly displayName?: string;
  readonly description: string;
  readonly enforcementLevel: EnforcementLevel;
  readonly severity?: Severity;
  readonly policyType: "resource" | "stack" | "unknown";
  readonly framework?: PolicyFramework;
  readonly tags: readonly string[];
  readonly remediationSteps?: string;
  readonly url?: string;
  readonly configSchema?: PolicyConfigSchema;
}

/** One policy's settings as Configure carries them. */
export interface PolicyConfig {
  readonly enforcementLevel?: EnforcementLevel;
  readonly properties?: JsonObject;
}

export interface AnalyzerInfo {
  readonly name: string;
  readonly version: string;
  readonly displayName?: string;
  readonly description?: string;
  readonly policies: readonly PolicyMetadata[];
  /** Config the pack itself sets (`new PolicyPack(..., initialConfig)`). */
  readonly initialConfig: Readonly<Record<string, PolicyConfig>>;
}

export interface Diagnostic {
  readonly policyName: string;
  readonly policyPackName: string;
  readonly policyPackVersion: string;
  readonly description: string;
  readonly message: string;
  readonly enforcementLevel: EnforcementLevel;
  readonly urn?: string;
  readonly severity?: Severity;
}

export interface AnalyzerResourceOptions {
  readonly protect: boolean;
  readonly ignoreChanges: readonly string[];
  readonly deleteBeforeReplace?: boolean;
  readonly additionalSecretOutputs: readonly string[];
  readonly aliases: readonly string[];
  readonly customTimeouts: { readonly create: number; readonly update: number; readonly delete: number };
  readonly parent?: string;
}

export interface AnalyzerProvider {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly properties: JsonObject;
}

/** A resource as Analyze and AnalyzeStack receive it. */
export interface AnalyzerResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly properties: JsonObject;
  readonly options: AnalyzerResourceOptions;
  readonly provider?: AnalyzerProvider;
  readonly parent?: string;
  readonly dependencies: readonly string[];
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
}

export interface StackIdentity {
  readonly project: string;
  readonly stack: string;
  readonly organization: string;
  readonly dryRun: boolean;
  readonly config: Readonly<Record<string, string>>;
  readonly secretKeys: readonly string[];
}

const levelNames: Record<number, EnforcementLevel> = {
  [pb.EnforcementLevel.ADVISORY]: "advisory",
  [pb.EnforcementLevel.MANDATORY]: "mandatory",
  [pb.EnforcementLevel.REMEDIATE]: "remediate",
  [pb.EnforcementLevel.DISABLED]: "disabled",
};
const levelNumbers: Record<EnforcementLevel, analyzerPb.EnforcementLevel> = {
  advisory: pb.EnforcementLevel.ADVISORY,
  mandatory: pb.EnforcementLevel.MANDATORY,
  remediate: pb.EnforcementLevel.REMEDIATE,
  disabled: pb.EnforcementLevel.DISABLED,
};
const severityNames: Record<number, Severity | undefined> = {
  [pb.PolicySeverity.POLICY_SEVERITY_LOW]: "low",
  [pb.PolicySeverity.POLICY_SEVERITY_MEDIUM]: "medium",
  [pb.PolicySeverity.POLICY_SEVERITY_HIGH]: "high",
  [pb.PolicySeverity.POLICY_SEVERITY_CRITICAL]: "critical",
};
const policyTypes: Record<number, PolicyMetadata["policyType"]> = {
  [pb.PolicyType.POLICY_TYPE_RESOURCE]: "resource",
  [pb.PolicyType.POLICY_TYPE_STACK]: "stack",
};

const optional = (value: string) => (value === "" ? undefined : value);

function toPolicyMetadata(info: analyzerPb.PolicyInfo): PolicyMetadata {
  const framework = info.getFramework();
  const schema = info.getConfigschema();
  return {
    name: info.getName(),
    displayName: optional(info.getDisplayname()),
    description: info.getDescription(),
    enforcementLevel: levelNames[info.getEnforcementlevel()],
    severity: severityNames[info.getSeverity()],
    policyType: policyTypes[info.getPolicyType()] ?? "unknown",
    framework: framework && {
      name: framework.getName(),
      version: framework.getVersion(),
      reference: framework.getReference(),
      specification: framework.getSpecification(),
    },
    tags: info.getTagsList(),
    remediationSteps: optional(info.getRemediationSteps()),
    url: optional(info.getUrl()),
    configSchema: schema && {
      properties: (schema.getProperties()?.toJavaScript() ?? {}) as JsonObject,
      required: schema.getRequiredList(),
    },
  };
}

function toDiagnostic(d: analyzerPb.AnalyzeDiagnostic): Diagnostic {
  return {
    policyName: d.getPolicyname(),
    policyPackName: d.getPolicypackname(),
    policyPackVersion: d.getPolicypackversion(),
    description: d.getDescription(),
    message: d.getMessage(),
    enforcementLevel: levelNames[d.getEnforcementlevel()],
    urn: optional(d.getUrn()),
    severity: severityNames[d.getSeverity()],
  };
}

function toOptions(options: AnalyzerResourceOptions): analyzerPb.AnalyzerResourceOptions {
  const timeouts = new pb.AnalyzerResourceOptions.CustomTimeouts()
    .setCreate(options.customTimeouts.create)
    .setUpdate(options.customTimeouts.update)
    .setDelete(options.customTimeouts.delete);
  const message = new pb.AnalyzerResourceOptions()
    .setProtect(options.protect)
    .setIgnorechangesList([...options.ignoreChanges])
    .setAdditionalsecretoutputsList([...options.additionalSecretOutputs])
    .setAliasesList([...options.aliases])
    .setCustomtimeouts(timeouts)
    .setParent(options.parent ?? "");
  if (options.deleteBeforeReplace !== undefined) {
    message.setDeletebeforereplace(options.deleteBeforeReplace).setDeletebeforereplacedefined(true);
  }
  return message;
}

function toProvider(provider: AnalyzerProvider): analyzerPb.AnalyzerProviderResource {
  return new pb.AnalyzerProviderResource()
    .setType(provider.type)
    .setName(provider.name)
    .setUrn(provider.urn)
    .setProperties(Struct.fromJavaScript(provider.properties));
}

// The requests and answers of the analyzer service, shared by the grpc-js client below and the
// check's own channel to its pack (check/pack-channel.ts), which sends the same bytes.

export function analyzerInfoOf(info: analyzerPb.AnalyzerInfo): AnalyzerInfo {
  const initialConfig: Record<string, PolicyConfig> = {};
  info.getInitialconfigMap().forEach((config, name) => {
    initialConfig[name] = {
      enforcementLevel: levelNames[config.getEnforcementlevel()],
      properties: config.getProperties()?.toJavaScript() as JsonObject | undefined,
    };
  });
  return {
    name: info.getName(),
    version: info.getVersion(),
    displayName: optional(info.getDisplayname()),
    description: optional(info.getDescription()),
    policies: info.getPoliciesList().map(toPolicyMetadata),
    initialConfig,
  };
}

export const diagnosticsOf = (response: analyzerPb.AnalyzeResponse): Diagnostic[] => response.getDiagnosticsList().map(toDiagnostic);

export function configureStackRequest(identity: StackIdentity): analyzerPb.AnalyzerStackConfigureRequest {
  const request = new pb.AnalyzerStackConfigureRequest()
    .setProject(identity.project)
    .setStack(identity.stack)
    .setOrganization(identity.organization)
    .setDryRun(identity.dryRun)
    .setConfigSecretKeysList([...identity.secretKeys]);
  for (const [key, value] of Object.entries(identity.config)) request.getConfigMap().set(key, value);
  return request;
}

export function configureRequest(config: Readonly<Record<string, PolicyConfig>>): analyzerPb.ConfigureAnalyzerRequest {
  const request = new pb.ConfigureAnalyzerRequest();
  for (const [name, entry] of Object.entries(config)) {
    // The pack reads properties unconditionally, as the engine always sends them.
    const message = new pb.PolicyConfig()
      .setEnforcementlevel(levelNumbers[entry.enforcementLevel ?? "advisory"])
      .setProperties(Struct.fromJavaScript((entry.properties ?? {}) as never));
    request.getPolicyconfigMap().set(name, message);
  }
  return request;
}

/** The fields an AnalyzeRequest and an AnalyzerResource share (numbers 1–6 in both). */
function withResourceFields<M extends analyzerPb.AnalyzeRequest | analyzerPb.AnalyzerResource>(message: M, r: AnalyzerResource): M {
  message.setType(r.type);
  message.setName(r.name);
  message.setUrn(r.urn);
  message.setProperties(Struct.fromJavaScript(r.properties as never));
  // Without options the pack answers that a newer CLI is required.
  message.setOptions(toOptions(r.options));
  if (r.provider) message.setProvider(toProvider(r.provider));
  return message;
}

export const analyzeRequest = (resource: AnalyzerResource): analyzerPb.AnalyzeRequest => withResourceFields(new pb.AnalyzeRequest(), resource);

/** An AnalyzerResource's fields past those it shares with an AnalyzeRequest: parent and dependencies. */
function withStackFields(message: analyzerPb.AnalyzerResource, r: AnalyzerResource): analyzerPb.AnalyzerResource {
  message.setParent(r.parent ?? "").setDependenciesList([...r.dependencies]);
  for (const [key, urns] of Object.entries(r.propertyDependencies)) {
    message.getPropertydependenciesMap().set(key, new pb.AnalyzerPropertyDependencies().setUrnsList([...urns]));
  }
  return message;
}

const analyzerResourceMessage = (r: AnalyzerResource): analyzerPb.AnalyzerResource => withStackFields(withResourceFields(new pb.AnalyzerResource(), r), r);

export function analyzeStackRequest(resources: readonly AnalyzerResource[]): analyzerPb.AnalyzeStackRequest {
  return new pb.AnalyzeStackRequest().setResourcesList(resources.map(analyzerResourceMessage));
}

/** A protobuf varint. */
function varint(value: number): number[] {
  const bytes: number[] = [];
  for (; value > 0x7f; value = Math.floor(value / 128)) bytes.push((value % 128) | 0x80);
  bytes.push(value);
  return bytes;
}

/**
 * AnalyzeStack's request, serialized, reusing each resource's Analyze request where it was serialized
 * already (`analyzed`): an AnalyzerResource has an AnalyzeRequest's fields 1–6 (type, properties, urn,
 * name, options, provider), number for number and type for type, and a message's encoding followed by
 * the encoding of more of its fields is the encoding of the message with them all. The request's
 * resources are its field 1, each one length-delimited. The same bytes as analyzeStackRequest's, without
 * converting every resource's properties a second time (tests/check/analyzer-requests.test.ts).
 */
export function analyzeStackRequestBytes(resources: readonly AnalyzerResource[], analyzed: (r: AnalyzerResource) => Uint8Array | undefined): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const r of resources) {
    const head = analyzed(r);
    const body = head ? [head, withStackFields(new pb.AnalyzerResource(), r).serializeBinary()] : [analyzerResourceMessage(r).serializeBinary()];
    const bodyLength = body.reduce((sum, part) => sum + part.length, 0);
    parts.push(Uint8Array.from([0x0a, ...varint(bodyLength)]), ...body);
  }
  return Buffer.concat(parts);
}

/** What a check session asks of the pack: the grpc-js client below, or the check's channel (check/pack-channel.ts). */
export interface Analyzer {
  waitForReady(timeoutMs: number): Promise<void>;
  getAnalyzerInfo(): Promise<AnalyzerInfo>;
  getPluginVersion(): Promise<string>;
  configureStack(identity: StackIdentity): Promise<void>;
  configure(config: Readonly<Record<string, PolicyConfig>>): Promise<void>;
  analyze(resource: AnalyzerResource): Promise<Diagnostic[]>;
  analyzeStack(resources: readonly AnalyzerResource[]): Promise<Diagnostic[]>;
  close(): void;
}

/** A gRPC failure of the analyzer: an exception inside a policy arrives as one of these. */
export class AnalyzerCallError extends Error {
  constructor(
    readonly method: string,
    readonly urn: string | undefined,
    readonly details: string,
  ) {
    super(`${method}${urn ? ` of ${urn}` : ""} failed: ${details}`);
    this.name = "AnalyzerCallError";
  }
}

type Unary<Req, Res> = (request: Req, callback: (err: grpcModule.ServiceError | null, response: Res) => void) => unknown;

export class AnalyzerClient implements Analyzer {
  private readonly client: analyzerGrpc.AnalyzerClient;

  constructor(address: string) {
    this.client = new stubs.AnalyzerClient(address, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": 400 * 1024 * 1024,
    });
  }

  private call<Req, Res>(method: string, fn: Unary<Req, Res>, request: Req, urn?: string): Promise<Res> {
    return new Promise((resolve, reject) => {
      fn.call(this.client, request, (err, response) => {
        if (err) reject(new AnalyzerCallError(method, urn, err.details || err.message));
        else resolve(response);
      });
    });
  }

  /** Waits until the channel to the pack is up (the pack printed its port, so this is quick). */
  waitForReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve())),
    );
  }

  async getAnalyzerInfo(): Promise<AnalyzerInfo> {
    return analyzerInfoOf(await this.call<emptyPb.Empty, analyzerPb.AnalyzerInfo>("GetAnalyzerInfo", this.client.getAnalyzerInfo, new Empty()));
  }

  async getPluginVersion(): Promise<string> {
    const info = await this.call<emptyPb.Empty, { getVersion(): string }>("GetPluginInfo", this.client.getPluginInfo, new Empty());
    return info.getVersion();
  }

  async configureStack(identity: StackIdentity): Promise<void> {
    await this.call("ConfigureStack", this.client.configureStack, configureStackRequest(identity));
  }

  async configure(config: Readonly<Record<string, PolicyConfig>>): Promise<void> {
    await this.call("Configure", this.client.configure, configureRequest(config));
  }

  async analyze(resource: AnalyzerResource): Promise<Diagnostic[]> {
    const request = analyzeRequest(resource);
    return diagnosticsOf(await this.call<analyzerPb.AnalyzeRequest, analyzerPb.AnalyzeResponse>("Analyze", this.client.analyze, request, resource.urn));
  }

  async analyzeStack(resources: readonly AnalyzerResource[]): Promise<Diagnostic[]> {
    const request = analyzeStackRequest(resources);
    return diagnosticsOf(await this.call<analyzerPb.AnalyzeStackRequest, analyzerPb.AnalyzeResponse>("AnalyzeStack", this.client.analyzeStack, request));
  }

  close(): void {
    this.client.close();
  }
}

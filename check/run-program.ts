// Runs the Pulumi program in this process under Pulumi's own mocks, in preview mode, with a
// stack's config, and captures every raw RegisterResourceRequest as the engine would receive it
// (unknown sentinels and secret wrappers intact).
import * as path from "node:path";
import type * as pulumiModule from "@pulumi/pulumi";
import type {
  RegisterResourceOutputsRequest,
  RegisterResourceRequest,
  RegisterResourceResponse,
} from "@pulumi/pulumi/proto/resource_pb";
import type * as structPb from "google-protobuf/google/protobuf/struct_pb";
import { UserInputError } from "./errors";
import type { JsonObject } from "./json";
import { unknownValue, wrapSecret } from "./property-values";
import { fromSdk } from "./sdk";
import { keepSecretMarkersOnUnknowns } from "./unknown-secrets";
import { trackPromisesWithoutDecorations } from "./promise-tracking";
import { cacheSdkClosureParses } from "./closure-parse-cache";
import { deferDebuggerUntilNeeded } from "./closure-inspector.cjs";
import { convertMockStructsDirectly } from "./mock-structs";
import { forgetProgramResources, type SdkStackState } from "./program-memory";
import type { AnalyzerResourceOptions } from "./analyzer-client";
import type { StackConfig } from "./stack-config";

/** The resource options the engine hands an analyzer (custom timeouts in seconds). */
export type CapturedOptions = Omit<AnalyzerResourceOptions, "parent">;

export interface CapturedResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly custom: boolean;
  readonly parent?: string;
  /** Provider reference "<provider urn>::<id>", when the program or a parent chose one. */
  readonly providerRef?: string;
  /** Package version the SDK asked for; the engine uses it to pick the default provider. */
  readonly version: string;
  readonly dependencies: readonly string[];
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
  readonly options: CapturedOptions;
  /** The raw inputs as marshalled by the SDK. */
  readonly object: JsonObject;
  /** The state the mocks returned (an update run only: a preview's state is its inputs). */
  readonly state?: JsonObject;
}

export interface ProgramRun {
  readonly project: string;
  readonly stack: string;
  readonly resources: readonly CapturedResource[];
  readonly stackOutputs?: JsonObject;
}

/** Answers one invoke (data source) token with plain outputs. */
export type InvokeMock = (inputs: Record<string, unknown>) => Record<string, unknown> | Promise<Record<string, unknown>>;

export interface RunProgramOptions {
  readonly stackConfig: StackConfig;
  /** Invoke token -> answer; any other invoke fails the run with a message naming the token. */
  readonly invokes?: Readonly<Record<string, InvokeMock>>;
  /**
   * Outputs a resource gets beside its inputs (e.g. a generated password), known as after an apply;
   * by default every computed output stays unknown, as in a preview of a create.
   */
  readonly outputs?: (resource: { readonly type: string; readonly name: string; readonly inputs: Record<string, unknown> }) => Record<string, unknown> | undefined;
  readonly organization?: string;
  /**
   * A second registration of the same URN fails the run, as the engine fails it ("fail"), or
   * gets a "-copy<n>" name suffix ("suffix": only for benchmarks that load a program n times).
   */
  readonly duplicateUrns?: "fail" | "suffix";
  /**
   * Run as `pulumi up` would rather than as a preview: every `apply` runs, and `newResource` computes
   * each resource's outputs (id and state). Default: a preview, where the state is the inputs and
   * every computed output stays unknown.
   */
  readonly update?: { readonly newResource: (args: MockResourceArgs, registration: CapturedResource) => MockResourceResult | Promise<MockResourceResult> };
  /** Called with each resource as it registers, in registration order (the check analyzes it at once). */
  readonly onResource?: (resource: CapturedResource) => void;
}

export type MockResourceArgs = pulumiModule.runtime.MockResourceArgs;
export type MockResourceResult = pulumiModule.runtime.MockResourceResult;

type Callback<Response = unknown> = (err: unknown, response?: Response) => void;

/** The parts of the SDK's MockMonitor this module wraps (they are not in its public typings). */
interface MockMonitorInternals {
  newUrn(parent: string, type: string, name: string): string;
  registerResource(req: RegisterResourceRequest, callback: Callback<RegisterResourceResponse>): Promise<void>;
  registerResourceOutputs(req: RegisterResourceOutputsRequest, callback: Callback): void;
}

interface SettingsInternals {
  getMonitor(): unknown;
  waitForRPCs(): Promise<void>;
}

const rootStackType = "pulumi:pulumi:Stack";

/**
 * The engine's URN rule: a child's type is qualified by its parent's full qualified type, except
 * under the root stack. The mock monitor prefixes root children with "pulumi:pulumi:Stack$" and
 * keeps only the last segment for deeper ones.
 */
export function engineUrn(stack: string, project: string, parentUrn: string, type: string, name: string): string {
  const parentType = parentUrn ? parentUrn.split("::")[2] : "";
  const qualifiedType = parentType && parentType !== rootStackType ? `${parentType}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${qualifiedType}::${name}`;
}

/** Go duration ("1h30m", "90s", "500ms") to seconds; "" is 0. */
export function durationSeconds(duration: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, "µs": 1e-6, ns: 1e-9 };
  let seconds = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) {
    seconds += Number(amount) * units[unit];
  }
  return seconds;
}

function capture(req: RegisterResourceRequest, urn: string): CapturedResource {
  const timeouts = req.getCustomtimeouts();
  const propertyDependencies: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((deps, key) => {
    propertyDependencies[key] = deps.getUrnsList();
  });
  const aliasUrns = req.getAliasesList().map((alias) => alias.getUrn()).filter((u) => u !== "");
  return {
    type: req.getType(),
    name: req.getName(),
    urn,
    custom: req.getCustom(),
    parent: req.getParent() || undefined,
    providerRef: req.getProvider() || undefined,
    version: req.getVersion(),
    dependencies: req.getDependenciesList(),
    propertyDependencies,
    options: {
      protect: req.getProtect() ?? false,
      ignoreChanges: req.getIgnorechangesList(),
      deleteBeforeReplace: req.getDeletebeforereplacedefined() ? req.getDeletebeforereplace() : undefined,
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      aliases: [...req.getAliasurnsList(), ...aliasUrns],
      customTimeouts: {
        create: durationSeconds(timeouts?.getCreate() ?? ""),
        update: durationSeconds(timeouts?.getUpdate() ?? ""),
        delete: durationSeconds(timeouts?.getDelete() ?? ""),
      },
    },
    object: (req.getObject()?.toJavaScript() ?? {}) as JsonObject,
  };
}

/**
 * The engine marks `additionalSecretOutputs` secret in the state it returns; the mock monitor
 * does not. An output the mock left out is unknown at preview, so it becomes an unknown secret.
 */
function applySecretOutputs(req: RegisterResourceRequest, response: RegisterResourceResponse): void {
  const names = req.getAdditionalsecretoutputsList();
  if (names.length === 0) return;
  const { Struct } = fromSdk<typeof structPb>("google-protobuf/google/protobuf/struct_pb");
  const state = (response.getObject()?.toJavaScript() ?? {}) as JsonObject;
  for (const name of names) state[name] = wrapSecret(state[name] ?? unknownValue);
  response.setObject(Struct.fromJavaScript(state as never));
}

/** The promises the SDK counts as not settled yet (its leak candidates, as its exit check reads them). */
function pendingPromises(): number {
  const state = require("@pulumi/pulumi/runtime/state") as { getStore(): { leakCandidates: { readonly size: number } } };
  return state.getStore().leakCandidates.size;
}

function stalledProgramMessage(pending: number): string {
  return (
    `the program cannot finish: it waits on ${pending === 1 ? "1 promise" : `${pending} promises`} that nothing left running can settle ` +
    "(a cyclic dependency between resources, or a promise the program never resolves); " +
    "the Pulumi CLI fails such a run with \"promises were still active\""
  );
}

function programFailure(err: unknown, pulumi: typeof pulumiModule): UserInputError {
  if (err instanceof UserInputError) return err;
  if (!(err instanceof Error)) return new UserInputError(`the program failed: ${String(err)}`);
  const { name, message } = err;
  // RunError and ResourceError carry a message meant for the user; their stack is noise.
  if (pulumi.RunError.isInstance(err) || pulumi.ResourceError.isInstance(err)) return new UserInputError(message);
  return new UserInputError(`the program failed: ${name}: ${message}`);
}

/**
 * Loads the program as the Node language host does and returns what it registered. The SDK records a
 * stack trace for every promise it makes (debuggablePromise) and the whole stack of every resource
 * it registers (Resource.callsites, for the request's source position); formatting those, through
 * source maps or not, took a third of a run, and nothing reads them here: a program error is
 * reported by its message, and the mock monitor ignores source positions. So while the program
 * runs, stack traces are empty and source maps off; both come back afterwards.
 */
export async function runProgram(options: RunProgramOptions): Promise<ProgramRun> {
  const { sourceMapsEnabled } = process;
  const { prepareStackTrace, stackTraceLimit } = Error;
  process.setSourceMapsEnabled(false);
  Reflect.deleteProperty(Error, "prepareStackTrace");
  Error.stackTraceLimit = 0;
  try {
    return await runProgramWithMocks(options);
  } finally {
    process.setSourceMapsEnabled(sourceMapsEnabled);
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
}

async function runProgramWithMocks(options: RunProgramOptions): Promise<ProgramRun> {
  const { stackConfig } = options;
  const { project, stack } = stackConfig;
  // Read once when @pulumi/pulumi is first loaded; setAllConfig covers an already loaded SDK.
  Object.assign(process.env, {
    PULUMI_CONFIG: JSON.stringify(stackConfig.config),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(stackConfig.secretKeys),
    PULUMI_NODEJS_PROJECT: project,
    PULUMI_NODEJS_STACK: stack,
    PULUMI_NODEJS_DRY_RUN: String(!options.update),
    PULUMI_NODEJS_ORGANIZATION: options.organization ?? "organization",
  });
  const pulumi = require("@pulumi/pulumi") as typeof pulumiModule;
  const settings = require("@pulumi/pulumi/runtime/settings") as SettingsInternals;
  pulumi.runtime.setAllConfig({ ...stackConfig.config }, [...stackConfig.secretKeys]);

  const invokes = options.invokes ?? {};
  await pulumi.runtime.setMocks(
    {
      // A preview of a create: the state is the inputs; computed outputs stay unknown unless `outputs` gives
      // them. An update run computes each resource's id and state with its own newResource.
      // The mock monitor calls newResource synchronously inside registerResource, so `registering` is
      // the request being registered (an update's newResource gets its dependencies and options).
      newResource: options.update
        ? (args) => options.update!.newResource(args, registering!)
        : (args) => ({ id: undefined, state: { ...args.inputs, ...options.outputs?.(args) } }),
      call: (args) => {
        const answer = invokes[args.token];
        if (!answer) throw new Error(`invoke ${args.token} is not mocked: add it to the check's invoke mocks`);
        return answer(args.inputs);
      },
    },
    project,
    stack,
    !options.update,
    options.organization,
  );

  // The language host fails a run on any uncaught error, including ones inside `apply`. The
  // handlers stay for the life of the process: the SDK re-raises a program error through
  // several promise chains, some of them after the run has settled.
  const failures: unknown[] = [];
  // Like the language host, the run ends at the first failure: resources that wait for what failed
  // would otherwise wait forever.
  let failed: () => void = () => undefined;
  const firstFailure = new Promise<void>((resolve) => (failed = resolve));
  const onFailure = (err: unknown) => {
    failures.push(err);
    failed();
  };

  const monitor = settings.getMonitor() as MockMonitorInternals;
  const resources: CapturedResource[] = [];
  const outputsByUrn = new Map<string, JsonObject>();
  monitor.newUrn = (parent, type, name) => engineUrn(stack, project, parent, type, name);
  const registerResource = monitor.registerResource.bind(monitor);
  const seen = new Map<string, number>();
  let registering: CapturedResource | undefined;
  monitor.registerResource = (req, callback) => {
    const urn = engineUrn(stack, project, req.getParent(), req.getType(), req.getName());
    const copies = seen.get(urn) ?? 0;
    seen.set(urn, copies + 1);
    if (copies > 0 && options.duplicateUrns !== "suffix") {
      // The engine ends the deployment at a duplicate URN. The SDK alone would not: a component's
      // refused registration leaves its children's outputs pending, and the run waited forever.
      const refused = new UserInputError(
        `the program registers ${urn} twice: give each resource of type ${req.getType()} a name of its own (the Pulumi engine refuses a duplicate URN)`,
      );
      onFailure(refused);
      callback(refused);
      return Promise.resolve();
    }
    if (copies > 0) req.setName(`${req.getName()}-copy${copies}`);
    // Only an update's newResource reads it: a preview captures each request once, below.
    if (options.update) registering = capture(req, urn);
    return registerResource(req, (err, response) => {
      // A registration the engine refuses ends its deployment, whoever waits on the resource.
      if (err) onFailure(new Error(`failed to register new resource ${req.getName()} [${req.getType()}]: ${err instanceof Error ? err.message : String(err)}`));
      if (!err && response) {
        applySecretOutputs(req, response);
        const captured = capture(req, response.getUrn());
        const state = options.update ? (response.getObject()?.toJavaScript() as JsonObject | undefined) : undefined;
        const registered = state ? { ...captured, state } : captured;
        resources.push(registered);
        options.onResource?.(registered);
      }
      callback(err, response);
    });
  };
  const registerResourceOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, callback) => {
    outputsByUrn.set(req.getUrn(), (req.getOutputs()?.toJavaScript() ?? {}) as JsonObject);
    registerResourceOutputs(req, callback);
  };

  process.on("unhandledRejection", onFailure);
  process.on("uncaughtException", onFailure);
  // The language host's event loop empties while the program waits on a promise nothing can settle
  // any more (a cyclic dependency between resources, a promise never resolved): it exits, and the SDK
  // fails the run at exit. Here the run fails when the loop empties, before the check goes on.
  const stalled = () => onFailure(new UserInputError(stalledProgramMessage(pendingPromises())));
  process.on("beforeExit", stalled);
  const entry = resolveEntry(stackConfig.main);
  const restoreSerializer = keepSecretMarkersOnUnknowns(pulumi, require("@pulumi/pulumi/runtime/rpc"));
  const restorePromiseTracking = trackPromisesWithoutDecorations(require("@pulumi/pulumi/runtime/debuggable"), require("@pulumi/pulumi/runtime/state"));
  const restoreClosureParses = cacheSdkClosureParses();
  const restoreClosureInspector = deferDebuggerUntilNeeded(require("@pulumi/pulumi/runtime/closure/v8Hooks"));
  const restoreStructs = convertMockStructsDirectly();
  // Resource.callsites sets an unlimited stack trace limit itself: it must return nothing instead.
  const resourceClass = pulumi.Resource as unknown as { callsites: () => unknown[] };
  const { callsites } = resourceClass;
  resourceClass.callsites = () => [];
  try {
    // The stack's exports may wait on what failed, as its resources may.
    const stackRun = pulumi.runtime.runInPulumiStack(async () => {
      const exported: unknown = require(entry);
      return exported instanceof Function ? await exported() : exported;
    });
    await Promise.race([stackRun.then(() => undefined, onFailure), firstFailure]);
    await Promise.race([settings.waitForRPCs().catch(onFailure), firstFailure]);
  } finally {
    process.off("beforeExit", stalled);
    restoreSerializer();
    restorePromiseTracking();
    restoreClosureParses();
    restoreClosureInspector();
    restoreStructs();
    resourceClass.callsites = callsites;
  }
  if (failures.length > 0) throw programFailure(failures[0], pulumi);
  // What the report needs is captured: the program's own objects may go (check/program-memory.ts).
  forgetProgramResources(require("@pulumi/pulumi/runtime/state") as SdkStackState);

  const stackResource = resources.find((r) => r.type === rootStackType);
  return {
    project,
    stack,
    resources,
    stackOutputs: stackResource ? outputsByUrn.get(stackResource.urn) : undefined,
  };
}

function resolveEntry(main: string): string {
  try {
    return require.resolve(path.resolve(main));
  } catch {
    throw new UserInputError(`cannot find the program's entry point in ${main} (index.ts or package.json "main")`);
  }
}

// One started policy pack, configured as the engine configures it, that judges program runs:
// `npm run check` uses it for one run; a test may judge several runs of the same stack context
// with one pack (the pack reads the stack's name and config from its environment at start-up).
import * as path from "node:path";
import { AnalysisInputBuilder } from "./analysis-input";
import { AnalyzerCallError, AnalyzerClient, type Analyzer, type Diagnostic, type PolicyConfig } from "./analyzer-client";
import { reconcilePolicyConfig } from "./policy-config";
import { PackChannel } from "./pack-channel";
import { releaseProgramGarbage } from "./program-memory";
import type { PackThread } from "./pack-thread";
import { startPackFor, type PolicyPackProcess } from "./policy-pack-process";
import { buildReport, type PolicyError, type Report } from "./report";
import type { CapturedResource, ProgramRun } from "./run-program";
import type { StackConfig } from "./stack-config";

export interface RunTiming {
  readonly programMs: number;
  readonly startedAt: number;
}

/** The analysis of one run, fed while the program runs, as the engine analyzes each resource when it registers. */
export interface RunAnalysis {
  /** Sends the resource's Analyze call now (after its default provider's, when it is the first user). */
  add(resource: CapturedResource): void;
  /** AnalyzeStack once the program has finished, then the report. */
  finish(run: ProgramRun, timing: RunTiming): Promise<Report>;
}

export interface CheckSession {
  /** Begins the analysis of a run of a stack whose context the pack was started with. */
  begin(stackConfig: StackConfig): RunAnalysis;
  /** The report for one finished run of a stack whose context the pack was started with. */
  analyze(run: ProgramRun, stackConfig: StackConfig, timing: RunTiming): Promise<Report>;
  stop(): Promise<void>;
}

export interface CheckSessionOptions {
  readonly organization?: string;
  /** From --policy-pack-config, before schema defaults. */
  readonly policyPackConfig?: Readonly<Record<string, PolicyConfig>>;
  /** Config keys a run may differ in from the pack's stack (read by no policy); default none. */
  readonly ignoredConfigKey?: (key: string) => boolean;
}

// A loaded 2-core CI machine needs more than the few seconds the pack takes alone: the channel connects
// only once the program has run (its microtasks hold the event loop), and at load 20 that took more
// than 30 s after a 10x program. The same bound as the pack's start; ready sooner, no wait.
const readyTimeoutMs = 120_000;

/** A call's outcome, kept from the moment it is sent: a failure is read when the report is built, never unhandled. */
const settled = <T>(call: Promise<T>): Promise<PromiseSettledResult<T>> =>
  call.then((value) => ({ status: "fulfilled", value }), (reason: unknown) => ({ status: "rejected", reason }));

async function collect(calls: Promise<PromiseSettledResult<Diagnostic[]>>[], errors: PolicyError[]): Promise<Diagnostic[]> {
  const diagnostics: Diagnostic[] = [];
  for (const result of await Promise.all(calls)) {
    if (result.status === "fulfilled") diagnostics.push(...result.value);
    else if (result.reason instanceof AnalyzerCallError) {
      errors.push({ method: result.reason.method, urn: result.reason.urn, message: result.reason.details });
    } else throw result.reason;
  }
  return diagnostics;
}

const organizationOf = (options: CheckSessionOptions) => options.organization ?? "organization";

/** Starts the pack for `stackConfig`'s project, stack and config, as the CLI does, and configures it. */
export function startCheckSession(packDir: string, packStack: StackConfig, options: CheckSessionOptions = {}): Promise<CheckSession> {
  return connectCheckSession(startPackFor(packDir, packStack, organizationOf(options)), packStack, options);
}

/** Connects to a pack started by startPackFor for the same stack and organization, and configures it as the engine does. */
export async function connectCheckSession(packStarting: Promise<PolicyPackProcess>, packStack: StackConfig, options: CheckSessionOptions = {}): Promise<CheckSession> {
  const pack = await packStarting;
  const client = new AnalyzerClient(pack.address);
  const stop = async () => {
    client.close();
    await pack.stop();
  };
  return configureCheckSession({ analyzer: client, packStartMs: Promise.resolve(pack.startMs), stop }, packStack, options);
}

/** A session being set up over the check's pack thread, and the call that moves it on while the program runs. */
export interface ChannelCheckSession {
  readonly session: Promise<CheckSession>;
  /** Takes the pack thread's answers so far (call it as each resource registers: check/pack-channel.ts). */
  poll(): void;
}

/**
 * Configures the pack that the check's pack thread (check/pack-thread.ts) starts as the CLI does, for
 * `packStack` (the thread's env is `packEnvFor(packStack, organization)`): each resource's Analyze
 * reaches the pack while the program runs, if `poll` is called as resources register.
 */
export function startChannelCheckSession(thread: PackThread, packStack: StackConfig, options: CheckSessionOptions = {}): ChannelCheckSession {
  const channel = new PackChannel(thread);
  const stop = () => channel.stop();
  // Configured at once: the thread holds the calls until the pack is up and sends them then, so the
  // answers are there at this thread's first turn after the pack's start (a failed start fails them).
  const session = configureCheckSession({ analyzer: channel, packStartMs: channel.started.then(({ startMs }) => startMs), stop }, packStack, options);
  return { session, poll: () => channel.poll() };
}

/** A pack as a session speaks to it, started or starting. */
export interface PackLink {
  readonly analyzer: Analyzer;
  /** Spawn to port line, once the pack has printed its port. */
  readonly packStartMs: Promise<number>;
  stop(): Promise<void>;
}

/** Configures the pack as the engine does and judges runs with it (a session over any link: the grpc-js client or the pack thread). */
export async function configureCheckSession({ analyzer: client, packStartMs, stop }: PackLink, packStack: StackConfig, options: CheckSessionOptions): Promise<CheckSession> {
  const identity = { project: packStack.project, stack: packStack.stack, organization: organizationOf(options) };
  const ignored = options.ignoredConfigKey ?? (() => false);
  const contextOf = (s: StackConfig) => JSON.stringify([s.project, s.stack, Object.entries(s.config).filter(([key]) => !ignored(key)).sort()]);
  try {
    // The engine's first three calls, sent with the wait for the pack: none depends on another's
    // answer, and each answer the check's thread takes costs it a turn (a resource's registration,
    // check/pack-channel.ts).
    const [, info, sdkVersion] = await Promise.all([
      client.waitForReady(readyTimeoutMs),
      client.getAnalyzerInfo(),
      client.getPluginVersion(),
      client.configureStack({ ...identity, dryRun: true, config: packStack.config, secretKeys: packStack.secretKeys }),
    ]);
    const policyConfig = reconcilePolicyConfig(info, options.policyPackConfig ?? {});
    await client.configure(policyConfig);
    const packStarted = await packStartMs;
    const configuredLevels = Object.fromEntries(Object.entries(policyConfig).map(([k, v]) => [k, v.enforcementLevel]));

    const begin = (stackConfig: StackConfig): RunAnalysis => {
      if (contextOf(stackConfig) !== contextOf(packStack)) {
        throw new Error(`the pack was started for another stack context than ${stackConfig.stackFile}: start a session for it`);
      }
      const builder = new AnalysisInputBuilder(stackConfig);
      const calls: Promise<PromiseSettledResult<Diagnostic[]>>[] = [];
      return {
        add(resource) {
          for (const r of builder.add(resource)) {
            // A resource policy's diagnostic belongs to the analyzed resource, as the engine files it.
            calls.push(settled(client.analyze(r).then((ds) => ds.map((d) => ({ ...d, urn: d.urn ?? r.urn })))));
          }
        },
        async finish(run, timing) {
          const started = Date.now();
          const input = builder.input(run);
          const policyErrors: PolicyError[] = [];
          // Sent now, behind the Analyze calls the pack has still to answer, which it answers first (one
          // connection, requests taken in order): the request is built, sent and decoded while the pack
          // works through them, instead of after. The engine sends it once they are all answered; the
          // pack's answers do not depend on the order (its policies keep no state between calls), and
          // the errors are collected in the engine's order below.
          const stackCall = settled(client.analyzeStack(input.stackResources));
          const resourceDiagnostics = await collect(calls, policyErrors);
          // While the pack judges the stack: what only the offline check sees (its module, which loads
          // the pack's library, is loaded only now, off the program's path).
          const findings = await settled(import("./offline-findings").then((m) => m.offlineFindings(run.resources, stackConfig.environment)));
          // Still waiting for the pack: the program's garbage goes now, not at the check's peak (check/program-memory.ts).
          releaseProgramGarbage();
          const diagnostics = [...resourceDiagnostics, ...(await collect([stackCall], policyErrors))];
          if (findings.status === "rejected") throw findings.reason;
          return buildReport({
            stackConfig,
            stackFile: path.relative(stackConfig.rootDir, stackConfig.stackFile),
            programFile: path.relative(stackConfig.rootDir, require.resolve(path.resolve(stackConfig.main))),
            info,
            sdkVersion,
            configuredLevels,
            resourceCount: input.resources.length,
            diagnostics,
            offlineFindings: findings.value,
            policyErrors,
            timings: { programMs: timing.programMs, packStartMs: packStarted, analyzeMs: Date.now() - started, totalMs: Date.now() - timing.startedAt },
          });
        },
      };
    };

    return {
      begin,
      analyze(run, stackConfig, timing) {
        const analysis = begin(stackConfig);
        for (const r of run.resources) analysis.add(r);
        return analysis.finish(run, timing);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

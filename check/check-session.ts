// One started policy pack, configured as the engine configures it, that judges program runs:
// `npm run check` uses it for one run; a test may judge several runs of the same stack context
// with one pack (the pack reads the stack's name and config from its environment at start-up).
import * as path from "node:path";
import { analysisInput } from "./analysis-input";
import { AnalyzerCallError, AnalyzerClient, type Diagnostic, type PolicyConfig } from "./analyzer-client";
import { offlineFindings } from "./offline-findings";
import { reconcilePolicyConfig } from "./policy-config";
import { startPolicyPack } from "./policy-pack-process";
import { buildReport, type PolicyError, type Report } from "./report";
import type { ProgramRun } from "./run-program";
import type { StackConfig } from "./stack-config";

export interface CheckSession {
  /** The report for one run of a stack whose context the pack was started with. */
  analyze(run: ProgramRun, stackConfig: StackConfig, timing: { programMs: number; startedAt: number }): Promise<Report>;
  stop(): Promise<void>;
}

export interface CheckSessionOptions {
  readonly organization?: string;
  /** From --policy-pack-config, before schema defaults. */
  readonly policyPackConfig?: Readonly<Record<string, PolicyConfig>>;
  /** Config keys a run may differ in from the pack's stack (read by no policy); default none. */
  readonly ignoredConfigKey?: (key: string) => boolean;
}

// A loaded 2-core CI machine needs more than the few seconds the pack takes alone; ready sooner, no wait.
const readyTimeoutMs = 30_000;

async function collect(calls: Promise<Diagnostic[]>[], errors: PolicyError[]): Promise<Diagnostic[]> {
  const diagnostics: Diagnostic[] = [];
  for (const result of await Promise.allSettled(calls)) {
    if (result.status === "fulfilled") diagnostics.push(...result.value);
    else if (result.reason instanceof AnalyzerCallError) {
      errors.push({ method: result.reason.method, urn: result.reason.urn, message: result.reason.details });
    } else throw result.reason;
  }
  return diagnostics;
}

/** Starts the pack for `stackConfig`'s project, stack and config, as the CLI does, and configures it. */
export async function startCheckSession(packDir: string, packStack: StackConfig, options: CheckSessionOptions = {}): Promise<CheckSession> {
  const identity = { project: packStack.project, stack: packStack.stack, organization: options.organization ?? "organization" };
  const ignored = options.ignoredConfigKey ?? (() => false);
  const contextOf = (s: StackConfig) => JSON.stringify([s.project, s.stack, Object.entries(s.config).filter(([key]) => !ignored(key)).sort()]);
  const pack = await startPolicyPack(packDir, { ...identity, config: packStack.config });
  const client = new AnalyzerClient(pack.address);
  const stop = async () => {
    client.close();
    await pack.stop();
  };
  try {
    await client.waitForReady(readyTimeoutMs);
    const info = await client.getAnalyzerInfo();
    const sdkVersion = await client.getPluginVersion();
    await client.configureStack({ ...identity, dryRun: true, config: packStack.config, secretKeys: packStack.secretKeys });
    const policyConfig = reconcilePolicyConfig(info, options.policyPackConfig ?? {});
    await client.configure(policyConfig);
    const configuredLevels = Object.fromEntries(Object.entries(policyConfig).map(([k, v]) => [k, v.enforcementLevel]));

    return {
      async analyze(run, stackConfig, timing) {
        if (contextOf(stackConfig) !== contextOf(packStack)) {
          throw new Error(`the pack was started for another stack context than ${stackConfig.stackFile}: start a session for it`);
        }
        const started = Date.now();
        const input = analysisInput(run, stackConfig);
        const policyErrors: PolicyError[] = [];
        const diagnostics = [
          // A resource policy's diagnostic belongs to the analyzed resource, as the engine files it.
          ...(await collect(
            input.resources.map((r) => client.analyze(r).then((ds) => ds.map((d) => ({ ...d, urn: d.urn ?? r.urn })))),
            policyErrors,
          )),
          ...(await collect([client.analyzeStack(input.stackResources)], policyErrors)),
        ];
        return buildReport({
          stackConfig,
          stackFile: path.relative(stackConfig.rootDir, stackConfig.stackFile),
          programFile: path.relative(stackConfig.rootDir, require.resolve(path.resolve(stackConfig.main))),
          info,
          sdkVersion,
          configuredLevels,
          resourceCount: input.resources.length,
          diagnostics,
          offlineFindings: offlineFindings(run.resources, stackConfig.environment),
          policyErrors,
          timings: { programMs: timing.programMs, packStartMs: pack.startMs, analyzeMs: Date.now() - started, totalMs: Date.now() - timing.startedAt },
        });
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

// The check: run the program under mocks and start the pack at the same time, then drive the
// pack over gRPC as the engine does during `pulumi preview`, and build the report.
import * as path from "node:path";
import { analysisInput } from "./analysis-input";
import { AnalyzerCallError, AnalyzerClient, type Diagnostic } from "./analyzer-client";
import { offlineFindings } from "./offline-findings";
import { readPolicyPackConfig, reconcilePolicyConfig } from "./policy-config";
import { startPolicyPack, type PolicyPackProcess } from "./policy-pack-process";
import { buildReport, type PolicyError, type Report } from "./report";
import { runProgram, type InvokeMock } from "./run-program";
import { readStackConfig } from "./stack-config";

export interface CheckOptions {
  readonly rootDir: string;
  readonly stack: string;
  readonly packDir: string;
  readonly policyPackConfigFile?: string;
  readonly organization?: string;
  readonly invokes?: Readonly<Record<string, InvokeMock>>;
  readonly duplicateUrns?: "fail" | "suffix";
}

const readyTimeoutMs = 10_000;

async function collect(calls: Promise<Diagnostic[]>[], errors: PolicyError[]): Promise<Diagnostic[]> {
  const settled = await Promise.allSettled(calls);
  const diagnostics: Diagnostic[] = [];
  for (const result of settled) {
    if (result.status === "fulfilled") diagnostics.push(...result.value);
    else if (result.reason instanceof AnalyzerCallError) {
      errors.push({ method: result.reason.method, urn: result.reason.urn, message: result.reason.details });
    } else throw result.reason;
  }
  return diagnostics;
}

export async function runCheck(options: CheckOptions): Promise<Report> {
  const started = Date.now();
  const organization = options.organization ?? "organization";
  const stackConfig = readStackConfig(options.rootDir, options.stack);
  // Read before anything starts, so a bad file costs nothing.
  const givenPolicyConfig = options.policyPackConfigFile ? readPolicyPackConfig(options.policyPackConfigFile) : {};

  const packStarting = startPolicyPack(options.packDir, {
    project: stackConfig.project,
    stack: stackConfig.stack,
    organization,
    config: stackConfig.config,
  });
  let pack: PolicyPackProcess | undefined;
  try {
    const programStarted = Date.now();
    const run = await runProgram({ stackConfig, invokes: options.invokes, organization, duplicateUrns: options.duplicateUrns }).catch(async (err) => {
      await packStarting.then((p) => p.stop()).catch(() => undefined);
      throw err;
    });
    const programMs = Date.now() - programStarted;
    pack = await packStarting;

    const analyzeStarted = Date.now();
    const client = new AnalyzerClient(pack.address);
    try {
      await client.waitForReady(readyTimeoutMs);
      const info = await client.getAnalyzerInfo();
      const sdkVersion = await client.getPluginVersion();
      await client.configureStack({
        project: stackConfig.project,
        stack: stackConfig.stack,
        organization,
        dryRun: true,
        config: stackConfig.config,
        secretKeys: stackConfig.secretKeys,
      });
      const policyConfig = reconcilePolicyConfig(info, givenPolicyConfig);
      await client.configure(policyConfig);

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
      const analyzeMs = Date.now() - analyzeStarted;
      return buildReport({
        stackConfig,
        stackFile: path.relative(options.rootDir, stackConfig.stackFile),
        programFile: path.relative(options.rootDir, require.resolve(path.resolve(stackConfig.main))),
        info,
        sdkVersion,
        configuredLevels: Object.fromEntries(Object.entries(policyConfig).map(([k, v]) => [k, v.enforcementLevel])),
        resourceCount: input.resources.length,
        diagnostics,
        offlineFindings: offlineFindings(run.resources, stackConfig.environment),
        policyErrors,
        timings: { programMs, packStartMs: pack.startMs, analyzeMs, totalMs: Date.now() - started },
      });
    } finally {
      client.close();
    }
  } finally {
    await pack?.stop();
  }
}

// The check: run the program under mocks and start the pack at the same time, then drive the
// pack over gRPC as the engine does during `pulumi preview`, and build the report.
import type { PolicyConfig } from "./analyzer-client";
import { startCheckSession } from "./check-session";
import { readPolicyPackConfig } from "./policy-config";
import type { Report } from "./report";
import { runProgram, type InvokeMock } from "./run-program";
import { readStackConfig, type StackConfig } from "./stack-config";

export interface CheckOptions {
  readonly rootDir: string;
  readonly stack: string;
  readonly packDir: string;
  readonly policyPackConfigFile?: string;
  /** Already read by the caller (the CLI reads them before loading the SDK). */
  readonly stackConfig?: StackConfig;
  readonly policyPackConfig?: Readonly<Record<string, PolicyConfig>>;
  readonly organization?: string;
  readonly invokes?: Readonly<Record<string, InvokeMock>>;
  readonly duplicateUrns?: "fail" | "suffix";
}

export async function runCheck(options: CheckOptions): Promise<Report> {
  const started = Date.now();
  const organization = options.organization ?? "organization";
  const stackConfig = options.stackConfig ?? readStackConfig(options.rootDir, options.stack);
  // Read before anything starts, so a bad file costs nothing.
  const policyPackConfig = options.policyPackConfig ?? (options.policyPackConfigFile ? readPolicyPackConfig(options.policyPackConfigFile) : {});

  // The pack starts while the program runs.
  const sessionStarting = startCheckSession(options.packDir, stackConfig, { organization, policyPackConfig });
  const programStarted = Date.now();
  const run = await runProgram({ stackConfig, invokes: options.invokes, organization, duplicateUrns: options.duplicateUrns }).catch(async (err) => {
    await sessionStarting.then((session) => session.stop(), () => undefined);
    throw err;
  });
  const programMs = Date.now() - programStarted;
  const session = await sessionStarting;
  try {
    return await session.analyze(run, stackConfig, { programMs, startedAt: started });
  } finally {
    await session.stop();
  }
}

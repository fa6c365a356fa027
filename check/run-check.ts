// The check: start the pack, run the program under mocks meanwhile, and drive the pack over gRPC
// as the engine does during `pulumi preview` (each resource's Analyze, then the stack's once the
// program has finished), then build the report.
import type { PolicyConfig } from "./analyzer-client";
import type { RunAnalysis } from "./check-session";
import { readPolicyPackConfig } from "./policy-config";
import type { Report } from "./report";
import type { CapturedResource, InvokeMock } from "./run-program";
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

  // The pack starts first, from the check's pack thread: its start overlaps loading the check's engine,
  // the SDK and the program here (this module imports them only now), and the program's run.
  const { checkPackDir, packEnvFor } = await import("./policy-pack-process");
  const { startPackThread } = await import("./pack-thread");
  checkPackDir(options.packDir);
  const thread = startPackThread(options.packDir, packEnvFor(stackConfig, organization));
  const { startChannelCheckSession } = await import("./check-session");
  const channel = startChannelCheckSession(thread, stackConfig, { organization, policyPackConfig });
  const sessionStarting = channel.session;
  const { runProgram } = await import("./run-program");
  const { collectAsRegistrationsComplete } = await import("./program-memory");
  // Each resource is analyzed as soon as it registers and the session is up, as the engine does.
  // Under mocks the program runs in microtasks, so this thread's event loop does not turn until it
  // ends: each registration polls the pack thread instead, which moves the session's set-up on, and
  // the pack judges the resources while the program runs (check/pack-channel.ts).
  const registered: CapturedResource[] = [];
  let analysis: RunAnalysis | undefined;
  const analysisStarting = sessionStarting.then((session) => {
    analysis = session.begin(stackConfig);
    for (const r of registered.splice(0)) analysis.add(r);
    return analysis;
  });
  analysisStarting.catch(() => undefined); // reported below, after the program's own failure if any
  const collectGarbage = collectAsRegistrationsComplete();
  const onResource = (r: CapturedResource) => {
    channel.poll();
    collectGarbage();
    if (analysis) analysis.add(r);
    else registered.push(r);
  };
  const programStarted = Date.now();
  // While the program runs the pack's thread does not keep this process alive: an event loop with
  // nothing of the program's left in it tells that the program can never finish (check/run-program.ts).
  const keepAlive = (on: boolean) => [thread.worker, thread.port].forEach((handle) => (on ? handle.ref() : handle.unref()));
  keepAlive(false);
  const run = await runProgram({ stackConfig, invokes: options.invokes, organization, duplicateUrns: options.duplicateUrns, onResource })
    .finally(() => keepAlive(true))
    .catch(async (err) => {
      await sessionStarting.then((session) => session.stop(), () => undefined);
      throw err;
    });
  const programMs = Date.now() - programStarted;
  const session = await sessionStarting;
  try {
    return await (await analysisStarting).finish(run, { programMs, startedAt: started });
  } finally {
    await session.stop();
  }
}

// The program alone, run as the offline check runs it (check/run-program.ts, under the SDK's official
// mocks) with no policy pack and no analysis: what the check would cost if judging were free. For
// bench/check-bench.ts, which prints it beside the check as the floor of its targets; prints the
// resource count and the program's time as one JSON line.
//   <launcher> bench/program-once.ts <repo> <root> <stack> <fail|suffix>
import * as path from "node:path";
import type { ProgramRun, RunProgramOptions } from "../check/run-program";
import type { StackConfig } from "../check/stack-config";

const bootMs = Math.round(process.uptime() * 1000);
const [repo, rootDir, stack, duplicateUrns] = process.argv.slice(2);
const { readStackConfig } = require(path.join(repo, "check/stack-config")) as { readStackConfig(root: string, stack: string): StackConfig };
const { runProgram } = require(path.join(repo, "check/run-program")) as { runProgram(options: RunProgramOptions): Promise<ProgramRun> };
const started = Date.now();
// Inside the chain, so that a stack file the reader refuses ends as a message, not a stack trace.
Promise.resolve()
  .then(() => runProgram({ stackConfig: readStackConfig(rootDir, stack), duplicateUrns: duplicateUrns === "suffix" ? "suffix" : "fail" }))
  .then((run) => {
    const programMs = Date.now() - started;
    process.stdout.write(`${JSON.stringify({ resources: run.resources.length, bootMs, programMs, totalMs: Math.round(process.uptime() * 1000) })}\n`, () => process.exit(0));
  })
  .catch((err: Error) => {
    process.stderr.write(`${err.message}\n`, () => process.exit(2));
  });

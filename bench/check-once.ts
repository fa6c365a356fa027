// One offline check in this process, as `npm run check` runs it, with the benchmark's options, for
// bench/check-bench.ts: prints its resource count and timings as one JSON line.
//   <launcher> bench/check-once.ts <repo> <root> <stack> <packDir> <fail|suffix>
import * as path from "node:path";
import type { CheckOptions } from "../check/run-check";
import type { Report } from "../check/report";

const bootMs = Math.round(process.uptime() * 1000);
const [repo, rootDir, stack, packDir, duplicateUrns] = process.argv.slice(2);
// As `npm run check` does first thing (check/start.cjs), where the checkout has it.
(require(path.join(repo, "check/pack-thread")) as { prestartPackThread?: () => void }).prestartPackThread?.();
const { runCheck } = require(path.join(repo, "check/run-check")) as { runCheck(options: CheckOptions): Promise<Report> };
runCheck({ rootDir, stack, packDir, duplicateUrns: duplicateUrns === "suffix" ? "suffix" : "fail" })
  .then((report) => {
    process.stdout.write(`${JSON.stringify({ resources: report.counts.resources, bootMs, ...report.timings })}\n`, () => process.exit(0));
  })
  .catch((err: Error) => {
    process.stderr.write(`${err.message}\n`, () => process.exit(2));
  });

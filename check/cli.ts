// `npm run check`: the offline policy check of one stack. Exit 0 passed, 1 failed, 2 bad input.
import * as path from "node:path";
import { judgementDay } from "../policies/lib/stack-context";
import { commonOptions, parseFlags, runCommand, type ReportFormat } from "./command-line";
import { UserInputError } from "./errors";
import { renderInputError } from "./formats/input-error";

export const usage = `usage: npm run check -- [options]

Runs the Pulumi program under mocks in preview mode with a stack's config, drives the real
CrossGuard policy pack over its gRPC analyzer interface, and prints the verdict.

  --stack NAME                 stack whose Pulumi.<NAME>.yaml to use (default: production)
  --format FORMAT              text | json | sarif | markdown (default: text)
  --output FILE                write the report to FILE instead of stdout (also when the check
                               stops on bad input: then the report says why, exit status 2)
  --policy-pack-config FILE    policy settings, the CLI's format:
                               {"all": "advisory", "<policy>": "disabled" | {"enforcementLevel": "...", ...}}
  --root DIR                   Pulumi project folder (default: the repository root)
  --policy-pack DIR            policy pack folder (default: <root>/policies)
  --traceability FILE          checklist traceability map for markdown (default: <pack>/traceability.ts)
  --help                       show this text

Exit status: 0 no mandatory violation, 1 a mandatory violation or finding (or a policy error),
2 bad input (flag, stack, config file, program config).`;

export interface CliOptions {
  readonly stack: string;
  readonly format: ReportFormat;
  readonly output?: string;
  readonly policyPackConfig?: string;
  readonly root: string;
  readonly policyPack: string;
  readonly traceability: string;
  readonly help: boolean;
}

const repoRoot = path.resolve(__dirname, "..");

export function parseCliArgs(argv: readonly string[]): CliOptions {
  const values = parseFlags(argv, {
    "policy-pack-config": { type: "string" },
    "policy-pack": { type: "string" },
    traceability: { type: "string" },
  });
  const common = commonOptions(values, repoRoot);
  const policyPack = path.resolve(values["policy-pack"] ?? path.join(common.root, "policies"));
  return {
    ...common,
    policyPackConfig: values["policy-pack-config"],
    policyPack,
    traceability: path.resolve(values.traceability ?? path.join(policyPack, "traceability.ts")),
  };
}

async function render(options: CliOptions): Promise<{ text: string; exitCode: number }> {
  // Bad input in the stack file or the policy pack config is answered before the SDK and gRPC load.
  const { readStackConfig } = await import("./stack-config");
  const stackConfig = readStackConfig(options.root, options.stack);
  const { readPolicyPackConfig } = await import("./policy-config");
  const policyPackConfig = options.policyPackConfig ? readPolicyPackConfig(options.policyPackConfig) : {};
  const { runCheck } = await import("./run-check");
  if (options.format === "markdown") {
    // Fail on a missing map before the check runs.
    const { loadTraceability } = await import("./traceability");
    loadTraceability(options.traceability);
  }
  const report = await runCheck({ rootDir: options.root, stack: options.stack, packDir: options.policyPack, stackConfig, policyPackConfig });
  switch (options.format) {
    case "json":
      return { text: (await import("./formats/json")).renderJson(report), exitCode: report.exitCode };
    case "sarif":
      return { text: (await import("./formats/sarif")).renderSarif(report), exitCode: report.exitCode };
    case "markdown": {
      const { loadTraceability } = await import("./traceability");
      const { renderMarkdown } = await import("./formats/markdown");
      return { text: renderMarkdown({ report, traceability: loadTraceability(options.traceability) }), exitCode: report.exitCode };
    }
    case "text":
      return { text: (await import("./formats/text")).renderText(report), exitCode: report.exitCode };
  }
}

export async function main(argv: readonly string[]): Promise<void> {
  await runCommand(argv, {
    usage,
    parse: parseCliArgs,
    async run(options) {
      // The pack reads it too; a malformed day is bad input, refused before anything starts.
      const policyDay = judgementDay(process.env, new Date());
      if (policyDay.problem) throw new UserInputError(policyDay.problem);
      return render(options);
    },
    renderError: (options, message) => renderInputError(options.format, options.stack, message),
  });
}

if (require.main === module) void main(process.argv.slice(2));

import * as pulumi from "@pulumi/pulumi";

/**
 * A stack-config problem the user must fix. Extends RunError so `pulumi up` prints only the message,
 * never a stack trace, and nothing is registered after it is thrown (config is read before any resource).
 */
export class ConfigError extends pulumi.RunError {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(formatProblems(problems));
    this.name = "ConfigError";
  }
}

export interface ConfigProblem {
  /** Full key, e.g. "jewelry-shop:domain" or "jewelry-shop:postgres.database". */
  readonly key: string;
  readonly problem: string;
  /** A command or edit that fixes it. */
  readonly fix: string;
}

function formatProblems(problems: readonly ConfigProblem[]): string {
  const lines = problems.map((p) => `  - ${p.key}: ${p.problem}\n    fix: ${p.fix}`);
  return `invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`;
}

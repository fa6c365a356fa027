// What --output receives when the check stops on bad input (exit 2): a valid document of the chosen
// format that says why, so a CI step that uploads or reads it does not break. SARIF carries the error
// as a tool execution notification of a failed invocation, under the check's own tool name: a failed
// run must not look like the pack's analysis finding nothing (that would close its open alerts).
import type { ReportFormat } from "../command-line";
import { reportSchemaVersion } from "../report";
import { sarifSchema } from "./sarif";

export type { ReportFormat };

export const CHECK_TOOL_NAME = "jewelry-shop offline policy check";

export function renderInputError(format: ReportFormat, stack: string, message: string): string {
  switch (format) {
    case "json":
      return `${JSON.stringify({ $schema: "./check/report-schema.json", schemaVersion: reportSchemaVersion, stack, error: message, exitCode: 2 }, null, 2)}\n`;
    case "sarif":
      return `${JSON.stringify({
        $schema: sarifSchema,
        version: "2.1.0",
        runs: [{
          tool: { driver: { name: CHECK_TOOL_NAME, informationUri: "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/", rules: [] } },
          invocations: [{
            executionSuccessful: false,
            exitCode: 2,
            toolExecutionNotifications: [{ level: "error", message: { text: message }, descriptor: { id: "bad-input" } }],
          }],
          results: [],
        }],
      }, null, 2)}\n`;
    case "markdown":
      return `# Production checklist: stack ${stack}\n\nThe check stopped on bad input (exit 2); nothing was judged:\n\n\`\`\`\n${message}\n\`\`\`\n`;
    case "text":
      return `The check of stack ${stack} stopped on bad input (exit 2); nothing was judged:\n${message}\n`;
  }
}

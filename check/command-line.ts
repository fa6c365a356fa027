// What `npm run check` and `npm run verify` share on the command line: the report formats, --output
// checked before anything runs, and one way to end: the report on stdout or in --output, exit 0
// (passed), 1 (failed) or 2 (bad input, or for verify a stack it cannot reach); on bad input a
// message naming the flag or key and the fix, never a stack trace, and in --output a valid report of
// the chosen format saying why, so a CI step that uploads it does not break.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError, UserInputError } from "./errors";

export const REPORT_FORMATS = ["text", "json", "sarif", "markdown"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function parseReportFormat(value: string): ReportFormat {
  if (!(REPORT_FORMATS as readonly string[]).includes(value)) {
    throw new UsageError(`--format must be one of ${REPORT_FORMATS.join(", ")}, not "${value}"`);
  }
  return value as ReportFormat;
}

/** --output resolved and checked before the run: a report that cannot be written must not cost a whole run. */
export function outputFile(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const file = path.resolve(value);
  const dir = path.dirname(file);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new UserInputError(`--output ${file}: the folder ${dir} does not exist; create it first (mkdir -p ${dir})`);
  }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new UserInputError(`--output ${file} is a folder; give a file name`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new UserInputError(`--output ${file}: the folder ${dir} is not writable`);
  }
  return file;
}

/** Writes and exits explicitly: gRPC, the SDK and open sockets may hold the event loop open. */
export function finish(exitCode: number, text: string, toStderr = false): void {
  (toStderr ? process.stderr : process.stdout).write(text, () => process.exit(exitCode));
}

/** The flags every command takes (node:util parseArgs options). */
const COMMON_FLAGS = {
  stack: { type: "string", default: "production" },
  format: { type: "string", default: "text" },
  output: { type: "string" },
  root: { type: "string" },
  help: { type: "boolean", default: false },
} as const satisfies ParseArgsConfig["options"];

/** Parses the common flags and `extra` strictly (no positionals); a parse error is a usage error. */
export function parseFlags<const T extends NonNullable<ParseArgsConfig["options"]>>(argv: readonly string[], extra: T) {
  try {
    return parseArgs({ args: [...argv], strict: true, allowPositionals: false, options: { ...COMMON_FLAGS, ...extra } }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The common flags checked: the format known, --root an existing folder (default `defaultRoot`), --output writable. */
export function commonOptions(
  values: { stack: string; format: string; output?: string; root?: string; help: boolean },
  defaultRoot: string,
): CommandOptions & { readonly root: string } {
  const format = parseReportFormat(values.format);
  const root = path.resolve(values.root ?? defaultRoot);
  if (!fs.existsSync(root)) throw new UserInputError(`--root ${root} does not exist`);
  return { stack: values.stack, format, output: outputFile(values.output), root, help: values.help };
}

export interface CommandOptions {
  readonly stack: string;
  readonly format: ReportFormat;
  readonly output?: string;
  readonly help: boolean;
}

export interface Command<O extends CommandOptions> {
  readonly usage: string;
  parse(argv: readonly string[]): O;
  /** The report text and the exit code it stands for. */
  run(options: O): Promise<{ text: string; exitCode: number }>;
  /** A valid report of `options.format` saying why nothing was judged. */
  renderError(options: O, message: string): string;
}

export async function runCommand<O extends CommandOptions>(argv: readonly string[], command: Command<O>): Promise<void> {
  let options: O | undefined;
  try {
    options = command.parse(argv);
    if (options.help) return finish(0, `${command.usage}\n`);
    const { text, exitCode } = await command.run(options);
    if (options.output) {
      fs.writeFileSync(options.output, text);
      return finish(exitCode, "");
    }
    finish(exitCode, text);
  } catch (err) {
    const known = err instanceof UserInputError;
    const message = known ? (err as Error).message : `internal error: ${(err as Error).stack ?? String(err)}`;
    if (options?.output) {
      try {
        fs.writeFileSync(options.output, command.renderError(options, message));
      } catch (writeErr) {
        process.stderr.write(`error: cannot write --output ${options.output}: ${(writeErr as Error).message}\n`);
      }
    }
    finish(2, `${known ? "error: " : ""}${message}${err instanceof UsageError ? `\n\n${command.usage}` : ""}\n`, true);
  }
}

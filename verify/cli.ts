// `npm run verify`: the checklist items only a running stack can prove, checked on the live stack
// against what the program declares. Exit 0 all passed, 1 a check failed, 2 bad input or a part of the
// stack that could not be reached. Options and exit codes as `npm run check` (check/command-line.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import { commonOptions, parseFlags, runCommand, type CommandOptions } from "../check/command-line";
import { UsageError, UserInputError } from "../check/errors";
import { renderInputError } from "../check/formats/input-error";
import { CHECK_NAMES } from "./checks/names";
import { parseDockerHost } from "./probes/docker-host-url";
import { parseResolve, type ResolveEntry } from "./probes/public-address";

export const usage = `usage: npm run verify -- [options]

Runs the Pulumi program under mocks with a stack's config (as npm run check does) to read what the
stack declares, then checks the live stack against it: from outside at its public address, and
inside through the Docker host the program targets. Reports by checklist id.

  --stack NAME                 stack whose Pulumi.<NAME>.yaml to use (default: production)
  --format FORMAT              text | json | sarif | markdown (default: text); markdown joins the
                               policy pack's verdicts with verify's, item by item
  --output FILE                write the report to FILE (also on bad input: then it says why, exit 2)
  --resolve HOST:PORT:ADDRESS  connect to ADDRESS for HOST:PORT instead of what DNS gives (like curl;
                               HOST or PORT may be *); repeatable. For a stack not in DNS yet, or behind
                               a proxying CDN (the origin's address)
  --dns-server ADDRESS[:PORT]  resolver the DNS records are asked of (default: the system's)
  --docker-host URL            unix://, tcp:// or ssh:// Docker host (default: the program's dockerHost)
  --credentials FILE           JSON credentials of the inside checks:
                               pulumi stack output --show-secrets --json verifyCredentials > FILE
  --exemptions FILE            JSON [{"check", "subject"?, "reason"}]: accepted deviations
  --image-map FILE             JSON {"<declared image>": "<image the host runs for it>"}
  --ca-file FILE               also trust this CA (PEM) for the served certificate
  --caa-identity ORG=DOMAIN    the issuing CA organisation ORG issues under CAA identifier DOMAIN
  --skip CHECK[,CHECK]         leave checks out: ${CHECK_NAMES.join(", ")}
  --login                      sign the smoke-test user of the credentials in and out (writes last_login)
  --send-test-alert            post a test alert to Alertmanager (notifies its receivers)
  --canary                     run a canary Celery task on each queue (writes to the broker)
  --root DIR                   Pulumi project folder (default: the repository root)
  --help                       show this text

Exit status: 0 every check passed (or is exempted or skipped), 1 a check failed, 2 bad input or a
part of the stack could not be reached.`;

export interface VerifyCliOptions extends CommandOptions {
  readonly root: string;
  readonly resolve: readonly ResolveEntry[];
  readonly dnsServer?: string;
  readonly dockerHost?: string;
  readonly credentials?: string;
  readonly exemptions?: string;
  readonly imageMap: ReadonlyMap<string, string>;
  readonly caFiles: readonly string[];
  readonly caaIdentities: ReadonlyMap<string, string>;
  readonly skip: ReadonlySet<string>;
  readonly login: boolean;
  readonly sendTestAlert: boolean;
  readonly canary: boolean;
}

const repoRoot = path.resolve(__dirname, "..");

function readableFile(flag: string, file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  const resolved = path.resolve(file);
  if (!fs.existsSync(resolved) || !fs.statSync(resolved).isFile()) throw new UserInputError(`--${flag} ${file}: no such file`);
  return resolved;
}

function readImageMap(file: string | undefined): Map<string, string> {
  if (file === undefined) return new Map();
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new UserInputError(`--image-map ${file}: not JSON (${(err as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json) || !Object.values(json).every((v) => typeof v === "string")) {
    throw new UserInputError(`--image-map ${file}: give an object {"<declared image>": "<image run>"}`);
  }
  return new Map(Object.entries(json as Record<string, string>));
}

export function parseVerifyArgs(argv: readonly string[]): VerifyCliOptions {
  const values = parseFlags(argv, {
    resolve: { type: "string", multiple: true, default: [] },
    "dns-server": { type: "string" },
    "docker-host": { type: "string" },
    credentials: { type: "string" },
    exemptions: { type: "string" },
    "image-map": { type: "string" },
    "ca-file": { type: "string", multiple: true, default: [] },
    "caa-identity": { type: "string", multiple: true, default: [] },
    skip: { type: "string", multiple: true, default: [] },
    login: { type: "boolean", default: false },
    "send-test-alert": { type: "boolean", default: false },
    canary: { type: "boolean", default: false },
  });
  const common = commonOptions(values, repoRoot);
  const skip = new Set(values.skip.flatMap((s) => s.split(",")).map((s) => s.trim()).filter((s) => s !== ""));
  const unknown = [...skip].filter((s) => !CHECK_NAMES.includes(s));
  if (unknown.length > 0) throw new UsageError(`--skip ${unknown.join(",")}: no such check; checks: ${CHECK_NAMES.join(", ")}`);
  const dnsServer = values["dns-server"];
  if (dnsServer !== undefined && !/^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9a-fA-F:]+\](:\d{1,5})?|[0-9a-fA-F:]+)$/.test(dnsServer)) {
    throw new UsageError(`--dns-server ${dnsServer}: give an IP address, optionally with a port (127.0.0.1:5353, [::1]:53)`);
  }
  if (values["docker-host"] !== undefined) parseDockerHost(values["docker-host"]);
  const caaIdentities = new Map(values["caa-identity"].map((v) => {
    const eq = v.lastIndexOf("=");
    if (eq <= 0 || eq === v.length - 1) throw new UsageError(`--caa-identity ${v}: give ORGANISATION=DOMAIN, e.g. "Let's Encrypt=letsencrypt.org"`);
    return [v.slice(0, eq), v.slice(eq + 1).toLowerCase()] as const;
  }));
  return {
    ...common,
    resolve: values.resolve.map(parseResolve),
    dnsServer,
    dockerHost: values["docker-host"],
    credentials: readableFile("credentials", values.credentials),
    exemptions: readableFile("exemptions", values.exemptions),
    imageMap: readImageMap(readableFile("image-map", values["image-map"])),
    caFiles: values["ca-file"].map((f) => readableFile("ca-file", f)!),
    caaIdentities,
    skip,
    login: values.login,
    sendTestAlert: values["send-test-alert"],
    canary: values.canary,
  };
}

async function render(options: VerifyCliOptions): Promise<{ text: string; exitCode: number }> {
  // Bad input is answered before the SDK loads.
  const { readStackConfig } = await import("../check/stack-config");
  const stackConfig = readStackConfig(options.root, options.stack);
  const { readCredentials } = await import("./credentials");
  const { readExemptions } = await import("./exemptions");
  const credentials = readCredentials(options.credentials);
  const exemptions = readExemptions(options.exemptions, CHECK_NAMES);
  const verifyOptions = {
    stackConfig, resolve: options.resolve, dnsServer: options.dnsServer, dockerHost: options.dockerHost, credentials, exemptions,
    imageMap: options.imageMap, extraCa: options.caFiles.map((f) => fs.readFileSync(f, "utf8")), caaIdentities: options.caaIdentities,
    skip: options.skip, writes: { login: options.login, testAlert: options.sendTestAlert, canary: options.canary },
    log: (line: string) => process.stderr.write(`${line}\n`),
  };
  if (options.format === "markdown") {
    const { runJoined } = await import("./joined");
    return runJoined(verifyOptions, options.root);
  }
  const { runVerify } = await import("./run-verify");
  const report = await runVerify(verifyOptions);
  switch (options.format) {
    case "json":
      return { text: (await import("./formats/json")).renderJson(report), exitCode: report.exitCode };
    case "sarif":
      return { text: (await import("./formats/sarif")).renderSarif(report, path.relative(options.root, stackConfig.stackFile)), exitCode: report.exitCode };
    default:
      return { text: (await import("./formats/text")).renderText(report), exitCode: report.exitCode };
  }
}

export async function main(argv: readonly string[]): Promise<void> {
  await runCommand(argv, {
    usage,
    parse: parseVerifyArgs,
    run: render,
    renderError: (options, message) => renderInputError(options.format, options.stack, message).replace(/The check|the check/g, "Verify"),
  });
}

if (require.main === module) void main(process.argv.slice(2));

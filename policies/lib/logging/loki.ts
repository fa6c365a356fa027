// The Loki a container runs (3.x): the YAML file `-config.file` names (the image's own
// /etc/loki/local-config.yaml when nothing is uploaded there), `${VAR}` expanded with
// -config.expand-env, then the command-line flags on top (Loki parses flags after the file, so
// `-compactor.retention-enabled=false` or `-store.retention=24h` win). Logs are deleted only when the
// compactor's retention is enabled and limits_config.retention_period is above 0; Loki 3 refuses
// retention without compactor.delete_request_store.
import { parse } from "yaml";
import { containerInputs, inputsKey } from "../container-inputs";
import { memoized } from "../model-cache";
import { containerLaunch, type Launch } from "../process-launch";
import { promDurationSeconds } from "../prometheus/model";
import { undecidable } from "../unknowns";
import { asArray, asBoolean, asRecord, asString, type PropRecord } from "../values";

export interface LokiModel {
  readonly configFile: string;
  readonly startupError?: string;
  /** Seconds logs are kept; undefined: forever (no retention in force). */
  readonly retentionSeconds?: number;
  /** Why nothing is deleted, when that is so. */
  readonly noRetentionBecause?: string;
  /** Where Loki's HTTP API (the push endpoint) listens: server.http_listen_port or -server.http-listen-port (3100 by default), TLS when a server certificate is set. */
  readonly http?: { readonly port: number; readonly tls: boolean };
  /** The shortest limits_config.retention_stream period, when shorter than retentionSeconds: those streams are deleted sooner. */
  readonly shortestStream?: { readonly selector: string; readonly seconds: number };
}

const IMAGE = { entrypoint: ["/usr/bin/loki"], command: ["-config.file=/etc/loki/local-config.yaml"] };
/** grafana/loki's built-in config (cmd/loki/loki-local-config.yaml): no retention. */
const IMAGE_CONFIG = "/etc/loki/local-config.yaml";

/** Go's flag package: -name=value, --name=value, -name value (the last one wins); bare booleans are true. */
export function goFlags(args: readonly string[], booleans: ReadonlySet<string>): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!/^--?[^-]/.test(arg)) break;
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    if (eq > 0) flags.set(body.slice(0, eq), body.slice(eq + 1));
    else if (booleans.has(body)) flags.set(body, "true");
    else if (i + 1 < args.length) flags.set(body, args[++i]!);
  }
  return flags;
}

const expandEnv = (text: string, env: ReadonlyMap<string, string>) =>
  text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, fallback?: string) => env.get(name) ?? fallback ?? "");

export function buildLokiModel(launch: Launch, files: ReadonlyMap<string, string | undefined>, env: ReadonlyMap<string, string>): LokiModel | "unknown" {
  const flags = goFlags(launch.kind === "server" ? launch.args : [], new Set(["config.expand-env", "compactor.retention-enabled"]));
  const configFile = flags.get("config.file") ?? IMAGE_CONFIG;
  if (launch.kind !== "server") return { configFile, startupError: `the container does not start loki (it runs ${launch.argv.join(" ") || "nothing"})` };
  let doc: PropRecord = {};
  if (files.has(configFile)) {
    const text = files.get(configFile);
    if (text === undefined) return "unknown";
    try {
      doc = asRecord(parse(flags.get("config.expand-env") === "true" ? expandEnv(text, env) : text) as unknown) ?? {};
    } catch (err) {
      return { configFile, startupError: `failed parsing config ${configFile}: ${(err as Error).message.split("\n")[0]}` };
    }
  } else if (configFile !== IMAGE_CONFIG) {
    return { configFile, startupError: `failed parsing config: open ${configFile}: no such file or directory` };
  }
  // Loki's server block (dskit server.Config): flags after the file, as for every other setting.
  const server = asRecord(doc.server) ?? {};
  const portText = flags.get("server.http-listen-port") ?? String(server.http_listen_port ?? 3100);
  if (!/^\d+$/.test(portText)) return { configFile, startupError: `invalid server.http_listen_port "${portText}"` };
  const tls = Boolean(flags.get("server.http-tls-cert-path") ?? asString(asRecord(server.http_tls_config)?.cert_file));
  const http = { port: Number(portText), tls };
  const compactor = asRecord(doc.compactor) ?? {};
  const enabledFlag = flags.get("compactor.retention-enabled");
  const enabled = enabledFlag !== undefined ? enabledFlag === "true" : asBoolean(compactor.retention_enabled) === true;
  const periodText = flags.get("store.retention") ?? asString(asRecord(doc.limits_config)?.retention_period) ?? "0s";
  const period = promDurationSeconds(periodText);
  if (period === undefined) return { configFile, http, startupError: `invalid retention_period "${periodText}"` };
  if (enabled && !asString(compactor.delete_request_store)) {
    return { configFile, http, startupError: "compactor.delete-request-store should be configured when retention is enabled" };
  }
  const source = files.has(configFile) ? configFile : `the image's ${IMAGE_CONFIG}`;
  if (!enabled) return { configFile, http, noRetentionBecause: `compactor retention is not enabled (${enabledFlag !== undefined ? "-compactor.retention-enabled on the command line" : source})` };
  if (period === 0) return { configFile, http, noRetentionBecause: `retention_period is 0 (${flags.has("store.retention") ? "-store.retention on the command line" : source})` };
  // Per-stream retention (docs "Log retention", pkg/compactor/retention/expiration.go): a stream
  // matching a retention_stream selector is kept for that entry's period (the highest priority
  // wins), whatever retention_period says; only the others fall back to retention_period.
  let shortestStream: { selector: string; seconds: number } | undefined;
  for (const raw of asArray(asRecord(doc.limits_config)?.retention_stream)) {
    const entry = asRecord(raw) ?? {};
    const selector = asString(entry.selector) ?? "";
    const seconds = promDurationSeconds(String(entry.period ?? ""));
    if (seconds === undefined) return { configFile, http, startupError: `invalid retention_stream period "${String(entry.period)}" for ${selector}` };
    if (seconds > 0 && seconds < period && (shortestStream === undefined || seconds < shortestStream.seconds)) shortestStream = { selector, seconds };
  }
  return { configFile, http, retentionSeconds: period, ...(shortestStream ? { shortestStream } : {}) };
}

const isLoki = (word: string) => /(^|\/)loki$/.test(word);

/** The Loki model of a container; undecidable while its config file's content or command line is unknown. */
export function lokiModelOf(container: { readonly props: PropRecord }): LokiModel {
  const inputs = containerInputs(container);
  if (inputs.unknownArgv) undecidable("command");
  const model = memoized("loki", inputsKey(inputs), () =>
    buildLokiModel(containerLaunch(inputs.entrypoints, inputs.command, IMAGE, { isServer: isLoki }, inputs.env), inputs.files, inputs.env));
  if (model === "unknown") undecidable("uploads[loki config].content");
  return model;
}

// How the official postgres image (and images built FROM it) starts the server, from the container's
// inputs: Docker's entrypoint/command rules, a `sh -c '… exec docker-entrypoint.sh "$@"' --` wrapper,
// docker-entrypoint.sh (an argument starting with "-" means `postgres …`), PGDATA, and on first start
// initdb with POSTGRES_INITDB_ARGS (-A/--auth, --auth-host, --auth-local, -c/--set) followed by the
// line `host all all all <POSTGRES_HOST_AUTH_METHOD, else password_encryption>` appended to
// $PGDATA/pg_hba.conf. Those generated files are what the server reads unless config_file/hba_file
// point elsewhere.
import * as path from "node:path";
import { parseShell, spreadArgs } from "../shell-words";

export const DEFAULT_PGDATA = "/var/lib/postgresql/data";
const IMAGE_ENTRYPOINT = ["docker-entrypoint.sh"];
const IMAGE_CMD = ["postgres"];

export interface ImageLaunch {
  /** The postmaster's argv after `postgres`, or undefined when the container does not start PostgreSQL. */
  readonly serverArgv?: readonly string[];
  /** docker-entrypoint.sh runs first (and initializes an empty data directory). */
  readonly viaEntrypoint: boolean;
  /** What the container runs, for messages. */
  readonly description: string;
}

const basename = (word: string) => path.posix.basename(word);

/**
 * The process the container runs, followed through shell wrappers to the server. Docker drops the
 * image's CMD when the container sets its own entrypoint.
 */
export function imageLaunch(entrypoints: readonly string[] | undefined, command: readonly string[] | undefined): ImageLaunch {
  let argv = [...(entrypoints ?? IMAGE_ENTRYPOINT), ...(command ?? (entrypoints ? [] : IMAGE_CMD))];
  const description = argv.join(" ");
  for (let hop = 0; hop < 5; hop++) {
    const program = basename(argv[0] ?? "");
    if ((program === "sh" || program === "bash" || program === "dash") && argv[1] === "-c" && argv[2] !== undefined) {
      const positional = argv.slice(4);
      const commands = parseShell(argv[2], { positional });
      const exec = commands.find((c) => c.words[0]?.text === "exec");
      if (!exec) return { viaEntrypoint: false, description };
      argv = spreadArgs(exec.words.slice(1), positional).map((w) => w.text);
      continue;
    }
    if (program === "docker-entrypoint.sh") {
      const rest = argv.slice(1);
      const server = rest[0]?.startsWith("-") ? ["postgres", ...rest] : rest;
      return basename(server[0] ?? "") === "postgres"
        ? { serverArgv: server.slice(1), viaEntrypoint: true, description }
        : { viaEntrypoint: true, description };
    }
    if (program === "postgres") return { serverArgv: argv.slice(1), viaEntrypoint: false, description };
    if (program === "gosu" || program === "su-exec") {
      argv = argv.slice(2);
      continue;
    }
    return { viaEntrypoint: false, description };
  }
  return { viaEntrypoint: false, description };
}

export interface InitdbOptions {
  readonly authLocal: string;
  readonly authHost: string;
  /** -c/--set name=value (PostgreSQL 16): written into the generated postgresql.conf. */
  readonly settings: ReadonlyArray<readonly [string, string]>;
}

/** POSTGRES_INITDB_ARGS as initdb reads them (the entrypoint evals the string into words). */
export function initdbOptions(initdbArgs: string | undefined): InitdbOptions {
  const words = parseShell(initdbArgs ?? "").flatMap((c) => c.words.map((w) => w.text));
  let auth: string | undefined;
  let authLocal: string | undefined;
  let authHost: string | undefined;
  const settings: Array<[string, string]> = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const value = (prefix: string) => (w === prefix ? words[++i] : w.slice(prefix.length + 1));
    if (w === "-A" || w.startsWith("--auth=")) auth = value(w === "-A" ? "-A" : "--auth");
    else if (/^-A./.test(w)) auth = w.slice(2);
    else if (w === "--auth-local" || w.startsWith("--auth-local=")) authLocal = value("--auth-local");
    else if (w === "--auth-host" || w.startsWith("--auth-host=")) authHost = value("--auth-host");
    else if (w === "-c" || w === "--set" || w.startsWith("--set=") || /^-c./.test(w)) {
      const assignment = w === "-c" || w === "--set" ? words[++i] : w.startsWith("--set=") ? w.slice(6) : w.slice(2);
      const eq = assignment?.indexOf("=") ?? -1;
      if (assignment && eq > 0) settings.push([assignment.slice(0, eq).toLowerCase(), assignment.slice(eq + 1)]);
    }
  }
  // initdb's default for both is trust (it warns about it).
  return { authLocal: authLocal ?? auth ?? "trust", authHost: authHost ?? auth ?? "trust", settings };
}

const quoteConf = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** $PGDATA/postgresql.conf as initdb writes it in the official image (listen_addresses = '*'). */
export function initdbPostgresqlConf(options: InitdbOptions): string {
  const lines = [
    "listen_addresses = '*'",
    "max_connections = 100",
    "shared_buffers = 128MB",
    "dynamic_shared_memory_type = posix",
    "max_wal_size = 1GB",
    "min_wal_size = 80MB",
    "log_timezone = 'Etc/UTC'",
    "datestyle = 'iso, mdy'",
    "timezone = 'Etc/UTC'",
    "default_text_search_config = 'pg_catalog.english'",
    ...options.settings.map(([name, value]) => `${name} = ${quoteConf(value)}`),
  ];
  return `${lines.join("\n")}\n`;
}

/** $PGDATA/pg_hba.conf: initdb's template, then the entrypoint's catch-all host line. */
export function initdbPgHbaConf(options: InitdbOptions, hostAuthMethod: string): string {
  const local = options.authLocal;
  const host = options.authHost;
  return [
    `local all all ${local}`,
    `host all all 127.0.0.1/32 ${host}`,
    `host all all ::1/128 ${host}`,
    `local replication all ${local}`,
    `host replication all 127.0.0.1/32 ${host}`,
    `host replication all ::1/128 ${host}`,
    "",
    `host all all all ${hostAuthMethod}`,
    "",
  ].join("\n");
}

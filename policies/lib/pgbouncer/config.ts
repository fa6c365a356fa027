// pgbouncer.ini as PgBouncer 1.18+ loads it (usual/cfparser.c, loader.c): "[section]" headers,
// "key = value" with the value running to the end of the line (no inline comments: "transaction ;
// note" is an invalid pool_mode and PgBouncer refuses to start), whole-line ; and # comments,
// "%include FILE" in place; the last assignment of a key wins. [databases] entries are libpq-style
// connection strings whose pool_mode / pool_size / reserve_pool / max_db_connections / user /
// auth_user override the global settings for that database, and [users] entries override pool_mode
// per user (user, then database, then global decides). Proven against SHOW CONFIG and SHOW DATABASES
// of PgBouncer 1.18 (tests/servers/pgbouncer-model.test.ts).
import { resolveFrom, type ServerFiles } from "../server-files";
import { UNKNOWN } from "../unknowns";

/** Global settings the pack judges, with PgBouncer 1.18's defaults (SHOW CONFIG's `default`). */
export const PGBOUNCER_DEFAULTS: Readonly<Record<string, string>> = {
  listen_addr: "",
  listen_port: "6432",
  unix_socket_dir: "/tmp",
  auth_type: "md5",
  auth_file: "",
  auth_user: "",
  auth_query: "SELECT rolname, CASE WHEN rolvaliduntil < now() THEN NULL ELSE rolpassword END FROM pg_authid WHERE rolname=$1 AND rolcanlogin",
  pool_mode: "session",
  max_client_conn: "100",
  default_pool_size: "20",
  min_pool_size: "0",
  reserve_pool_size: "0",
  max_db_connections: "0",
  max_user_connections: "0",
  client_tls_sslmode: "disable",
  client_tls_protocols: "secure",
  server_tls_sslmode: "disable",
  server_tls_protocols: "secure",
  admin_users: "",
  stats_users: "",
};

const POOL_MODES: ReadonlySet<string> = new Set(["session", "transaction", "statement"]);
const AUTH_TYPES: ReadonlySet<string> = new Set(["any", "trust", "plain", "md5", "cert", "hba", "pam", "scram-sha-256"]);
const SSL_MODES: ReadonlySet<string> = new Set(["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]);
const DATABASE_KEYS: ReadonlySet<string> = new Set([
  "dbname", "host", "port", "user", "password", "auth_user", "pool_size", "min_pool_size", "reserve_pool", "connect_query",
  "pool_mode", "max_db_connections", "client_encoding", "datestyle", "timezone", "application_name", "auth_dbname",
]);

export interface PgbouncerDatabase {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  /** The connection-string keys as written. */
  readonly params: ReadonlyMap<string, string>;
}

export interface PgbouncerConfig {
  /** Global [pgbouncer] settings as written (last wins), lower-case keys. */
  readonly settings: ReadonlyMap<string, string>;
  readonly databases: readonly PgbouncerDatabase[];
  /** [users] entries: user -> its connection-string keys. */
  readonly users: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Why PgBouncer refuses to start ("cannot load config file"). */
  readonly errors: readonly string[];
  /** Included files whose content is unknown at preview. */
  readonly unknownFiles: readonly string[];
  /** The effective global setting (written, else the default). */
  get(key: string): string;
}

/** A libpq-style "k=v k2='v 2'" string; undefined when it does not parse. */
export function parseConnString(text: string): Map<string, string> | undefined {
  const params = new Map<string, string>();
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|([^\s']*))/y;
  let rest = text.trim();
  while (rest !== "") {
    re.lastIndex = 0;
    const m = re.exec(rest);
    if (!m) return undefined;
    params.set(m[1]!.toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3]!);
    rest = rest.slice(m[0].length).trimStart();
  }
  return params;
}

const isInt = (v: string) => /^\d+$/.test(v);

function validateGlobal(key: string, value: string): string | undefined {
  const check: Record<string, (v: string) => boolean> = {
    pool_mode: (v) => POOL_MODES.has(v),
    auth_type: (v) => AUTH_TYPES.has(v),
    client_tls_sslmode: (v) => SSL_MODES.has(v),
    server_tls_sslmode: (v) => SSL_MODES.has(v),
    listen_port: isInt, max_client_conn: isInt, default_pool_size: isInt, min_pool_size: isInt,
    reserve_pool_size: isInt, max_db_connections: isInt, max_user_connections: isInt,
  };
  return check[key] && !check[key](value) ? `invalid value "${value}" for parameter ${key}` : undefined;
}

function validateDatabase(params: ReadonlyMap<string, string>): string | undefined {
  for (const [key, value] of params) {
    if (!DATABASE_KEYS.has(key)) return `unrecognized connection parameter: ${key}`;
    if (key === "pool_mode" && !POOL_MODES.has(value)) return `invalid pool_mode "${value}"`;
    if (["pool_size", "min_pool_size", "reserve_pool", "max_db_connections", "port"].includes(key) && !isInt(value)) return `invalid ${key} "${value}"`;
  }
  return undefined;
}

/** Loads `iniFile` and its includes. `cwd` resolves relative %include paths (PgBouncer opens them as given). */
export function loadPgbouncerConfig(files: ServerFiles, iniFile: string, cwd = "/"): PgbouncerConfig {
  const settings = new Map<string, string>();
  const databases = new Map<string, PgbouncerDatabase>();
  const users = new Map<string, ReadonlyMap<string, string>>();
  const errors: string[] = [];
  const unknownFiles: string[] = [];
  let section = "";
  const load = (file: string, depth: number) => {
    if (depth > 10) {
      errors.push(`%include nested too deep at ${file}`);
      return;
    }
    const text = files.read(file);
    if (text === undefined) {
      errors.push(`could not open config file "${file}"`);
      return;
    }
    if (text === UNKNOWN) {
      unknownFiles.push(file);
      return;
    }
    text.split("\n").forEach((raw, index) => {
      const line = raw.trim();
      const where = `(${file}:${index + 1})`;
      if (line === "" || line.startsWith("#") || line.startsWith(";")) return;
      const include = /^%include\s+(.+)$/.exec(line);
      if (include) {
        load(resolveFrom(`${cwd}/x`, include[1]!.trim()), depth + 1);
        return;
      }
      if (line.startsWith("[")) {
        const end = line.indexOf("]");
        if (end < 0) errors.push(`syntax error in configuration ${where}`);
        else section = line.slice(1, end).trim().toLowerCase();
        return;
      }
      const m = /^([A-Za-z0-9_.*-]+)[ \t]*=[ \t]*(.*)$/.exec(line);
      if (!m) {
        errors.push(`syntax error in configuration ${where}`);
        return;
      }
      const [, key, value] = m as unknown as [string, string, string];
      if (section === "databases") {
        const params = parseConnString(value);
        const problem = params === undefined ? "bad connection string" : validateDatabase(params);
        if (problem) errors.push(`invalid value "${value}" for parameter ${key} in configuration ${where}: ${problem}`);
        else databases.set(key, { name: key, file, line: index + 1, params: params! });
      } else if (section === "users") {
        const params = parseConnString(value);
        if (params === undefined || [...params.keys()].some((k) => k !== "pool_mode" && k !== "max_user_connections")) {
          errors.push(`invalid value "${value}" for user ${key} in configuration ${where}`);
        } else users.set(key, params);
      } else if (section === "pgbouncer") {
        const name = key.toLowerCase();
        const problem = validateGlobal(name, value);
        if (problem) errors.push(`${problem} in configuration ${where}`);
        settings.set(name, value);
      }
    });
  };
  load(iniFile, 0);
  return {
    settings,
    databases: [...databases.values()],
    users,
    errors,
    unknownFiles,
    get: (key) => settings.get(key) ?? PGBOUNCER_DEFAULTS[key] ?? "",
  };
}

/** What PgBouncer applies to one database (SHOW DATABASES' columns), and to a user's pool in it. */
export interface DatabasePooling {
  readonly database: PgbouncerDatabase;
  /** The pool mode of a pool of `user` (user, then database, then global). */
  poolMode(user?: string): string;
  readonly poolSize: number;
  readonly reservePool: number;
  /** 0 means unlimited. */
  readonly maxDbConnections: number;
  /** The role PgBouncer logs in to PostgreSQL as (user=), else the client's own. */
  readonly forceUser?: string;
  readonly host?: string;
  readonly port: number;
  /** The database name on the server (dbname=, else the entry's name). */
  readonly dbname: string;
}

export function databasePooling(config: PgbouncerConfig, database: PgbouncerDatabase): DatabasePooling {
  const p = database.params;
  const int = (value: string | undefined, fallback: string) => Number(value ?? fallback);
  return {
    database,
    poolMode: (user) => config.users.get(user ?? "")?.get("pool_mode") ?? p.get("pool_mode") ?? config.get("pool_mode"),
    poolSize: int(p.get("pool_size"), config.get("default_pool_size")),
    reservePool: int(p.get("reserve_pool"), config.get("reserve_pool_size")),
    maxDbConnections: int(p.get("max_db_connections"), config.get("max_db_connections")),
    forceUser: p.get("user"),
    host: p.get("host"),
    port: int(p.get("port"), "5432"),
    dbname: p.get("dbname") ?? database.name,
  };
}

/** The TLS protocol versions a *_tls_protocols value allows ("secure" = 1.2 and 1.3; "all"/"legacy" = every one). */
export function tlsProtocols(value: string): string[] {
  const all = ["tlsv1.0", "tlsv1.1", "tlsv1.2", "tlsv1.3"];
  return value.toLowerCase().split(/[\s,:]+/).filter((v) => v !== "").flatMap((v) => {
    if (v === "secure" || v === "default") return ["tlsv1.2", "tlsv1.3"];
    if (v === "all" || v === "legacy") return all;
    return [v];
  });
}

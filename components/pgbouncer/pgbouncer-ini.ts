// pgbouncer.ini and its userlist (PgBouncer 1.18+). Pure renderers.
// The ini carries no secret (a policy reads it at preview); the auth user's password lives only in
// the userlist. App roles are looked up through auth_query, so their verifiers never leave Postgres.

export interface PoolSizingArgs {
  /** Postgres max_connections. */
  postgresMaxConnections: number;
  /** Postgres superuser_reserved_connections. Default 3. */
  superuserReservedConnections?: number;
  /** Direct (non-pooled) connections kept free for other clients. */
  headroom?: {
    /** Operators with psql. Default 2. */
    admin?: number;
    /** Django migrations run directly against Postgres (DDL under transaction pooling is unsafe). Default 2. */
    migrations?: number;
    /** postgres_exporter. Default 2. */
    monitoring?: number;
    /** pgBackRest backup/check. Default 2. */
    backups?: number;
  };
  /** Client connections PgBouncer accepts. Default 10 per server connection, at least 100. */
  maxClientConn?: number;
}

export interface PoolSizes {
  /** Server connections PgBouncer may open to the database: what Postgres can spare. */
  maxDbConnections: number;
  /** Per (database, user) pool; together with the reserve it stays within maxDbConnections. */
  defaultPoolSize: number;
  /** Extra connections granted after reserve_pool_timeout to absorb bursts. */
  reservePoolSize: number;
  maxClientConn: number;
}

/**
 * Server connections PgBouncer may hold for auth_query lookups. A lookup is one short query, and
 * PgBouncer runs it on an ordinary pool of (database, auth_user) that would otherwise grow to
 * default_pool_size + reserve_pool_size; capped (max_user_connections), lookups queue on these
 * few connections instead, and the rest of max_db_connections stays with the app.
 */
export const AUTH_POOL_SIZE = 4;

/**
 * CONNECTION LIMIT for the auth_user's role: PgBouncer's cap plus as many again, so that every auth
 * connection can be replaced (server_idle_timeout, server_lifetime, eviction) while PostgreSQL still
 * counts the old backend until it has exited. Below the cap, a login storm gets "too many
 * connections for role" from PostgreSQL.
 */
export function authRoleConnectionLimit(authPoolSize: number = AUTH_POOL_SIZE): number {
  return authPoolSize * 2;
}

/** Pool sizes that can never make Postgres refuse connections for lack of slots. */
export function derivePoolSizes(args: PoolSizingArgs): PoolSizes {
  const h = { admin: 2, migrations: 2, monitoring: 2, backups: 2, ...args.headroom };
  const reserved = (args.superuserReservedConnections ?? 3) + h.admin + h.migrations + h.monitoring + h.backups;
  const maxDbConnections = args.postgresMaxConnections - reserved;
  if (maxDbConnections < 2) {
    throw new RangeError(`max_connections ${args.postgresMaxConnections} leaves ${maxDbConnections} for PgBouncer after ${reserved} reserved; raise it`);
  }
  const reservePoolSize = Math.max(1, Math.floor(maxDbConnections / 10));
  return {
    maxDbConnections,
    defaultPoolSize: maxDbConnections - reservePoolSize,
    reservePoolSize,
    maxClientConn: args.maxClientConn ?? Math.max(100, maxDbConnections * 10),
  };
}

export interface PgbouncerIniArgs {
  /** Default "0.0.0.0" (inside its container, on the data network). */
  listenAddr?: string;
  /** Default 6432. */
  listenPort?: number;
  /** The one database clients may ask for; `alias` is what clients name (default dbname). */
  database: { dbname: string; host: string; port?: number; alias?: string };
  /** Role PgBouncer logs in as to run auth_query. */
  authUser: string;
  /** e.g. pgbouncerAuthQuery() from components/postgres/pgbouncer-auth-sql. */
  authQuery: string;
  /** max_user_connections of authUser: the auth lookups' own pool. Default AUTH_POOL_SIZE. */
  authPoolSize?: number;
  /** Path of the userlist rendered by renderPgbouncerUserlist. */
  authFile: string;
  clientTls: { certFile: string; keyFile: string };
  /** CA that signed the Postgres server certificate (server_tls_sslmode = verify-full). */
  serverTls: { caFile: string };
  pool: PoolSizes;
  /** May run SHOW/admin commands on the pgbouncer console. Default none. */
  adminUsers?: string[];
  /** May run SHOW commands (the exporter). Default none. */
  statsUsers?: string[];
  /** Default "" (no unix socket: clients come over TCP with TLS). */
  unixSocketDir?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const HOST = /^[A-Za-z0-9_.:-]+$/;

function checkName(what: string, value: string): string {
  if (!NAME.test(value)) throw new Error(`${what} must be a plain name, got ${JSON.stringify(value)}`);
  return value;
}

function checkHost(host: string): string {
  if (!HOST.test(host)) throw new Error(`database host must be a host name or IP address, got ${JSON.stringify(host)}`);
  return host;
}

function checkLine(what: string, value: string): string {
  if (/[\n\r]/.test(value)) throw new Error(`${what} must be one line`);
  return value;
}

export function renderPgbouncerIni(args: PgbouncerIniArgs): string {
  const db = args.database;
  const { pool } = args;
  if (pool.defaultPoolSize + pool.reservePoolSize > pool.maxDbConnections) {
    throw new RangeError("default_pool_size + reserve_pool_size must not exceed max_db_connections");
  }
  const alias = checkName("database alias", db.alias ?? db.dbname);
  const target = `host=${checkHost(db.host)} port=${db.port ?? 5432} dbname=${checkName("dbname", db.dbname)}`;
  const settings: Array<[string, string | number]> = [
    ["listen_addr", checkLine("listenAddr", args.listenAddr ?? "0.0.0.0")],
    ["listen_port", args.listenPort ?? 6432],
    ["unix_socket_dir", checkLine("unixSocketDir", args.unixSocketDir ?? "")],
    ["", "; Authentication: SCRAM, app roles looked up in Postgres through a SECURITY DEFINER function"],
    ["auth_type", "scram-sha-256"],
    ["auth_file", checkLine("authFile", args.authFile)],
    ["auth_user", checkName("authUser", args.authUser)],
    ["auth_query", checkLine("authQuery", args.authQuery)],
    ["", "; Pooling: transaction mode, so the app must set the tenant per transaction (set_config(..., true))"],
    ["pool_mode", "transaction"],
    ["max_client_conn", pool.maxClientConn],
    ["default_pool_size", pool.defaultPoolSize],
    ["reserve_pool_size", pool.reservePoolSize],
    ["reserve_pool_timeout", 3],
    ["max_db_connections", pool.maxDbConnections],
    ["server_reset_query", ""],
    ["ignore_startup_parameters", "extra_float_digits"],
    ["query_wait_timeout", 30],
    ["server_idle_timeout", 300],
    ["", "; TLS both ways: clients must use it, and the server certificate is verified"],
    ["client_tls_sslmode", "require"],
    ["client_tls_cert_file", checkLine("clientTls.certFile", args.clientTls.certFile)],
    ["client_tls_key_file", checkLine("clientTls.keyFile", args.clientTls.keyFile)],
    ["client_tls_protocols", "tlsv1.2,tlsv1.3"],
    ["server_tls_sslmode", "verify-full"],
    ["server_tls_ca_file", checkLine("serverTls.caFile", args.serverTls.caFile)],
    ["server_tls_protocols", "tlsv1.2,tlsv1.3"],
    ["", "; Console access for operators and the metrics exporter"],
    ["admin_users", (args.adminUsers ?? []).map((u) => checkName("admin user", u)).join(",")],
    ["stats_users", (args.statsUsers ?? []).map((u) => checkName("stats user", u)).join(",")],
    ["", "; Logging (stderr: the container runtime collects it)"],
    ["log_connections", 1],
    ["log_disconnections", 1],
    ["log_pooler_errors", 1],
    ["stats_period", 60],
  ];
  const body = settings.map(([k, v]) => (k === "" ? `\n${v}` : `${k} = ${v}`)).join("\n");
  const authPoolSize = args.authPoolSize ?? AUTH_POOL_SIZE;
  if (!Number.isInteger(authPoolSize) || authPoolSize < 1) throw new RangeError("authPoolSize must be a whole number of at least 1");
  return `; Generated by the jewelry-shop Pulumi program; do not edit by hand.
[databases]
${alias} = ${target}

[pgbouncer]
${body}

[users]
; auth_query lookups share this many server connections (see AUTH_POOL_SIZE)
${args.authUser} = max_user_connections=${authPoolSize}
`;
}

export interface UserlistEntry {
  user: string;
  /** Plain text for the auth_user (PgBouncer must log in with it), or a SCRAM verifier. */
  password: string;
}

/** auth_file contents: `"user" "password"` lines, double quotes doubled as PgBouncer expects. */
export function renderPgbouncerUserlist(entries: UserlistEntry[]): string {
  const quote = (s: string): string => {
    if (/[\n\r]/.test(s)) throw new Error("userlist values must be one line");
    return `"${s.replace(/"/g, '""')}"`;
  };
  return entries.map((e) => `${quote(e.user)} ${quote(e.password)}`).join("\n") + "\n";
}

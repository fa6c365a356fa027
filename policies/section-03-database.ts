// Checklist section 3, Database Configuration: PostgreSQL version and hardening, the app database
// and role, row-level security on tenant tables, and PgBouncer between the app and PostgreSQL.
// Every rule asks the server models (lib/postgres, lib/pgbouncer): the configuration each server
// really runs with, the pg_hba.conf record that answers each class of client, the role a session
// really gets, and the pool each database entry really has.
import type { PolicyResource } from "@pulumi/policy";
import { containerHostNames, containerImage, containerName, containerService, imageMajorVersion } from "./lib/containers";
import { checklistFramework, resourcePolicy, stackPolicy } from "./lib/framework";
import { appSettingValue } from "./lib/app-settings";
import { databasePooling, tlsProtocols } from "./lib/pgbouncer/config";
import { pgbouncerServer, type PgbouncerServerModel } from "./lib/pgbouncer/server";
import { appConnection, bouncerRoute, connectionMayHide, isMigrationJob, servingApps, type BouncerRoute } from "./lib/postgres/app-connections";
import { answerEveryClient } from "./lib/postgres/client-classes";
import { roleGraph, SERVER_ACCESS_ROLES, type RoleGraph } from "./lib/postgres/roles";
import { postgresServer, type PostgresServerModel } from "./lib/postgres/server";
import { CONTAINER, DYNAMIC_RESOURCE, PG_DATABASE } from "./lib/resource-types";
import { configValue } from "./lib/stack-context";
import { appContainers, ofType, serviceContainers } from "./lib/stack-resources";
import { tablePrivilegeGrants } from "./lib/postgres/table-privileges";
import { undecidable } from "./lib/unknowns";
import { asArray, asRecord, asString } from "./lib/values";

export { imageMajorVersion, isMigrationJob };

export const postgresVersion15Plus = resourcePolicy({
  name: "postgres-version-15-plus",
  description: "PostgreSQL containers run an image whose tag states major version 15 or later.",
  severity: "high",
  remediationSteps: "Use a postgres image tagged with its version, 15 or later (e.g. postgres:16.6-bookworm).",
  framework: checklistFramework("3.1"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    if (containerService(args.props) !== "postgres") return;
    const image = containerImage(args.props);
    const major = imageMajorVersion(image);
    if (major === undefined) report(`the image tag "${image.tag ?? ""}" states no PostgreSQL version.`);
    else if (major < 15) report(`PostgreSQL ${major} is older than 15.`);
  },
});

/**
 * The only pg_hba.conf methods that may answer a client: a SCRAM password check, a client
 * certificate, or a refusal (client-authentication.html). Every other method is weaker: trust asks
 * nothing; password, md5, ldap, radius and pam take a password in clear or as an MD5 hash; peer
 * takes the connecting OS user's name (a socket folder shared through a volume lets another
 * container's process with the postgres uid in as the superuser), and ident believes whatever name
 * the client host's identd reports. Proven against PostgreSQL 15: a `local all postgres peer` or a
 * `host … ident` record (a stand-in identd on the client's port 113) let the superuser in with no password.
 */
export const STRONG_HBA_METHODS: ReadonlySet<string> = new Set(["scram-sha-256", "cert", "reject"]);
/** Why a less obvious method is weak, for the message. */
const WEAK_METHOD_REASONS: Readonly<Record<string, string>> = {
  peer: "the connecting OS user's name, no password",
  ident: "the user name the client host's identd claims, no password",
  ldap: "a clear-text password checked elsewhere",
  radius: "a clear-text password checked elsewhere",
  pam: "a clear-text password checked elsewhere",
};
/** TLS versions by rank, for ssl_min_protocol_version. */
const TLS_RANK: Readonly<Record<string, number>> = { TLSv1: 0, "TLSv1.1": 1, "TLSv1.2": 2, "TLSv1.3": 3 };

/** The PostgreSQL servers of the stack with their models. */
export function postgresServers(resources: readonly PolicyResource[]): PostgresServerModel[] {
  return serviceContainers(resources, "postgres").map(postgresServer);
}

/** Roles of the stack, with every PostgreSQL container's bootstrap superuser. */
export function stackRoles(resources: readonly PolicyResource[]): RoleGraph {
  const superusers = postgresServers(resources).map((s) => s.superuser);
  return roleGraph(resources, superusers.length > 0 ? superusers : ["postgres"]);
}

/** Reports why a server would not start; true when it would. */
function reportStartup(server: PostgresServerModel, report: (message: string, urn?: string) => void): boolean {
  for (const error of server.startupErrors) report(`PostgreSQL ${containerName(server.container)} would not start: ${error}.`, server.container.urn);
  return server.startupErrors.length === 0;
}

export const postgresConfigHardened = stackPolicy({
  name: "postgres-config-hardened",
  description:
    "Every PostgreSQL server starts with its configuration as PostgreSQL resolves it (every included file, postgresql.auto.conf, " +
    "command-line options and the image's initdb/entrypoint settings) giving password_encryption scram-sha-256, ssl on with " +
    "ssl_min_protocol_version TLSv1.2 or later, and a pg_hba.conf (with its includes, first match wins) in which no client — unix " +
    "socket, TLS or plain TCP from any address, any role, any database — is answered by a method other than scram-sha-256 or cert " +
    "(trust, password, md5, peer, ident, ldap …), and no plain TCP client is accepted.",
  severity: "critical",
  remediationSteps:
    "Thresholds: password_encryption = scram-sha-256; ssl = on; ssl_min_protocol_version >= 'TLSv1.2'; in pg_hba.conf only scram-sha-256, " +
    "cert or reject may answer a client, and `hostnossl all all all reject` must come before any host record. Check included files " +
    "(include, include_dir, postgresql.auto.conf) and the container's command (-c/--name=value), which override postgresql.conf.",
  framework: checklistFramework("3.1"),
  validateStack: (args, report, stack) => {
    const roles = stackRoles(args.resources);
    for (const server of postgresServers(args.resources)) {
      const urn = server.container.urn;
      const name = containerName(server.container);
      if (!reportStartup(server, report)) continue;
      if (server.uncertain.length > 0) undecidable(server.uncertain[0]!);
      const setting = (key: string) => server.settings.get(key);
      const where = (key: string) => {
        const s = setting(key);
        return s.source === "configuration file" ? `${s.file} line ${s.line}` : s.source === "command line" ? "the command line" : "the built-in default";
      };
      if (setting("password_encryption").value !== "scram-sha-256") report(`PostgreSQL ${name}: password_encryption is ${setting("password_encryption").raw} (${where("password_encryption")}); scram-sha-256 is required.`, urn);
      if (setting("ssl").value !== true) report(`PostgreSQL ${name}: ssl is ${setting("ssl").raw} (${where("ssl")}), so no client can use TLS.`, urn);
      const minimum = String(setting("ssl_min_protocol_version").value);
      if ((TLS_RANK[minimum] ?? 0) < TLS_RANK["TLSv1.2"]!) report(`PostgreSQL ${name}: ssl_min_protocol_version is ${minimum} (${where("ssl_min_protocol_version")}); TLSv1.2 or later is required.`, urn);

      const answers = answerEveryClient(server.hba, {
        databases: [configuredDatabaseName(stack), ...ofType(args.resources, PG_DATABASE).map((d) => asString(d.props.name) ?? "")],
        users: [...roles.names, server.superuser],
        listenAddresses: String(setting("listen_addresses").value ?? ""),
      }, roles.isMember);
      const reported = new Set<string>();
      for (const { client, record } of answers) {
        if (!record) continue;
        const at = `${record.file} line ${record.line}`;
        if (!STRONG_HBA_METHODS.has(record.method) && !reported.has(`${at}|weak`)) {
          reported.add(`${at}|weak`);
          const why = WEAK_METHOD_REASONS[record.method];
          report(`PostgreSQL ${name}: pg_hba.conf (${at}) answers ${client.label} with ${record.method}${why ? ` (${why})` : ""}; only scram-sha-256, cert or reject may.`, urn);
        }
        if (client.connection.transport === "tcp" && !client.connection.tls && record.method !== "reject" && !reported.has(`${at}|plain`)) {
          reported.add(`${at}|plain`);
          report(`PostgreSQL ${name}: pg_hba.conf (${at}, ${record.type}) accepts ${client.label}: TCP connections without TLS must be rejected.`, urn);
        }
      }
    }
  },
});

/** The app database name from config `jewelry-shop:postgres` (default jewelry_shop). */
export function configuredDatabaseName(stack: Parameters<typeof configValue>[0]): string {
  return asString(asRecord(configValue(stack, "postgres"))?.database) ?? "jewelry_shop";
}

/** The PgBouncer containers of the stack with their models and the names they answer to. */
function bouncerModels(resources: readonly PolicyResource[]): Array<{ names: ReadonlySet<string>; model: PgbouncerServerModel }> {
  return serviceContainers(resources, "pgbouncer").map((c) => ({ names: containerHostNames(c.props), model: pgbouncerServer(c) }));
}

export const appDatabaseDeclared = stackPolicy({
  name: "app-database-declared",
  description:
    "The stack declares the app database under the configured name (jewelry-shop:postgres.database) and every app container's " +
    "connection reaches that database on the server (through PgBouncer, the [databases] entry's dbname decides).",
  severity: "high",
  remediationSteps:
    "Declare a postgresql.Database named as config jewelry-shop:postgres.database says, set DB_NAME (or the DATABASE_URL path) of the " +
    "app containers to it, and let PgBouncer's [databases] entry for it keep dbname= the same name.",
  framework: checklistFramework("3.2"),
  validateStack: (args, report, stack) => {
    const expected = configuredDatabaseName(stack);
    const names = ofType(args.resources, PG_DATABASE).map((d) => asString(d.props.name));
    if (!names.includes(expected)) report(`no postgresql Database named "${expected}" (declared: ${names.join(", ") || "none"}).`);
    const bouncers = bouncerModels(args.resources);
    for (const app of appContainers(args.resources)) {
      const connection = appConnection(app);
      if (connection.name === undefined) continue;
      const route = bouncerRoute(connection, bouncers);
      const server = route?.serverDatabase ?? connection.name;
      if (server !== expected) {
        const via = route?.serverDatabase !== undefined && route.serverDatabase !== connection.name ? ` (PgBouncer's entry "${route.entry?.database.name}" sends "${connection.name}" to "${server}")` : "";
        report(`"${app.resource.name}" connects to database "${server}"${via}, not "${expected}".`, app.resource.urn);
      }
    }
  },
});


/** The role a serving app's sessions really run as on PostgreSQL (PgBouncer's user= forces one). */
function serverRole(user: string, route: BouncerRoute | undefined): { role: string; forced: boolean } {
  const forced = route?.entry?.forceUser;
  return forced !== undefined && forced !== user ? { role: forced, forced: true } : { role: user, forced: false };
}

export const appRoleLeastPrivilege = stackPolicy({
  name: "app-role-least-privilege",
  description:
    "The database role every serving app container (web, worker, beat; not the migration job) really runs as — the role it names, or " +
    "the one its PgBouncer entry forces with user= — is declared, and neither it nor any role it reaches through memberships " +
    "(Role.roles, GrantRole) is superuser, creates databases or roles, bypasses row-level security, replicates, reads or writes " +
    "server files, or owns the app database; and no Grant or DefaultPrivileges gives it (or PUBLIC, or a role it reaches) TRUNCATE " +
    "on a tenant table, which row-level security does not filter.",
  severity: "critical",
  remediationSteps:
    "Declare the app's login role with superuser, createDatabase, createRole, bypassRowLevelSecurity and replication false and no " +
    "membership in a role that has them (nor in pg_execute_server_program, pg_read_server_files, pg_write_server_files, nor the " +
    "database owner); keep BYPASSRLS on the migration role only, used by the migrate job alone; no user= in PgBouncer's entry; " +
    "grant the app SELECT, INSERT, UPDATE and DELETE on tenant tables, never TRUNCATE or ALL (Grant and DefaultPrivileges, nor to PUBLIC).",
  framework: checklistFramework("3.3"),
  validateStack: (args, report, stack) => {
    const roles = stackRoles(args.resources);
    const database = configuredDatabaseName(stack);
    const tenantTables = configuredTenantTables(stack) ?? [];
    // The migration job creates the tables: only its role's default privileges reach them.
    const migrationRoles = appContainers(args.resources).filter((a) => isMigrationJob(a.resource.props)).map((a) => appConnection(a).user);
    const creators = migrationRoles.length > 0 && migrationRoles.every((r) => r !== undefined) ? new Set(migrationRoles as string[]) : undefined;
    const owners = new Set(ofType(args.resources, PG_DATABASE).map((d) => asString(d.props.owner)).filter((o): o is string => o !== undefined));
    const bouncers = bouncerModels(args.resources);
    const judged = new Map<string, { app: PolicyResource; forcedBy?: string }>();
    for (const app of servingApps(args.resources)) {
      const connection = appConnection(app);
      if (connection.user === undefined) {
        // The role may hide in an unknown DATABASE_URL: undecidable, not a pass.
        connectionMayHide(app);
        report(`"${app.resource.name}" names no database role (DB_USER or DATABASE_URL).`, app.resource.urn);
        continue;
      }
      const { role, forced } = serverRole(connection.user, bouncerRoute(connection, bouncers));
      if (!judged.has(role)) judged.set(role, { app: app.resource, forcedBy: forced ? connection.user : undefined });
    }
    for (const [roleName, { app, forcedBy }] of judged) {
      const role = roles.role(roleName);
      const label = forcedBy ? `the role "${roleName}" (PgBouncer logs "${app.name}" in as it instead of "${forcedBy}")` : `the app role "${roleName}"`;
      if (!role) {
        report(`${label} (used by "${app.name}") is not declared as a postgresql Role, so its privileges are unchecked.`, app.urn);
        continue;
      }
      const urn = role.resource?.urn ?? app.urn;
      const attributes = roles.effectiveAttributes(roleName);
      const direct = attributes.filter((a) => a.via === roleName).map((a) => a.attribute);
      if (direct.length > 0) report(`${label} has ${direct.join(", ")}.`, urn);
      for (const { attribute, via } of attributes.filter((a) => a.via !== roleName)) {
        report(`${label} is a member of "${via}", which has ${attribute}: one SET ROLE gives the app ${attribute}.`, urn);
      }
      // TRUNCATE is not subject to row-level security (ddl-rowsecurity.html): proven against PostgreSQL
      // 15, one tenant's `TRUNCATE` through a FORCE'd policy emptied every tenant's rows.
      const holders = new Set([...roles.reachable(roleName), "public"]);
      const truncating = new Map<string, { how: string; grantee: string; tables: string[] }>();
      for (const t of tenantTables) {
        for (const grant of tablePrivilegeGrants(args.resources, database, t, creators)) {
          if (!holders.has(grant.grantee) || !grant.privileges.has("TRUNCATE")) continue;
          const seen = truncating.get(grant.resource.urn) ?? { how: grant.how, grantee: grant.grantee, tables: [] };
          seen.tables.push(`${t.schema}.${t.table}`);
          truncating.set(grant.resource.urn, seen);
        }
      }
      for (const [grantUrn, { how, grantee, tables }] of truncating) {
        const to = grantee === roleName ? "" : grantee === "public" ? " (granted to PUBLIC)" : ` (granted to "${grantee}", a role it is a member of)`;
        report(`${label} may TRUNCATE the tenant table(s) ${tables.join(", ")} through ${how}${to}: TRUNCATE is not subject to row-level security, so one tenant's session empties every tenant's rows.`, grantUrn);
      }
      for (const via of roles.reachable(roleName)) {
        if (SERVER_ACCESS_ROLES.has(via)) report(`${label} is a member of ${via}, which reads or runs files on the database server.`, urn);
        if (owners.has(via)) {
          report(via === roleName
            ? `${label} owns the database: owners bypass row-level security unless it is forced, and can switch it off.`
            : `${label} is a member of "${via}", which owns the database: it can switch row-level security off.`, urn);
        }
      }
    }
  },
});

interface TenantTable {
  readonly schema: string;
  readonly table: string;
  readonly tenantColumn: string;
}

const tableKey = (t: TenantTable) => `${t.schema}.${t.table}(${t.tenantColumn})`;

function toTenantTable(value: unknown): TenantTable | undefined {
  const t = asRecord(value);
  const table = asString(t?.table);
  if (!t || !table) return undefined;
  return { schema: asString(t.schema) ?? "public", table, tenantColumn: asString(t.tenantColumn) ?? "tenant_id" };
}

/** The tenant tables of config jewelry-shop:postgres.tenantTables; undefined when none or one is malformed. */
function configuredTenantTables(stack: Parameters<typeof configValue>[0]): TenantTable[] | undefined {
  const configured = asArray(asRecord(configValue(stack, "postgres"))?.tenantTables).map(toTenantTable);
  return configured.length === 0 || configured.some((t) => t === undefined) ? undefined : (configured as TenantTable[]);
}

/**
 * An RLS resource: a Node dynamic resource ("pulumi-nodejs:dynamic:Resource", or
 * "pulumi-nodejs:dynamic/<module>:<type>" when it names its type) whose inputs list tenant tables
 * and a tenant setting.
 */
const isRlsResource = (r: PolicyResource) =>
  (r.type === DYNAMIC_RESOURCE || r.type.startsWith(`${DYNAMIC_RESOURCE.split(":")[0]}:dynamic/`)) &&
  Array.isArray(r.props.tables) && r.props.settingName !== undefined;

export const rlsOnTenantTables = stackPolicy({
  name: "rls-on-tenant-tables",
  description: "Row-level security is declared for every tenant table listed in config jewelry-shop:postgres.tenantTables, on the same tenant column.",
  severity: "critical",
  remediationSteps: "List every tenant table in config jewelry-shop:postgres.tenantTables and declare the RLS resource (RowLevelSecurity) over exactly those tables.",
  framework: checklistFramework("3.4"),
  validateStack: (args, report, stack) => {
    const configured = configuredTenantTables(stack);
    if (configured === undefined) {
      report("config jewelry-shop:postgres.tenantTables must list the tenant tables ({ table, schema?, tenantColumn? }).");
      return;
    }
    const covered = new Set(
      args.resources.filter(isRlsResource)
        .flatMap((r) => asArray(r.props.tables).map(toTenantTable))
        .filter((t): t is TenantTable => t !== undefined)
        .map(tableKey),
    );
    const missing = configured.filter((t) => !covered.has(tableKey(t))).map(tableKey);
    if (missing.length > 0) report(`no row-level security declared for ${missing.join(", ")}.`);
  },
});

const CLIENT_TLS_MODES: ReadonlySet<string> = new Set(["require", "verify-ca", "verify-full"]);
const SERVER_TLS_MODES: ReadonlySet<string> = new Set(["verify-ca", "verify-full"]);
const STRONG_AUTH_TYPES: ReadonlySet<string> = new Set(["scram-sha-256", "cert"]);

/** Server connections PostgreSQL can give PgBouncer: max_connections minus the superuser and reserved slots. */
function postgresCapacity(server: PostgresServerModel): number {
  const int = (name: string, fallback: number) => {
    const value = server.settings.get(name).value;
    return typeof value === "number" ? value : fallback;
  };
  return int("max_connections", 100) - int("superuser_reserved_connections", 3) - int("reserved_connections", 0);
}

/** Judges one PgBouncer: pool mode of every entry and user override, auth, TLS both ways, pool sizes against its PostgreSQL. */
function judgeBouncer(model: PgbouncerServerModel, servers: ReadonlyArray<{ names: ReadonlySet<string>; model: PostgresServerModel }>, report: (message: string, urn?: string) => void): void {
  const { config, container } = model;
  const urn = container.urn;
  const name = `PgBouncer ${containerName(container)}`;
  for (const error of model.startupErrors) report(`${name} would not start: ${error}.`, urn);
  if (model.startupErrors.length > 0) return;
  if (config.unknownFiles.length > 0) undecidable(config.unknownFiles[0]!);
  const from = model.generatedFromEnv ? " (the image generates its ini from env)" : "";
  if (config.databases.length === 0) report(`${name} serves no database ([databases] is empty)${from}.`, urn);
  const entries = config.databases.map((d) => databasePooling(config, d));
  for (const entry of entries) {
    const mode = entry.poolMode();
    if (mode !== "transaction") report(`${name} pools database "${entry.database.name}" in ${mode} mode${entry.database.params.has("pool_mode") ? " (pool_mode= in its [databases] entry)" : from}, not transaction.`, urn);
  }
  for (const [user, params] of config.users) {
    const mode = params.get("pool_mode");
    if (mode !== undefined && mode !== "transaction") report(`${name} pools user "${user}" in ${mode} mode ([users] overrides every database), not transaction.`, urn);
  }
  const authType = config.get("auth_type");
  if (!STRONG_AUTH_TYPES.has(authType)) report(`${name} authenticates clients with auth_type ${authType}; scram-sha-256 (or cert) is required.`, urn);
  const clientTls = config.get("client_tls_sslmode");
  if (!CLIENT_TLS_MODES.has(clientTls)) report(`${name} has client_tls_sslmode ${clientTls}: clients may connect without TLS (require, verify-ca or verify-full needed).`, urn);
  const serverTls = config.get("server_tls_sslmode");
  if (!SERVER_TLS_MODES.has(serverTls)) report(`${name} has server_tls_sslmode ${serverTls}: it does not verify PostgreSQL's certificate (verify-ca or verify-full needed).`, urn);
  for (const key of ["client_tls_protocols", "server_tls_protocols"]) {
    const weak = tlsProtocols(config.get(key)).filter((p) => p === "tlsv1.0" || p === "tlsv1.1" || p === "tlsv1");
    if (weak.length > 0) report(`${name} allows ${weak.join(", ")} in ${key}; TLSv1.2 or later only.`, urn);
  }
  // Pool sizing: every entry's most server connections, summed per PostgreSQL server.
  const byServer = new Map<PostgresServerModel, Array<{ entry: string; connections: number }>>();
  for (const entry of entries) {
    const target = servers.find((s) => entry.host !== undefined && s.names.has(entry.host));
    if (!target) {
      if (entry.database.name !== "*") report(`${name} sends database "${entry.database.name}" to ${entry.host ?? "a unix socket"}, which is no PostgreSQL container of the stack.`, urn);
      continue;
    }
    // PgBouncer dials the entry's port= (5432 when absent); PostgreSQL listens on its effective `port`.
    const listening = target.model.settings.get("port").value;
    if (typeof listening === "number" && entry.port !== listening) {
      report(`${name} sends database "${entry.database.name}" to ${entry.host}:${entry.port}, but PostgreSQL ${containerName(target.model.container)} listens on port ${listening}: every server connection is refused.`, urn);
    }
    const perPool = entry.poolSize + entry.reservePool;
    const onePool = entry.forceUser !== undefined;
    const wildcard = entry.database.name === "*";
    const cap = entry.maxDbConnections > 0 ? entry.maxDbConnections : Infinity;
    const connections = wildcard && cap !== Infinity ? Infinity : Math.min(cap, onePool ? perPool : Infinity);
    const list = byServer.get(target.model) ?? [];
    list.push({ entry: entry.database.name, connections });
    byServer.set(target.model, list);
  }
  for (const [server, list] of byServer) {
    const capacity = postgresCapacity(server);
    const total = list.reduce((sum, e) => sum + e.connections, 0);
    if (total > capacity) {
      const detail = list.map((e) => `${e.entry}: ${e.connections === Infinity ? "unbounded (max_db_connections 0 and a pool per user)" : e.connections}`).join(", ");
      report(`${name} may open ${total === Infinity ? "unboundedly many" : total} server connections to ${containerName(server.container)} (${detail}), more than its max_connections minus reserved slots (${capacity}).`, urn);
    }
  }
}

export const pgbouncerInPath = stackPolicy({
  name: "pgbouncer-in-path",
  description:
    "A PgBouncer container pools every database entry (and every [users] override) in transaction mode, authenticates with " +
    "scram-sha-256, requires TLS from clients and verifies PostgreSQL's certificate, never opens more server connections than " +
    "PostgreSQL accepts, sends each database entry to a PostgreSQL container's real port, and every serving app container (migration " +
    "job excepted) connects to it on its listen port for a database it serves.",
  severity: "high",
  remediationSteps:
    "Thresholds: pool_mode = transaction globally, in every [databases] entry and [users] entry; auth_type = scram-sha-256; " +
    "client_tls_sslmode require or stricter; server_tls_sslmode verify-ca or verify-full; *_tls_protocols TLSv1.2+ only; for each " +
    "PostgreSQL server, the sum over [databases] entries of max_db_connections (or pool_size + reserve_pool when user= pins one pool) " +
    "must not exceed max_connections - superuser_reserved_connections - reserved_connections; each entry's port= (5432 by default) is " +
    "the port its PostgreSQL really listens on (postgresql.conf, includes, -p). Point DB_HOST/DB_PORT (or DATABASE_URL) " +
    "at PgBouncer's name and listen_port; only the migrate job connects to PostgreSQL directly.",
  framework: checklistFramework("3.6"),
  validateStack: (args, report) => {
    const bouncers = bouncerModels(args.resources);
    if (bouncers.length === 0) report("no PgBouncer container (edoburu/pgbouncer, bitnami/pgbouncer …) in the stack.");
    const servers = serviceContainers(args.resources, "postgres").map((c) => ({ names: containerHostNames(c.props), model: postgresServer(c) }));
    for (const b of bouncers) judgeBouncer(b.model, servers, report);
    for (const app of servingApps(args.resources)) {
      const connection = appConnection(app);
      if (connection.host === undefined) {
        connectionMayHide(app);
        report(`"${app.resource.name}" names no database host.`, app.resource.urn);
        continue;
      }
      const route = bouncerRoute(connection, bouncers);
      if (!route) {
        report(`"${app.resource.name}" connects to ${connection.host}, which is not a PgBouncer container.`, app.resource.urn);
        continue;
      }
      const port = Number(route.bouncer.config.get("listen_port"));
      if (connection.port !== undefined && connection.port !== port) {
        report(`"${app.resource.name}" connects to ${connection.host}:${connection.port}, but PgBouncer listens on ${port}.`, app.resource.urn);
      }
      if (route.entry === undefined) report(`"${app.resource.name}" asks PgBouncer for database "${connection.name}", which no [databases] entry serves.`, app.resource.urn);
    }
  },
});

const TRUE_VALUES: ReadonlySet<string> = new Set(["true", "1", "yes", "on"]);

export const usePgbouncerSetting = stackPolicy({
  name: "use-pgbouncer-setting",
  description: "Every serving app container (migration job excepted) sets USE_PGBOUNCER=True, so Django disables server-side cursors and session state that transaction pooling breaks.",
  severity: "high",
  remediationSteps: "Set USE_PGBOUNCER=True in the env of web, worker, beat and every other app container that goes through PgBouncer.",
  framework: checklistFramework("3.7"),
  validateStack: (args, report) => {
    for (const app of servingApps(args.resources)) {
      const usePgbouncer = appSettingValue(app.resource, "USE_PGBOUNCER");
      if (!TRUE_VALUES.has((usePgbouncer ?? "").toLowerCase())) report(`"${app.resource.name}" sets USE_PGBOUNCER=${usePgbouncer ?? "(unset)"}, not True.`, app.resource.urn);
    }
  },
});

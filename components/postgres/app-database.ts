import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { PGBOUNCER_AUTH_FUNCTION_BODY } from "./pgbouncer-auth-sql";

/** Role names: stable, referenced by PgBouncer, the app and the exporter. */
export const DB_ROLES = {
  /**
   * The migration role: owns the database and the tables Django creates, and only the migrate job
   * logs in as it. BYPASSRLS, so a data migration sees and changes every tenant's rows on purpose
   * (FORCE ROW LEVEL SECURITY would otherwise show it none, silently).
   */
  owner: "jewelry_owner",
  /** What the web app and Celery log in as: data access only, subject to RLS, owns nothing. */
  app: "jewelry_app",
  /** PgBouncer's auth_user: may only call the auth lookup function. */
  pgbouncerAuth: "pgbouncer_auth",
  /** postgres_exporter: pg_monitor, and pg_stat_statements in the app database. */
  monitor: "jewelry_monitor",
} as const;

export const PGBOUNCER_AUTH_SCHEMA = "pgbouncer";
export const PGBOUNCER_AUTH_FUNCTION = "get_auth";

export interface AppDatabaseArgs {
  readonly databaseName: string;
  readonly passwords: {
    readonly owner: pulumi.Input<string>;
    readonly app: pulumi.Input<string>;
    readonly pgbouncerAuth: pulumi.Input<string>;
    readonly monitor: pulumi.Input<string>;
    readonly superuser: pulumi.Input<string>;
  };
  /** What PgBouncer may open as its auth_user (PgBouncer.authRoleConnectionLimit). */
  readonly pgbouncerAuthConnectionLimit: number;
  /** Where the administrators' SSH tunnel ends on this machine (see README, "Reaching the database"). */
  readonly tunnel: { readonly host: string; readonly port: number };
  /** The server must be up before anything connects. */
  readonly server: pulumi.Resource;
}

/**
 * The app database and its roles (checklist 3.2, 3.3, 3.4): a least-privilege app role confined by
 * row-level security, a migration role that owns the schema and sees every row, PgBouncer's auth
 * lookup, and pg_stat_statements for monitoring. Row-level security is RowLevelSecurity's.
 */
export class AppDatabase extends pulumi.ComponentResource {
  readonly databaseName: string;
  /** Connection the database providers use (through the administrators' SSH tunnel). */
  readonly adminConnection: { readonly host: string; readonly port: number; readonly password: pulumi.Input<string> };
  readonly database: postgresql.Database;

  constructor(name: string, args: AppDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jewelry-shop:index:AppDatabase", name, {}, opts);
    this.databaseName = args.databaseName;
    this.adminConnection = { ...args.tunnel, password: args.passwords.superuser };

    const provider = new postgresql.Provider(`${name}-provider`, {
      host: args.tunnel.host,
      port: args.tunnel.port,
      username: "postgres",
      password: args.passwords.superuser,
      database: "postgres",
      // The hop over the internet is the SSH tunnel; TLS is still required to the server itself.
      sslmode: "require",
      superuser: true,
      expectedVersion: "16",
      connectTimeout: 15,
    }, { parent: this });
    const on = { parent: this, provider, dependsOn: [args.server] };

    const leastPrivilege = { superuser: false, createDatabase: false, createRole: false, replication: false, bypassRowLevelSecurity: false, inherit: true };
    const owner = new postgresql.Role(`${name}-owner`, {
      name: DB_ROLES.owner, login: true, password: args.passwords.owner, ...leastPrivilege, bypassRowLevelSecurity: true, connectionLimit: 10,
    }, on);
    const app = new postgresql.Role(`${name}-app`, {
      name: DB_ROLES.app, login: true, password: args.passwords.app, ...leastPrivilege,
      // Keeps a stuck request from holding a pooled server connection forever.
      statementTimeout: 30_000, idleInTransactionSessionTimeout: 60_000,
    }, on);
    const authRole = new postgresql.Role(`${name}-pgbouncer-auth`, {
      name: DB_ROLES.pgbouncerAuth, login: true, password: args.passwords.pgbouncerAuth, ...leastPrivilege,
      connectionLimit: args.pgbouncerAuthConnectionLimit,
    }, on);
    const monitor = new postgresql.Role(`${name}-monitor`, {
      name: DB_ROLES.monitor, login: true, password: args.passwords.monitor, ...leastPrivilege,
      roles: ["pg_monitor"], connectionLimit: 3,
    }, on);

    const database = this.database = new postgresql.Database(`${name}-database`, {
      name: args.databaseName,
      owner: owner.name,
      encoding: "UTF8",
      lcCollate: "C.UTF-8",
      lcCtype: "C.UTF-8",
      template: "template0",
      allowConnections: true,
    }, { ...on, protect: true });
    const inDb = { ...on, dependsOn: [args.server, database] };

    // Nobody connects by default; each role is granted what it needs.
    new postgresql.Grant(`${name}-revoke-public-connect`, {
      database: database.name, role: "public", objectType: "database", privileges: [],
    }, inDb);
    for (const [id, role] of [["app", app], ["pgbouncer-auth", authRole], ["monitor", monitor]] as const) {
      new postgresql.Grant(`${name}-${id}-connect`, {
        database: database.name, role: role.name, objectType: "database", privileges: ["CONNECT"],
      }, inDb);
    }
    new postgresql.Grant(`${name}-app-schema-usage`, {
      database: database.name, role: app.name, schema: "public", objectType: "schema", privileges: ["USAGE"],
    }, inDb);
    // Tables created later by migrations (as the owner) are usable by the app, nothing more.
    const defaults: [string, string, string[]][] = [
      ["tables", "table", ["SELECT", "INSERT", "UPDATE", "DELETE"]],
      ["sequences", "sequence", ["USAGE", "SELECT", "UPDATE"]],
      ["functions", "function", ["EXECUTE"]],
    ];
    for (const [id, objectType, privileges] of defaults) {
      new postgresql.DefaultPrivileges(`${name}-app-default-${id}`, {
        database: database.name, owner: owner.name, role: app.name, schema: "public", objectType, privileges,
      }, inDb);
    }

    // Preloaded by postgresql.conf, but its view exists only once created (in public: the exporter
    // reads it unqualified through the default search_path). pg_monitor lets the monitor read it all.
    new postgresql.Extension(`${name}-pg-stat-statements`, {
      name: "pg_stat_statements", database: database.name, schema: "public",
    }, inDb);

    // PgBouncer's auth_query lookup (SECURITY DEFINER; superusers excluded).
    const authSchema = new postgresql.Schema(`${name}-pgbouncer-schema`, {
      name: PGBOUNCER_AUTH_SCHEMA, database: database.name, owner: "postgres",
      policies: [{ role: authRole.name, usage: true }],
    }, inDb);
    const authFunction = new postgresql.Function(`${name}-pgbouncer-auth-function`, {
      name: PGBOUNCER_AUTH_FUNCTION,
      schema: authSchema.name,
      database: database.name,
      args: [{ name: "lookup_user", type: "text" }],
      returns: "TABLE(usename name, passwd text)",
      language: "sql",
      volatility: "STABLE",
      securityDefiner: true,
      body: PGBOUNCER_AUTH_FUNCTION_BODY,
    }, inDb);
    const revokePublic = new postgresql.Grant(`${name}-pgbouncer-auth-revoke-public`, {
      database: database.name, role: "public", schema: PGBOUNCER_AUTH_SCHEMA, objectType: "function",
      objects: [PGBOUNCER_AUTH_FUNCTION], privileges: [],
    }, { ...inDb, dependsOn: [authFunction] });
    // One after the other: both rewrite the function's ACL row, and the provider locks only per role
    // ("public" is no role), so in parallel PostgreSQL refuses one with "tuple concurrently updated".
    new postgresql.Grant(`${name}-pgbouncer-auth-execute`, {
      database: database.name, role: authRole.name, schema: PGBOUNCER_AUTH_SCHEMA, objectType: "function",
      objects: [PGBOUNCER_AUTH_FUNCTION], privileges: ["EXECUTE"],
    }, { ...inDb, dependsOn: [authFunction, revokePublic] });

    this.registerOutputs({ databaseName: this.databaseName });
  }
}

// Checklist section 3, Database Configuration: PostgreSQL version and hardening, the app database
// and role, row-level security on tenant tables, and PgBouncer between the app and PostgreSQL.
import type { PolicyResource } from "@pulumi/policy";
import {
  containerEnv, containerHostNames, containerImage, containerService, stringList, uploadTextAt,
  type ImageRef,
} from "./lib/containers";
import { checklistFramework, resourcePolicy, stackPolicy } from "./lib/framework";
import { parseIni } from "./lib/ini";
import { isCatchAll, matchesNonTlsTcp } from "./lib/pg-hba";
import { postgresBool } from "./lib/postgresql-conf";
import { CONTAINER, DYNAMIC_RESOURCE, PG_DATABASE, PG_ROLE } from "./lib/resource-types";
import { postgresRuntimeConfig } from "./lib/service-config";
import { configValue } from "./lib/stack-context";
import { appContainers, ofType, serviceContainers, type AppContainer } from "./lib/stack-resources";
import { appSettings, appSettingValue, readableValue } from "./lib/app-settings";
import { undecidable } from "./lib/unknowns";
import { asArray, asBoolean, asRecord, asString } from "./lib/values";

/** The major version an image tag states ("16.6-bookworm" -> 16, "15-alpine" -> 15). */
export function imageMajorVersion(image: ImageRef): number | undefined {
  const match = /^v?(\d+)(?:[.\-_]|$)/.exec(image.tag ?? "");
  return match ? Number(match[1]) : undefined;
}

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

/** Password methods weaker than SCRAM, or none at all. */
const WEAK_HBA_METHODS: ReadonlySet<string> = new Set(["trust", "password", "md5"]);

export const postgresConfigHardened = resourcePolicy({
  name: "postgres-config-hardened",
  description: "PostgreSQL runs with password_encryption scram-sha-256, ssl on, archive_mode on, and a pg_hba.conf that rejects TCP connections without TLS and never uses trust, password or md5.",
  severity: "critical",
  remediationSteps: "Upload a postgresql.conf (ssl = on, archive_mode = on, password_encryption = scram-sha-256, hba_file = …) and a pg_hba.conf with `hostnossl all all all reject` before any allow, and start `postgres -c config_file=<path>`.",
  framework: checklistFramework("3.1", "13.6"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    if (containerService(args.props) !== "postgres") return;
    const { settings, configFile, hba } = postgresRuntimeConfig(args.props);
    const where = configFile ? `(${configFile} and command line)` : "(no config_file on the command line: the image's defaults apply)";
    // PostgreSQL 14+ defaults password_encryption to scram-sha-256; ssl and archive_mode default to off.
    const encryption = settings.get("password_encryption") ?? "scram-sha-256";
    if (encryption !== "scram-sha-256") report(`password_encryption is ${encryption} ${where}.`);
    if (postgresBool(settings.get("ssl")) !== true) report(`ssl is not on ${where}.`);
    const archive = settings.get("archive_mode") ?? "off";
    if (archive !== "always" && postgresBool(archive) !== true) report(`archive_mode is ${archive} ${where}: no WAL archive, no point-in-time recovery.`);
    if (hba === undefined) {
      report("no pg_hba.conf is uploaded (hba_file): the image's default accepts TCP connections without TLS.");
      return;
    }
    let nonTlsClosed = false;
    for (const record of hba) {
      if (WEAK_HBA_METHODS.has(record.method)) report(`pg_hba.conf line ${record.line} uses ${record.method}; use scram-sha-256.`);
      if (!matchesNonTlsTcp(record) || nonTlsClosed) continue;
      if (record.method !== "reject") report(`pg_hba.conf line ${record.line} (${record.type} … ${record.address}) accepts TCP connections without TLS.`);
      else if (isCatchAll(record)) nonTlsClosed = true;
    }
  },
});

/** The app database name from config `jewelry-shop:postgres` (default jewelry_shop). */
export function configuredDatabaseName(stack: Parameters<typeof configValue>[0]): string {
  return asString(asRecord(configValue(stack, "postgres"))?.database) ?? "jewelry_shop";
}

/** Database, user and host the app connects with: DB_* settings, else the DATABASE_URL (env or secret file). */
function appConnection(app: AppContainer): { readonly name?: string; readonly user?: string; readonly host?: string } {
  const settings = appSettings(app.resource);
  const value = (name: string) => {
    const setting = settings.get(name);
    return setting && readableValue(setting);
  };
  const url = value("DATABASE_URL");
  let parsed: URL | undefined;
  try {
    parsed = url ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  return {
    name: value("DB_NAME") ?? (parsed ? decodeURIComponent(parsed.pathname.slice(1)) : undefined),
    user: value("DB_USER") ?? (parsed ? decodeURIComponent(parsed.username) : undefined),
    host: value("DB_HOST") ?? parsed?.hostname,
  };
}

/** A connection detail missing from what the preview reads may hide in an unknown entry or DATABASE_URL: undecidable then. */
function connectionMayHide(app: AppContainer): void {
  const settings = appSettings(app.resource);
  if (settings.hidden.length > 0) throw settings.hidden[0];
  const url = settings.get("DATABASE_URL");
  if (url && readableValue(url) === undefined) undecidable("DATABASE_URL");
}

export const appDatabaseDeclared = stackPolicy({
  name: "app-database-declared",
  description: "The stack declares the app database under the configured name (jewelry-shop:postgres.database) and every app container connects to that database.",
  severity: "high",
  remediationSteps: "Declare a postgresql.Database named as config jewelry-shop:postgres.database says, and set DB_NAME (or the DATABASE_URL path) of the app containers to it.",
  framework: checklistFramework("3.2"),
  validateStack: (args, report, stack) => {
    const expected = configuredDatabaseName(stack);
    const names = ofType(args.resources, PG_DATABASE).map((d) => asString(d.props.name));
    if (!names.includes(expected)) report(`no postgresql Database named "${expected}" (declared: ${names.join(", ") || "none"}).`);
    for (const app of appContainers(args.resources)) {
      const { name } = appConnection(app);
      if (name !== undefined && name !== expected) report(`"${app.resource.name}" connects to database "${name}", not "${expected}".`, app.resource.urn);
    }
  },
});

/** A Django migration job: its command runs `manage.py migrate` (it needs DDL rights and a direct connection). */
export const isMigrationJob = (props: Record<string, unknown>): boolean => {
  const argv = stringList(props.command);
  return argv.some((a) => a.endsWith("manage.py")) && argv.includes("migrate");
};

/** Role attributes the app role must not have, with the provider's defaults (all false). */
const ROLE_PRIVILEGES = ["superuser", "createDatabase", "createRole", "bypassRowLevelSecurity", "replication"] as const;

/** The serving app containers: everything but the migration job, which runs as the schema owner. */
const servingApps = (resources: readonly PolicyResource[]): AppContainer[] =>
  appContainers(resources).filter((a) => !isMigrationJob(a.resource.props));

export const appRoleLeastPrivilege = stackPolicy({
  name: "app-role-least-privilege",
  description: "The database role the app serves requests with is declared and is not superuser, cannot create databases or roles, does not bypass row-level security, cannot replicate and does not own the database.",
  severity: "critical",
  remediationSteps: "Declare the app's login role with superuser, createDatabase, createRole, bypassRowLevelSecurity and replication false; let a separate owner role own the database and run migrations.",
  framework: checklistFramework("3.3"),
  validateStack: (args, report) => {
    const roles = ofType(args.resources, PG_ROLE);
    const owners = new Set(ofType(args.resources, PG_DATABASE).map((d) => asString(d.props.owner)));
    const appRoles = new Map<string, PolicyResource>();
    for (const app of servingApps(args.resources)) {
      const { user } = appConnection(app);
      if (user === undefined) {
        // The role may hide in an unknown DATABASE_URL: undecidable, not a pass.
        connectionMayHide(app);
        report(`"${app.resource.name}" names no database role (DB_USER or DATABASE_URL).`, app.resource.urn);
      } else appRoles.set(user, app.resource);
    }
    for (const [roleName, app] of appRoles) {
      const role = roles.find((r) => asString(r.props.name) === roleName);
      if (!role) {
        report(`the app role "${roleName}" (used by "${app.name}") is not declared as a postgresql Role, so its privileges are unchecked.`, app.urn);
        continue;
      }
      const granted = ROLE_PRIVILEGES.filter((p) => asBoolean(role.props[p]) === true);
      if (granted.length > 0) report(`the app role "${roleName}" has ${granted.join(", ")}.`, role.urn);
      if (owners.has(roleName)) report(`the app role "${roleName}" owns the database: owners bypass row-level security unless it is forced.`, role.urn);
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
    const configured = asArray(asRecord(configValue(stack, "postgres"))?.tenantTables).map(toTenantTable);
    if (configured.length === 0 || configured.some((t) => t === undefined)) {
      report("config jewelry-shop:postgres.tenantTables must list the tenant tables ({ table, schema?, tenantColumn? }).");
      return;
    }
    const covered = new Set(
      args.resources.filter(isRlsResource)
        .flatMap((r) => asArray(r.props.tables).map(toTenantTable))
        .filter((t): t is TenantTable => t !== undefined)
        .map(tableKey),
    );
    const missing = (configured as TenantTable[]).filter((t) => !covered.has(tableKey(t))).map(tableKey);
    if (missing.length > 0) report(`no row-level security declared for ${missing.join(", ")}.`);
  },
});

/** pool_mode from an uploaded pgbouncer.ini, else the image's env (edoburu POOL_MODE, bitnami PGBOUNCER_POOL_MODE). */
function pgbouncerPoolMode(r: PolicyResource): string {
  const iniPath = stringList(r.props.command).find((a) => a.endsWith(".ini"));
  const text = uploadTextAt(r.props, iniPath);
  const fromIni = text === undefined ? undefined : parseIni(text).get("pgbouncer")?.get("pool_mode");
  if (fromIni !== undefined) return fromIni;
  const env = containerEnv(r.props);
  // PgBouncer's default is session pooling.
  return env.values.get("POOL_MODE") ?? env.values.get("PGBOUNCER_POOL_MODE") ?? "session";
}

const TRUE_VALUES: ReadonlySet<string> = new Set(["true", "1", "yes", "on"]);

export const pgbouncerInPath = stackPolicy({
  name: "pgbouncer-in-path",
  description: "A PgBouncer container pools in transaction mode, and every serving app container sets USE_PGBOUNCER=True and connects to PgBouncer, not to PostgreSQL directly (migration jobs excepted).",
  severity: "high",
  remediationSteps: "Run PgBouncer with pool_mode = transaction, point the app's DB_HOST/DB_PORT (or DATABASE_URL) at it and set USE_PGBOUNCER=True; only the migrate job connects to PostgreSQL directly.",
  framework: checklistFramework("3.6", "3.7"),
  validateStack: (args, report) => {
    const bouncers = serviceContainers(args.resources, "pgbouncer");
    if (bouncers.length === 0) report("no PgBouncer container (edoburu/pgbouncer, bitnami/pgbouncer …) in the stack.");
    for (const b of bouncers) {
      const mode = pgbouncerPoolMode(b);
      if (mode !== "transaction") report(`PgBouncer "${b.name}" pools in ${mode} mode, not transaction.`, b.urn);
    }
    const bouncerHosts = new Set(bouncers.flatMap((b) => [...containerHostNames(b.props)]));
    for (const app of servingApps(args.resources)) {
      const usePgbouncer = appSettingValue(app.resource, "USE_PGBOUNCER");
      if (!TRUE_VALUES.has((usePgbouncer ?? "").toLowerCase())) report(`"${app.resource.name}" sets USE_PGBOUNCER=${usePgbouncer ?? "(unset)"}, not True.`, app.resource.urn);
      const { host } = appConnection(app);
      if (host === undefined) {
        connectionMayHide(app);
        report(`"${app.resource.name}" names no database host.`, app.resource.urn);
      } else if (!bouncerHosts.has(host)) {
        report(`"${app.resource.name}" connects to ${host}, which is not a PgBouncer container.`, app.resource.urn);
      }
    }
  },
});

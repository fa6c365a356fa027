// Where each Django app container's database connection goes, and what it becomes on the server:
// DB_* settings, else DATABASE_URL (env or secret file); when the host is a PgBouncer container, the
// [databases] entry it asks for decides the server database (dbname=) and may force the server role
// (user=), so the role the app really runs as can differ from the one it names.
import type { PolicyResource } from "@pulumi/policy";
import { stringList } from "../containers";
import { appContainers, type AppContainer } from "../stack-resources";
import { appSettings, readableValue } from "../app-settings";
import { undecidable } from "../unknowns";
import { databasePooling, type DatabasePooling } from "../pgbouncer/config";
import type { PgbouncerServerModel } from "../pgbouncer/server";
import { manageIndex } from "../app/manage-words";

export interface AppConnection {
  readonly name?: string;
  readonly user?: string;
  readonly host?: string;
  readonly port?: number;
}

/** Database, user, host and port the app connects with (libpq's default port 5432). */
export function appConnection(app: AppContainer): AppConnection {
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
  const port = value("DB_PORT") ?? (parsed?.port || undefined);
  return {
    name: value("DB_NAME") ?? (parsed ? decodeURIComponent(parsed.pathname.slice(1)) : undefined),
    user: value("DB_USER") ?? (parsed ? decodeURIComponent(parsed.username) : undefined),
    host: value("DB_HOST") ?? parsed?.hostname,
    port: port === undefined ? (value("DB_HOST") ?? parsed) ? 5432 : undefined : Number(port),
  };
}

/** A connection detail missing from what the preview reads may hide in an unknown entry or DATABASE_URL: undecidable then. */
export function connectionMayHide(app: AppContainer): void {
  const settings = appSettings(app.resource);
  if (settings.hidden.length > 0) throw settings.hidden[0];
  const url = settings.get("DATABASE_URL");
  if (url && readableValue(url) === undefined) undecidable("DATABASE_URL");
}

/** A Django migration job: its command runs `manage.py migrate` or `python -m django migrate` (it needs DDL rights and a direct connection). */
export const isMigrationJob = (props: Record<string, unknown>): boolean => {
  const argv = stringList(props.command);
  return manageIndex(argv) >= 0 && argv.includes("migrate");
};

/** The serving app containers (web, worker, beat, other jobs): everything but the migration job. */
export const servingApps = (resources: readonly PolicyResource[]): AppContainer[] =>
  appContainers(resources).filter((a) => !isMigrationJob(a.resource.props));

/** The PgBouncer (if any) an app's host names, and the [databases] entry serving its database name. */
export interface BouncerRoute {
  readonly bouncer: PgbouncerServerModel;
  /** The entry serving the app's database name (its own, else the "*" fallback). */
  readonly entry?: DatabasePooling;
  /** The database PgBouncer opens on the server. */
  readonly serverDatabase?: string;
}

export function bouncerRoute(connection: AppConnection, bouncers: ReadonlyArray<{ readonly names: ReadonlySet<string>; readonly model: PgbouncerServerModel }>): BouncerRoute | undefined {
  const found = bouncers.find((b) => connection.host !== undefined && b.names.has(connection.host));
  if (!found) return undefined;
  const databases = found.model.config.databases;
  const entry = databases.find((d) => d.name === connection.name) ?? databases.find((d) => d.name === "*");
  const pooling = entry && databasePooling(found.model.config, entry);
  const serverDatabase = entry === undefined ? undefined : entry.params.get("dbname") ?? connection.name;
  return { bouncer: found.model, entry: pooling, serverDatabase };
}

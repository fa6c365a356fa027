// The Django app, PostgreSQL and Redis as the app's declared environment names them: which hosts it
// serves, where its database and Redis are, which role it connects as, the tenant tables row-level
// security applies to, and the Celery workers with their queues.
import { stringList } from "../../policies/lib/containers";
import { asArray, asRecord, asString } from "../../policies/lib/values";
import type { DeclaredContainer } from "./containers";
import type { DeclaredStack } from "./declared-stack";

export interface TenantTable {
  readonly schema: string;
  readonly table: string;
  readonly tenantColumn: string;
}

export interface DeclaredApp {
  readonly hosts: readonly string[];
  readonly web: readonly DeclaredContainer[];
  /** Celery worker containers and the queues each consumes. */
  readonly workers: readonly { readonly container: DeclaredContainer; readonly queues: readonly string[] }[];
  readonly database: {
    readonly name: string;
    /** The container the migrate job connects to directly (PostgreSQL itself), and its port. */
    readonly server: string;
    readonly port: number;
    /** The role web, worker and beat use. */
    readonly appRole: string;
    readonly tenantTables: readonly TenantTable[];
    /** The GUC the app sets per transaction (set_config(name, tenant, true)). */
    readonly tenantSetting?: string;
  };
  readonly redis: { readonly server: string; readonly port: number };
  /** Django's cookie flags as the app's env declares them, else Django's defaults. */
  readonly cookies: { readonly csrfHttpOnly: boolean; readonly sessionHttpOnly: boolean };
}

const flag = (value: string | undefined, fallback: boolean) => (value === undefined ? fallback : /^(1|true|yes|on)$/i.test(value));

const isApp = (c: DeclaredContainer) => c.env.has("DJANGO_SETTINGS_MODULE");
const argv = (c: DeclaredContainer) => [...stringList(c.inputs.entrypoints), ...stringList(c.inputs.command)];

/** `-Q a,b` / `--queues=a,b` of a celery worker command; Celery's default queue is "celery". */
function queuesOf(args: readonly string[]): string[] {
  const i = args.findIndex((a) => a === "-Q" || a === "--queues" || a.startsWith("--queues="));
  if (i < 0) return ["celery"];
  const value = args[i]!.startsWith("--queues=") ? args[i]!.slice(9) : args[i + 1] ?? "";
  return value.split(",").filter((q) => q !== "");
}

export function declaredApp(stack: DeclaredStack, containers: readonly DeclaredContainer[]): DeclaredApp | undefined {
  const apps = containers.filter(isApp);
  const services = apps.filter((c) => !c.oneShot);
  const pooled = services.find((c) => c.env.get("USE_PGBOUNCER") === "True") ?? services[0];
  const direct = apps.find((c) => c.env.get("USE_PGBOUNCER") === "False") ?? pooled;
  if (!pooled || !direct) return undefined;
  const isolation = stack.resources.find((r) => r.type.startsWith("pulumi-nodejs:dynamic") && Array.isArray(r.inputs.tables));
  const tenantTables = asArray(isolation?.inputs.tables).map((raw) => {
    const t = asRecord(raw) ?? {};
    return { schema: asString(t.schema) ?? "public", table: asString(t.table) ?? "", tenantColumn: asString(t.tenantColumn) ?? "tenant_id" };
  });
  return {
    hosts: (pooled.env.get("DJANGO_ALLOWED_HOSTS") ?? "").split(",").map((h) => h.trim()).filter((h) => h !== ""),
    web: services.filter((c) => argv(c).some((a) => /gunicorn/.test(a))),
    workers: services.filter((c) => argv(c).includes("celery") && argv(c).includes("worker")).map((container) => ({ container, queues: queuesOf(argv(container)) })),
    database: {
      name: direct.env.get("DB_NAME") ?? "",
      server: direct.env.get("DB_HOST") ?? "",
      port: Number(direct.env.get("DB_PORT") ?? 5432),
      appRole: pooled.env.get("DB_USER") ?? "",
      tenantTables,
      tenantSetting: asString(isolation?.inputs.settingName),
    },
    redis: { server: pooled.env.get("REDIS_HOST") ?? "", port: Number(pooled.env.get("REDIS_PORT") ?? 6379) },
    cookies: {
      csrfHttpOnly: flag(pooled.env.get("CSRF_COOKIE_HTTPONLY"), false),
      sessionHttpOnly: flag(pooled.env.get("SESSION_COOKIE_HTTPONLY"), true),
    },
  };
}

/** The declared container answering to `host` (its name or a network alias). */
export function containerByHost(containers: readonly DeclaredContainer[], host: string): DeclaredContainer | undefined {
  return containers.find((c) => c.name === host || c.networks.some((n) => n.aliases.includes(host)));
}

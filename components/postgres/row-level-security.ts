import * as pulumi from "@pulumi/pulumi";
import type { TenantTable } from "../config";
import { TenantIsolation } from "./rls-provider";

export const TENANT_SETTING = "app.current_tenant";

export interface RowLevelSecurityArgs {
  readonly admin: { readonly host: string; readonly port: number; readonly password: pulumi.Input<string> };
  readonly databaseName: string;
  readonly tenantTables: readonly TenantTable[];
  /** The migrate job: the tables exist only after it ran, and each new run may have rebuilt them. */
  readonly migrate: pulumi.CustomResource;
}

/**
 * Tenant isolation enforced by PostgreSQL itself (checklist 3.4): RLS enabled and forced on every tenant
 * table, rows visible and writable only where the tenant column equals the per-transaction setting
 * `app.current_tenant` (set with set_config(..., true): session SETs leak across PgBouncer clients).
 */
export class RowLevelSecurity extends pulumi.ComponentResource {
  readonly isolation: TenantIsolation;

  constructor(name: string, args: RowLevelSecurityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jewelry-shop:index:RowLevelSecurity", name, {}, opts);
    this.isolation = new TenantIsolation(`${name}-tenant-isolation`, {
      connection: {
        host: args.admin.host,
        port: args.admin.port,
        database: args.databaseName,
        // ALTER TABLE … FORCE ROW LEVEL SECURITY needs the owner or a superuser.
        user: "postgres",
        password: args.admin.password,
        sslmode: "require",
      },
      tables: args.tenantTables.map((t) => ({ schema: t.schema, table: t.table, tenantColumn: t.tenantColumn })),
      settingName: TENANT_SETTING,
      // A replaced migrate job is a new migration: re-apply, since a rebuilt table comes back without its policy.
      schemaBuild: args.migrate.id,
    }, { parent: this, dependsOn: [args.migrate] });
    this.registerOutputs({});
  }
}

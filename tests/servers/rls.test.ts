// The TenantIsolation dynamic provider driven for real (create/diff/update/read/delete) against
// PostgreSQL 15 started with the generated conf. The table owner applies RLS; a separate non-owner
// app role proves what tenants can see.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  tenantIsolationProvider as provider, type TenantIsolationInputs, type TenantIsolationOutputs,
} from "../../components/postgres/rls-provider";
import { generatedPostgresConf } from "./postgres-generated-conf";
import { startPostgres, type PostgresServer } from "./postgres-server";

const TENANT_A = "0a1b2c3d-0000-4000-8000-00000000000a";
const TENANT_B = "0a1b2c3d-0000-4000-8000-00000000000b";
const ownerPassword = randomBytes(12).toString("hex");
const appPassword = randomBytes(12).toString("hex");
let pg: PostgresServer;
let inputs: TenantIsolationInputs;

const asApp = (sql: string): Promise<string> => pg.psql(sql, { user: "shop_app", password: appPassword, database: "shop" });
const asOwner = (sql: string): Promise<string> => pg.psql(sql, { user: "shop_owner", password: ownerPassword, database: "shop" });
const asTenant = (tenant: string, sql: string): Promise<string> =>
  asApp(`BEGIN; SELECT set_config('app.current_tenant', '${tenant}', true) \\g /dev/null\n${sql}; COMMIT;`);
const policies = (): Promise<string> =>
  pg.psql("SELECT tablename, policyname, qual FROM pg_policies WHERE schemaname = 'shop' ORDER BY 1", { database: "shop" });
const rlsFlags = (): Promise<string> =>
  pg.psql("SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relnamespace = 'shop'::regnamespace AND relkind = 'r' ORDER BY 1", { database: "shop" });

beforeAll(async () => {
  pg = await startPostgres({ name: "pg-rls", conf: generatedPostgresConf() });
  await pg.psql(`
    CREATE ROLE shop_owner LOGIN PASSWORD '${ownerPassword}';
    CREATE ROLE shop_app LOGIN PASSWORD '${appPassword}';
    CREATE DATABASE shop OWNER shop_owner;
  `);
  // Two tenant column types (uuid, bigint): the policy must cast the setting to each.
  await asOwner(`
    CREATE SCHEMA shop;
    CREATE TABLE shop.products (id serial PRIMARY KEY, tenant_id uuid NOT NULL, name text);
    CREATE TABLE shop.orders (id serial PRIMARY KEY, tenant_id bigint NOT NULL, total numeric);
    INSERT INTO shop.products (tenant_id, name) VALUES
      ('${TENANT_A}', 'ring'), ('${TENANT_A}', 'necklace'), ('${TENANT_B}', 'bracelet');
    INSERT INTO shop.orders (tenant_id, total) VALUES (1, 10), (2, 20), (2, 30);
    GRANT USAGE ON SCHEMA shop TO shop_app;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA shop TO shop_app;
    GRANT USAGE ON ALL SEQUENCES IN SCHEMA shop TO shop_app;
  `);
  inputs = {
    connection: {
      host: pg.host, port: pg.port, database: "shop", user: "shop_owner", password: ownerPassword,
      sslmode: "verify-full", sslRootCert: readFileSync(pg.tls.cert, "utf8"),
    },
    tables: [
      { schema: "shop", table: "products", tenantColumn: "tenant_id" },
      { schema: "shop", table: "orders", tenantColumn: "tenant_id" },
    ],
  };
});

afterAll(async () => {
  await pg?.stop();
});

describe("TenantIsolation provider", () => {
  let id: string;
  let outs: TenantIsolationOutputs;

  it("rolls back everything when one table cannot be isolated", async () => {
    const broken = { ...inputs, tables: [...inputs.tables, { schema: "shop", table: "orders", tenantColumn: "no_such_column" }] };
    broken.tables.splice(1, 1);
    await expect(provider.create(broken)).rejects.toThrow(/tenant column no_such_column not found on shop\.orders/);
    expect(await policies()).toBe("");
  });

  it("create enables and forces RLS with a tenant policy on every table", async () => {
    ({ id, outs } = (await provider.create(inputs)) as { id: string; outs: TenantIsolationOutputs });
    expect(outs.isolatedTables).toEqual(["shop.orders", "shop.products"]);
    expect(await rlsFlags()).toBe("orders|t|t\nproducts|t|t");
    expect(await policies()).toContain("(tenant_id = (NULLIF(current_setting('app.current_tenant'::text, true), ''::text))::bigint)");
  });

  it("lets a tenant read only its own rows", async () => {
    expect(await asTenant(TENANT_A, "SELECT string_agg(name, ',' ORDER BY name) FROM shop.products")).toBe("necklace,ring");
    expect(await asTenant("2", "SELECT count(*), sum(total) FROM shop.orders")).toBe("2|50");
  });

  it("refuses to insert or move a row into another tenant", async () => {
    await expect(asTenant(TENANT_A, `INSERT INTO shop.products (tenant_id, name) VALUES ('${TENANT_B}', 'forged')`))
      .rejects.toThrow(/new row violates row-level security policy/);
    await expect(asTenant(TENANT_A, `UPDATE shop.products SET tenant_id = '${TENANT_B}'`))
      .rejects.toThrow(/new row violates row-level security policy/);
  });

  it("shows no rows when no tenant is set, also after a tenant was set earlier in the session", async () => {
    expect(await asApp("SELECT count(*) FROM shop.products")).toBe("0");
    // After a transaction-local set_config the setting reads '' (not NULL): still no rows, no cast error.
    const out = await asApp(`BEGIN; SELECT set_config('app.current_tenant', '${TENANT_A}', true) \\g /dev/null
      COMMIT; SELECT count(*) FROM shop.products; SELECT count(*) FROM shop.orders;`);
    expect(out).toBe("0\n0");
  });

  it("filters the table owner too (FORCE ROW LEVEL SECURITY)", async () => {
    expect(await asOwner("SELECT count(*) FROM shop.products")).toBe("0");
  });

  it("reports no changes for the same inputs and leaves the policies untouched when re-applied", async () => {
    expect(await provider.diff!(id, outs, inputs)).toMatchObject({ changes: false, replaces: [] });
    const oids = "SELECT string_agg(oid::text || qual, ';' ORDER BY oid) FROM pg_policy p, LATERAL pg_get_expr(p.polqual, p.polrelid) qual";
    const before = await pg.psql(oids, { database: "shop" });
    await provider.update!(id, outs, inputs);
    expect(await pg.psql(oids, { database: "shop" })).toBe(before);
  });

  it("diff updates in place for table changes and replaces only for another database", async () => {
    expect(await provider.diff!(id, outs, { ...inputs, tables: inputs.tables.slice(0, 1) })).toMatchObject({ changes: true, replaces: [] });
    expect(await provider.diff!(id, outs, { ...inputs, connection: { ...inputs.connection, password: "rotated" } }))
      .toMatchObject({ changes: true, replaces: [] });
    expect(await provider.diff!(id, outs, { ...inputs, connection: { ...inputs.connection, database: "other" } }))
      .toMatchObject({ changes: true, replaces: ["connection"] });
  });

  it("update drops the policy on a removed table and re-creates a changed one", async () => {
    const next = { ...inputs, tables: [inputs.tables[0]], settingName: "app.tenant_id" };
    ({ outs } = (await provider.update!(id, outs, next)) as { outs: TenantIsolationOutputs });
    expect(await rlsFlags()).toBe("orders|f|f\nproducts|t|t");
    expect(await policies()).toMatch(/^products\|tenant_isolation\|.*current_setting\('app\.tenant_id'::text, true\).*::uuid\)$/);
    const read = await provider.read!(id, outs);
    expect(read.props?.isolatedTables).toEqual(["shop.products"]);
  });

  it("delete removes the policies and disables RLS", async () => {
    await provider.delete!(id, outs);
    expect(await policies()).toBe("");
    expect(await rlsFlags()).toBe("orders|f|f\nproducts|f|f");
  });
});

// Row-level security (components/postgres/rls-provider.ts) as a real `pulumi up` runs it: serialized by
// the SDK, loaded by Pulumi's dynamic-provider host and driven over gRPC in the engine's order, against
// PostgreSQL 15 started with the generated configuration.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonObject } from "../../check/json";
import { wrapSecret } from "../../check/property-values";
import { generatedPostgresConf } from "../servers/postgres-generated-conf";
import { startPostgres, type PostgresServer } from "../servers/postgres-server";
import { CheckFailedError, DynamicResource } from "./dynamic-resource";
import {
  ProviderRpcError, serializeProvider, startProviderHost, UNKNOWN, type ProviderHost, type SerializedProvider,
} from "./provider-host";

const TENANT_ISOLATION_TYPE = "pulumi-nodejs:dynamic/jewelry-shop:TenantIsolation";
const ownerPassword = randomBytes(12).toString("hex");

let pg: PostgresServer;
let host: ProviderHost;
let provider: SerializedProvider;
let connection: JsonObject;
let seq = 0;

const table = (name: string) => ({ schema: "jewels", table: name, tenantColumn: "tenant_id" });
const rlsState = (): Promise<string> => pg.psql(`
  SELECT c.relname || '|' || c.relrowsecurity || '|' || c.relforcerowsecurity || '|' || count(p.polname)
    FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid
   WHERE c.relnamespace = 'jewels'::regnamespace AND c.relkind = 'r'
   GROUP BY c.relname, c.relrowsecurity, c.relforcerowsecurity ORDER BY 1`, { database: "jewels" });
const resource = () => new DynamicResource(host, { type: TENANT_ISOLATION_TYPE, name: `rls-${++seq}`, provider });

beforeAll(async () => {
  [pg, host, provider] = await Promise.all([
    startPostgres({ name: "pg-rls-host", conf: generatedPostgresConf() }),
    startProviderHost(),
    serializeProvider("components/postgres/rls-provider.ts", "tenantIsolationProvider"),
  ]);
  await pg.psql(`CREATE ROLE jewels_owner LOGIN PASSWORD '${ownerPassword}'; CREATE DATABASE jewels OWNER jewels_owner;`);
  await pg.psql(`
    CREATE SCHEMA jewels;
    CREATE TABLE jewels.items (id serial PRIMARY KEY, tenant_id uuid NOT NULL);
    CREATE TABLE jewels.sales (id serial PRIMARY KEY, tenant_id bigint NOT NULL);
    CREATE TABLE jewels.repairs (id serial PRIMARY KEY, tenant_id bigint NOT NULL);
    ALTER SCHEMA jewels OWNER TO jewels_owner;
    ALTER TABLE jewels.items OWNER TO jewels_owner;
    ALTER TABLE jewels.sales OWNER TO jewels_owner;
    ALTER TABLE jewels.repairs OWNER TO jewels_owner;
  `, { database: "jewels" });
  connection = {
    host: pg.host, port: pg.port, database: "jewels", user: "jewels_owner", password: ownerPassword,
    sslmode: "verify-full", sslRootCert: readFileSync(pg.tls.cert, "utf8"),
  };
});

afterAll(async () => {
  await host?.stop();
  await pg?.stop();
});

describe("TenantIsolation through the dynamic-provider host", () => {
  it("creates, reads, diffs, updates and deletes row-level security in the engine's order", async () => {
    const rls = resource();
    // TenantIsolation registers the connection as a secret; the engine hands the host its plain value.
    const inputs = { connection: wrapSecret(connection), tables: [table("items"), table("sales")] };
    expect(await rls.up(inputs)).toBe("create");
    expect(rls.state!.outputs.isolatedTables).toEqual(["jewels.items", "jewels.sales"]);
    expect(await rlsState()).toBe("items|true|true|1\nrepairs|false|false|0\nsales|true|true|1");

    expect(await rls.preview(inputs)).toBe("same");
    expect(await rls.refresh()).toBe("same");
    expect(await rls.up({ connection, tables: [table("items"), table("repairs")] })).toBe("update");
    expect(await rlsState()).toBe("items|true|true|1\nrepairs|true|true|1\nsales|false|false|0");

    await rls.destroy();
    expect(await rlsState()).toBe("items|false|false|0\nrepairs|false|false|0\nsales|false|false|0");
  });

  it("previews a credential change, with the connection unknown, as the in-place update that up then makes", async () => {
    const rls = resource();
    await rls.up({ connection, tables: [table("items")] });
    // A rotated owner password is unknown at preview, and with it the whole secret connection object.
    expect(await rls.preview({ connection: UNKNOWN, tables: [table("items")] })).toBe("update");
    expect(await rls.preview({ connection: { ...connection, password: UNKNOWN }, tables: [table("items")] })).toBe("update");
    expect(await rls.preview({ connection: { ...connection, database: "elsewhere", password: UNKNOWN }, tables: [table("items")] })).toBe("replace");

    const rotated = randomBytes(12).toString("hex");
    await pg.psql(`ALTER ROLE jewels_owner PASSWORD '${rotated}'`);
    try {
      expect(await rls.up({ connection: { ...connection, password: rotated }, tables: [table("items")] })).toBe("update");
      expect(await rlsState()).toMatch(/^items\|true\|true\|1$/m);
      await rls.destroy();
    } finally {
      await pg.psql(`ALTER ROLE jewels_owner PASSWORD '${ownerPassword}'`);
    }
  });

  it("drops the policy of a table that a refresh found drifted and the program then removed", async () => {
    const rls = resource();
    await rls.up({ connection, tables: [table("items"), table("sales")] });
    // Someone turns FORCE off by hand: the policy stays, the owner is no longer filtered.
    await pg.psql("ALTER TABLE jewels.sales NO FORCE ROW LEVEL SECURITY", { database: "jewels" });
    expect(await rls.refresh()).toBe("changed");
    expect(rls.state!.outputs.isolatedTables).toEqual(["jewels.items"]);
    expect(await rls.preview({ connection, tables: [table("items"), table("sales")] })).toBe("update");

    expect(await rls.up({ connection, tables: [table("items")] })).toBe("update");
    expect(await rlsState()).toBe("items|true|true|1\nrepairs|false|false|0\nsales|false|false|0");
    await rls.destroy();
  });

  it("repairs drift a refresh found when the program still lists the table", async () => {
    const rls = resource();
    const inputs = { connection, tables: [table("repairs")] };
    await rls.up(inputs);
    await pg.psql("DROP POLICY tenant_isolation ON jewels.repairs", { database: "jewels" });
    expect(await rls.refresh()).toBe("changed");
    expect(await rls.up(inputs)).toBe("update");
    expect(await rlsState()).toMatch(/^repairs\|true\|true\|1$/m);
    await rls.destroy();
  });

  it("re-applies every policy when a new migration run rebuilt a tenant table without it", async () => {
    const rls = resource();
    await rls.up({ connection, tables: [table("repairs")], schemaBuild: "migrate-1" });
    // A migration drops and re-creates the table: it comes back without RLS, and no refresh ran.
    await pg.psql(`
      DROP TABLE jewels.repairs;
      CREATE TABLE jewels.repairs (id serial PRIMARY KEY, tenant_id bigint NOT NULL);
      ALTER TABLE jewels.repairs OWNER TO jewels_owner;`, { database: "jewels" });
    expect(await rls.preview({ connection, tables: [table("repairs")], schemaBuild: "migrate-1" })).toBe("same");
    expect(await rls.preview({ connection, tables: [table("repairs")], schemaBuild: UNKNOWN })).toBe("update");
    expect(await rls.up({ connection, tables: [table("repairs")], schemaBuild: "migrate-2" })).toBe("update");
    expect(await rlsState()).toMatch(/^repairs\|true\|true\|1$/m);
    await rls.destroy();
  });

  it("hands PostgreSQL's and the provider's refusals to the engine whole, changing nothing", async () => {
    const before = await rlsState();
    const failure = (action: Promise<unknown>) => action.then(() => "succeeded", (e: unknown) => e);

    const missingColumn = await failure(resource().up({ connection, tables: [table("items"), { ...table("sales"), tenantColumn: "shop_id" }] }));
    expect(missingColumn).toBeInstanceOf(ProviderRpcError);
    expect((missingColumn as ProviderRpcError).details).toBe("tenant column shop_id not found on jewels.sales");

    const wrongPassword = await failure(resource().up({ connection: { ...connection, password: "wrong" }, tables: [table("items")] }));
    expect((wrongPassword as ProviderRpcError).details).toBe('password authentication failed for user "jewels_owner"');

    const twice = await failure(resource().up({ connection, tables: [table("items"), table("items")] }));
    expect(twice).toBeInstanceOf(CheckFailedError);
    expect((twice as CheckFailedError).failures).toEqual([{ property: "tables", reason: "a table is listed twice" }]);
    expect(await rlsState()).toBe(before);
  });
});

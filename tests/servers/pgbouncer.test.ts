// PgBouncer with the generated pgbouncer.ini + userlist in front of PostgreSQL 15 (generated conf):
// SCRAM via auth_query, TLS on both legs, and tenant isolation under transaction pooling.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  derivePoolSizes, renderPgbouncerIni, renderPgbouncerUserlist, type PoolSizes,
} from "../../components/pgbouncer/pgbouncer-ini";
import { pgbouncerAuthQuery, renderPgbouncerAuthSql } from "../../components/postgres/pgbouncer-auth-sql";
import { tenantIsolationProvider } from "../../components/postgres/rls-provider";
import { startPgbouncer, type PgbouncerServer } from "./pgbouncer-server";
import { generatedPostgresConf } from "./postgres-generated-conf";
import { runPsql, startPostgres, type PostgresServer } from "./postgres-server";

const TENANT_A = "0a1b2c3d-0000-4000-8000-00000000000a";
const TENANT_B = "0a1b2c3d-0000-4000-8000-00000000000b";
const POSTGRES_MAX_CONNECTIONS = 30;
const passwords = {
  auth: randomBytes(12).toString("hex"),
  owner: randomBytes(12).toString("hex"),
  app: randomBytes(12).toString("hex"),
};
let pg: PostgresServer;

/** PgBouncer with the generated ini and userlist, pooling in front of the fixture's PostgreSQL. */
function startGeneratedPgbouncer(name: string, pool: PoolSizes): Promise<PgbouncerServer> {
  return startPgbouncer(name, ({ port, authFile }) => ({
    userlist: renderPgbouncerUserlist([{ user: "pgbouncer_auth", password: passwords.auth }]),
    ini: renderPgbouncerIni({
      listenAddr: "127.0.0.1",
      listenPort: port,
      database: { dbname: "shop", host: "127.0.0.1", port: pg.port },
      authUser: "pgbouncer_auth",
      authQuery: pgbouncerAuthQuery(),
      authFile,
      clientTls: { certFile: pg.tls.cert, keyFile: pg.tls.key },
      serverTls: { caFile: pg.tls.cert },
      pool,
      statsUsers: ["pgbouncer_auth"],
    }),
  }));
}

function through(b: PgbouncerServer, sql: string, opts: { user?: string; password?: string; sslmode?: string } = {}): Promise<string> {
  return runPsql(sql, {
    port: b.port, database: "shop", user: opts.user ?? "shop_app", password: opts.password ?? passwords.app,
    sslmode: opts.sslmode ?? "verify-full", rootCert: pg.tls.cert,
  });
}

const inTenantTransaction = (tenant: string, sql: string): string =>
  `BEGIN; SELECT set_config('app.current_tenant', '${tenant}', true) \\g /dev/null\n${sql}; COMMIT;`;

beforeAll(async () => {
  pg = await startPostgres({ name: "pg-bouncer", conf: generatedPostgresConf({ maxConnections: POSTGRES_MAX_CONNECTIONS }) });
  await pg.psql(`
    CREATE ROLE pgbouncer_auth LOGIN PASSWORD '${passwords.auth}';
    CREATE ROLE shop_owner LOGIN PASSWORD '${passwords.owner}';
    CREATE ROLE shop_app LOGIN PASSWORD '${passwords.app}';
    CREATE DATABASE shop OWNER shop_owner;
  `);
  // PgBouncer 1.18 runs auth_query in the database the client asked for.
  await pg.psql(renderPgbouncerAuthSql(), { database: "shop" });
  await pg.psql(`
    CREATE SCHEMA shop;
    CREATE TABLE shop.products (id serial PRIMARY KEY, tenant_id uuid NOT NULL, name text);
    INSERT INTO shop.products (tenant_id, name) VALUES ('${TENANT_A}', 'ring'), ('${TENANT_A}', 'necklace'), ('${TENANT_B}', 'bracelet');
    GRANT USAGE ON SCHEMA shop TO shop_app;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA shop TO shop_app;
  `, { user: "shop_owner", password: passwords.owner, database: "shop" });
  await tenantIsolationProvider.create({
    connection: {
      host: pg.host, port: pg.port, database: "shop", user: "shop_owner", password: passwords.owner,
      sslmode: "verify-full", sslRootCert: readFileSync(pg.tls.cert, "utf8"),
    },
    tables: [{ schema: "shop", table: "products", tenantColumn: "tenant_id" }],
  });
});

afterAll(async () => {
  await pg?.stop();
});

describe("PgBouncer with pool sizes derived from max_connections", () => {
  let bouncer: PgbouncerServer;
  beforeAll(async () => {
    bouncer = await startGeneratedPgbouncer("pgbouncer", derivePoolSizes({ postgresMaxConnections: POSTGRES_MAX_CONNECTIONS }));
  });
  afterAll(() => bouncer?.stop());

  it("lets the app role in over TLS with SCRAM, looked up by auth_query, and reaches Postgres over TLS", async () => {
    const row = await through(bouncer, "SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
    expect(row).toBe("shop_app|t");
  });

  it("refuses a wrong password", async () => {
    await expect(through(bouncer, "SELECT 1", { password: "not-the-password" })).rejects.toThrow(/FATAL: +SASL authentication failed/);
  });

  it("refuses a client without TLS", async () => {
    await expect(through(bouncer, "SELECT 1", { sslmode: "disable" })).rejects.toThrow(/SSL required/);
  });

  it("refuses a superuser, whom the auth function does not return", async () => {
    await expect(through(bouncer, "SELECT 1", { user: "postgres", password: pg.superuserPassword }))
      .rejects.toThrow(/FATAL: +no such user/);
  });

  it("keeps tenants apart when the tenant is set per transaction", async () => {
    expect(await through(bouncer, inTenantTransaction(TENANT_A, "SELECT string_agg(name, ',' ORDER BY name) FROM shop.products")))
      .toBe("necklace,ring");
    expect(await through(bouncer, inTenantTransaction(TENANT_B, "SELECT string_agg(name, ',' ORDER BY name) FROM shop.products")))
      .toBe("bracelet");
    expect(await through(bouncer, "SELECT count(*) FROM shop.products")).toBe("0");
  });
});

// With one server connection every client lands on the same Postgres session, so what one client
// leaves behind in that session is what the next one gets.
describe("PgBouncer with a single server connection (default_pool_size 1)", () => {
  let bouncer: PgbouncerServer;
  beforeAll(async () => {
    const derived = derivePoolSizes({ postgresMaxConnections: POSTGRES_MAX_CONNECTIONS });
    bouncer = await startGeneratedPgbouncer("pgbouncer-pool1", { ...derived, defaultPoolSize: 1, reservePoolSize: 0 });
  });
  afterAll(() => bouncer?.stop());

  it("does not pass a per-transaction tenant (set_config(..., true)) on to the next client", async () => {
    await through(bouncer, inTenantTransaction(TENANT_A, "SELECT 1"));
    expect(await through(bouncer, "SELECT count(*) FROM shop.products")).toBe("0");
  });

  it("LEAKS a session-level SET to the next client: why the app must set the tenant per transaction", async () => {
    await through(bouncer, `SET app.current_tenant = '${TENANT_A}'`);
    // A different client that never set a tenant sees tenant A's rows.
    expect(await through(bouncer, "SELECT string_agg(name, ',' ORDER BY name) FROM shop.products")).toBe("necklace,ring");
  });
});

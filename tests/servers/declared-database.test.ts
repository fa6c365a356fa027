// The shipped stack's database as Django uses it, in PostgreSQL 15 and PgBouncer from Debian: the
// program runs under mocks with its generated secrets known, the postgresql resources it declares
// are created as @pulumi/postgresql creates them, the migrate job's tables are made with the migrate
// job's own DATABASE_URL, RowLevelSecurity runs as declared, and PgBouncer starts from the program's
// own pgbouncer.ini and userlist. Only addresses, ports and certificate paths are local.
import { readFileSync } from "node:fs";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withoutInternalKeys } from "../../check/property-values";
import type { ProgramRun } from "../../check/run-program";
import { tenantIsolationProvider, type TenantIsolationInputs } from "../../components/postgres/rls-provider";
import { byName, containers } from "../program/production-run";
import { containerInputs, productionRunWithSecrets, revealed } from "../program/production-run-with-secrets";
import { declaredPostgresSteps } from "./declared-postgres";
import { generatedPostgresConf } from "./postgres-generated-conf";
import { runPsql, startPostgres, type PostgresServer } from "./postgres-server";
import { startPgbouncer, type PgbouncerServer } from "./pgbouncer-server";

const TENANT_A = "0a1b2c3d-0000-4000-8000-00000000000a";
const TENANT_B = "0a1b2c3d-0000-4000-8000-00000000000b";
const STORM_CLIENTS = 500;

let program: ProgramRun;
let pg: PostgresServer;
let bouncer: PgbouncerServer;
/** Each configured tenant table ("schema.table") and its tenant column. */
let tenantTables: { readonly name: string; readonly column: string }[];

/** What a deployed container names as host:port -> the local port of the same server here. */
const localPorts = new Map<string, () => number>();

interface Credentials {
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly sslmode: string;
  /** The local port of the server the credentials point at. */
  readonly port: number;
}

function localPort(host: string, port: number): number {
  const local = localPorts.get(`${host}:${port}`);
  if (!local) throw new Error(`no local server stands for ${host}:${port}`);
  return local();
}

/** The text of a file the program uploads into a container. */
function fileOf(container: string, path: string): string {
  const text = containerInputs(program, container).files.get(path);
  if (text === undefined) throw new Error(`${container} has no ${path} with known content`);
  return text;
}

/** A container's DATABASE_URL, pointed at the local server that stands for its host. */
function databaseUrlOf(container: string): Credentials {
  const url = new URL(fileOf(container, "/run/secrets/DATABASE_URL"));
  return {
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)),
    sslmode: url.searchParams.get("sslmode") ?? "prefer",
    port: localPort(url.hostname, Number(url.port)),
  };
}

const psqlAs = (c: Credentials, sql: string): Promise<string> => runPsql(sql, { ...c, rootCert: pg.tls.cert });
const asMigrateJob = (sql: string) => psqlAs(databaseUrlOf("app-migrate"), sql);
const asWeb = (sql: string) => psqlAs(databaseUrlOf("app-web"), sql);
const asWebTenant = (tenant: string, sql: string) =>
  asWeb(`BEGIN; SELECT set_config('app.current_tenant', '${tenant}', true) \\g /dev/null\n${sql}; COMMIT;`);
const countsIn = (sql: (table: string) => string) => tenantTables.map((t) => sql(t.name)).join(" UNION ALL ");

const pgbouncerIni = (): string => fileOf("pgbouncer-container", "/etc/pgbouncer/pgbouncer.ini");

/** The program's pgbouncer.ini with local addresses and file paths; every other line as deployed. */
function localPgbouncerIni(ini: string, local: { port: number; authFile: string }): string {
  const replaced = new Set<string>();
  const set = (text: string, key: string, value: string | number) =>
    text.replace(new RegExp(`^${key} = .*$`, "m"), () => {
      replaced.add(key);
      return `${key} = ${value}`;
    });
  let text = ini.replace(/^(\w+ = .*)host=(\S+) port=(\d+)/m, (_, head: string, host: string, port: string) =>
    `${head}host=127.0.0.1 port=${localPort(host, Number(port))}`);
  const values: Record<string, string | number> = {
    listen_addr: "127.0.0.1", listen_port: local.port, auth_file: local.authFile,
    client_tls_cert_file: pg.tls.cert, client_tls_key_file: pg.tls.key, server_tls_ca_file: pg.tls.cert,
  };
  for (const [key, value] of Object.entries(values)) text = set(text, key, value);
  if (replaced.size !== Object.keys(values).length) throw new Error("the program's pgbouncer.ini lacks a setting this test localizes");
  return text;
}

beforeAll(async () => {
  program = await productionRunWithSecrets();
  const admin = revealed(byName(program, "database-provider").object, "database provider") as Record<string, string>;
  // The generated conf with the program's max_connections (PgBouncer's pools are sized from it).
  const postgresqlConf = fileOf("postgres-container", "/etc/postgresql/postgresql.conf");
  const maxConnections = Number(/^max_connections = (\d+)$/m.exec(postgresqlConf)?.[1]);
  pg = await startPostgres({ name: "pg-declared", superuserPassword: admin.password, conf: generatedPostgresConf({ maxConnections }) });
  expect(admin.username).toBe(pg.superuser);
  localPorts.set(`${admin.host}:${admin.port}`, () => pg.port); // the administrators' SSH tunnel
  localPorts.set("jewelry-postgres:5432", () => pg.port);
  localPorts.set("jewelry-pgbouncer:6432", () => bouncer.port);

  for (const step of declaredPostgresSteps(program)) {
    await pg.psql(step.sql, { database: step.database ?? admin.database }).catch((error: Error) => {
      throw new Error(`${step.resource}: ${error.message}`);
    });
  }

  // Django's migrate, with the migrate job's own credentials: it creates the tenant tables.
  // schemaBuild is the migrate job's container id: known only once that job ran, not in this preview.
  const declaredRls = { ...byName(program, "row-level-security-tenant-isolation").object };
  delete declaredRls.schemaBuild;
  const rls = withoutInternalKeys(revealed(declaredRls, "RLS inputs")) as unknown as TenantIsolationInputs;
  tenantTables = rls.tables.map((t) => ({ name: `${t.schema ?? "public"}.${t.table}`, column: t.tenantColumn }));
  await asMigrateJob(tenantTables.map((t) =>
    `CREATE TABLE ${t.name} (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, ${t.column} uuid NOT NULL, name varchar(100) NOT NULL);`).join("\n"));
  // Then RowLevelSecurity, as declared (it runs after the migrate job).
  await tenantIsolationProvider.create({
    ...rls,
    connection: { ...rls.connection, host: "127.0.0.1", port: localPort(rls.connection.host, rls.connection.port) },
  });

  bouncer = await startPgbouncer("pgbouncer-declared", ({ port, authFile }) => ({
    ini: localPgbouncerIni(pgbouncerIni(), { port, authFile }),
    userlist: fileOf("pgbouncer-container", "/etc/pgbouncer/userlist.txt"),
  }));

  // The shop writes through PgBouncer, each tenant in its own transactions.
  for (const [tenant, names] of [[TENANT_A, ["ring", "necklace"]], [TENANT_B, ["bracelet"]]] as const) {
    await asWebTenant(tenant, tenantTables.map((t) =>
      `INSERT INTO ${t.name} (${t.column}, name) VALUES ${names.map((n) => `('${tenant}', '${n}')`).join(", ")}`).join(";\n"));
  }
}, 120_000);

afterAll(async () => {
  await bouncer?.stop();
  await pg?.stop();
});

describe("the migrate job's own credentials", () => {
  it("reach PostgreSQL directly as the migration role, which owns the tables it created", async () => {
    // Whether the settings read DATABASE_URL or the DB_* variables, they name the same connection.
    const { env } = containerInputs(program, "app-migrate");
    const url = new URL(fileOf("app-migrate", "/run/secrets/DATABASE_URL"));
    expect([url.username, url.password, url.hostname, url.port, url.pathname.slice(1)])
      .toEqual([env.get("DB_USER"), fileOf("app-migrate", "/run/secrets/APP_DB_PASSWORD"), env.get("DB_HOST"), env.get("DB_PORT"), env.get("DB_NAME")]);
    const owners = await asMigrateJob(`SELECT DISTINCT tableowner = current_user FROM pg_tables WHERE schemaname || '.' || tablename IN (${tenantTables.map((t) => `'${t.name}'`).join(", ")})`);
    expect(owners).toBe("t");
  });

  it("let a data migration with no tenant set read and update every tenant's rows", async () => {
    expect(await asMigrateJob(countsIn((t) => `SELECT count(*) FROM ${t}`))).toBe(tenantTables.map(() => "3").join("\n"));
    const updated = await asMigrateJob(tenantTables.map((t) =>
      `WITH changed AS (UPDATE ${t.name} SET name = upper(name) RETURNING 1) SELECT count(*) FROM changed;`).join("\n"));
    expect(updated).toBe(tenantTables.map(() => "3").join("\n"));
  });

  it("are given to the migrate job only: no other container holds the migration role's password", () => {
    const migration = databaseUrlOf("app-migrate");
    const serving = containers(program).filter((c) => c.name !== "app-migrate").map((c) => c.name);
    expect(serving).toEqual(expect.arrayContaining(["app-web", "app-worker", "app-beat"]));
    for (const name of serving) {
      const { env, files } = containerInputs(program, name);
      const received = [...env.values(), ...files.values()].join("\n");
      expect(received.includes(migration.password), `${name} holds the migration role's password`).toBe(false);
      expect(env.get("DB_USER"), name).not.toBe(migration.user);
    }
  });
});

describe("the app's credentials (web, worker, beat) through PgBouncer", () => {
  it("see no rows when no tenant is set", async () => {
    expect(await asWeb(countsIn((t) => `SELECT count(*) FROM ${t}`))).toBe(tenantTables.map(() => "0").join("\n"));
  });

  it("see and write only the tenant set for the transaction", async () => {
    const [{ name: first, column }] = tenantTables;
    expect(await asWebTenant(TENANT_A, `SELECT string_agg(lower(name), ',' ORDER BY name) FROM ${first}`)).toBe("necklace,ring");
    expect(await asWebTenant(TENANT_B, `SELECT count(*) FROM ${first}`)).toBe("1");
    await expect(asWebTenant(TENANT_A, `INSERT INTO ${first} (${column}, name) VALUES ('${TENANT_B}', 'forged')`))
      .rejects.toThrow(/new row violates row-level security policy/);
  });

  it("cannot switch row-level security off, bypass it or act as the migration role", async () => {
    const [{ name: first }] = tenantTables;
    const migrationRole = databaseUrlOf("app-migrate").user;
    for (const sql of [`ALTER TABLE ${first} DISABLE ROW LEVEL SECURITY`, `ALTER TABLE ${first} NO FORCE ROW LEVEL SECURITY`, `DROP POLICY tenant_isolation ON ${first}`]) {
      await expect(asWeb(sql), sql).rejects.toThrow(/must be owner of (table|relation)/);
    }
    await expect(asWeb(`SET row_security = off; SELECT count(*) FROM ${first}`)).rejects.toThrow(/query would be affected by row-level security policy/);
    await expect(asWeb(`SET ROLE ${migrationRole}`)).rejects.toThrow(/permission denied to set role/);
    expect(await asWeb("SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user")).toBe("f|f");
  });
});

describe("the monitoring role", () => {
  it("reads pg_stat_statements with the exporter's own query and sees every role's statements", async () => {
    const { env } = containerInputs(program, "monitoring-postgres-exporter");
    const uri = new URL(`postgres://${env.get("DATA_SOURCE_URI")}`);
    const monitor: Credentials = {
      user: env.get("DATA_SOURCE_USER") ?? "", password: env.get("DATA_SOURCE_PASS") ?? "",
      database: uri.pathname.slice(1), sslmode: uri.searchParams.get("sslmode") ?? "prefer", port: localPort(uri.hostname, Number(uri.port)),
    };
    // postgres_exporter 0.16's stat_statements collector (PostgreSQL 13+).
    const rows = await psqlAs(monitor, `SELECT pg_get_userbyid(userid) as user, pg_database.datname, pg_stat_statements.queryid,
      pg_stat_statements.calls as calls_total, pg_stat_statements.total_exec_time / 1000.0 as seconds_total
      FROM pg_stat_statements JOIN pg_database ON pg_database.oid = pg_stat_statements.dbid
      WHERE total_exec_time > (SELECT percentile_cont(0.1) WITHIN GROUP (ORDER BY total_exec_time) FROM pg_stat_statements)
      ORDER BY seconds_total DESC LIMIT 100`);
    expect(rows).toMatch(/^\w+\|\w+\|-?\d+\|\d+\|[\d.]+$/m);
    const appStatements = await psqlAs(monitor, `SELECT count(*) FROM pg_stat_statements
      WHERE pg_get_userbyid(userid) = '${databaseUrlOf("app-web").user}' AND query LIKE 'INSERT INTO%'`);
    expect(Number(appStatements)).toBeGreaterThan(0);
  });
});

describe(`a storm of ${STORM_CLIENTS} simultaneous logins through PgBouncer`, () => {
  it("is served without a single refusal", async () => {
    const web = databaseUrlOf("app-web");
    const config = {
      host: "127.0.0.1", port: web.port, user: web.user, password: web.password, database: web.database,
      ssl: { ca: readFileSync(pg.tls.cert, "utf8"), rejectUnauthorized: true },
      connectionTimeoutMillis: 60_000, query_timeout: 30_000,
    };
    const logBefore = pg.output().length;
    const started = Date.now();
    const clients = Array.from({ length: STORM_CLIENTS }, () => new Client(config));
    // Every client logs in at once and stays until all have tried: 500 sessions at the same time.
    const outcomes = await Promise.all(clients.map(async (client) => {
      try {
        await client.connect();
        await client.query("SELECT 1");
        return "ok";
      } catch (error) {
        return (error as Error).message;
      }
    }));
    // PgBouncer kept its auth lookups within the cap its ini declares.
    const authPool = Number(/^pgbouncer_auth = max_user_connections=(\d+)$/m.exec(pgbouncerIni())?.[1]);
    const authBackends = Number(await pg.psql("SELECT count(*) FROM pg_stat_activity WHERE usename = 'pgbouncer_auth'"));
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    console.info(`${STORM_CLIENTS} logins through PgBouncer in ${Date.now() - started} ms`);
    // Refused on either side: a client's error, or PostgreSQL turning one of PgBouncer's connections away.
    const clientRefusals = outcomes.filter((o) => o !== "ok");
    const serverRefusals = pg.output().slice(logBefore).split("\n").filter((line) => / FATAL: /.test(line));
    expect(clientRefusals, [...new Set(clientRefusals)].join("; ")).toEqual([]);
    expect(serverRefusals).toEqual([]);
    expect(authBackends).toBeGreaterThan(0);
    expect(authBackends).toBeLessThanOrEqual(authPool);
  }, 120_000);
});

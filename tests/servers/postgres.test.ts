// PostgreSQL 15 started with the generated postgresql.conf and pg_hba.conf.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderPgbouncerAuthSql } from "../../components/postgres/pgbouncer-auth-sql";
import { waitFor } from "./fixtures";
import { generatedPostgresConf } from "./postgres-generated-conf";
import { startPostgres, type PostgresServer } from "./postgres-server";

const appPassword = randomBytes(12).toString("hex");
const authPassword = randomBytes(12).toString("hex");
let pg: PostgresServer;

beforeAll(async () => {
  pg = await startPostgres({ name: "pg-conf", conf: generatedPostgresConf() });
  await pg.psql(`
    CREATE ROLE shop_app LOGIN PASSWORD '${appPassword}';
    CREATE ROLE pgbouncer_auth LOGIN PASSWORD '${authPassword}';
    ${renderPgbouncerAuthSql()}
  `);
});

afterAll(async () => {
  await pg?.stop();
});

describe("generated postgresql.conf and pg_hba.conf", () => {
  it("accepts an app role over TLS with the right password (verify-full against the server cert)", async () => {
    const row = await pg.psql("SELECT current_user, ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()", {
      user: "shop_app", password: appPassword, sslmode: "verify-full",
    });
    expect(row).toMatch(/^shop_app\|t\|TLSv1\.[23]$/);
  });

  it("refuses a TCP connection without TLS", async () => {
    await expect(pg.psql("SELECT 1", { user: "shop_app", password: appPassword, sslmode: "disable" }))
      .rejects.toThrow(/pg_hba\.conf rejects connection .*no encryption/);
  });

  it("refuses a wrong password", async () => {
    await expect(pg.psql("SELECT 1", { user: "shop_app", password: "not-the-password" }))
      .rejects.toThrow(/password authentication failed for user "shop_app"/);
  });

  it("stores SCRAM verifiers, runs with TLS on and preloads pg_stat_statements", async () => {
    const out = await pg.psql(`
      SHOW password_encryption; SHOW ssl; SHOW ssl_min_protocol_version; SHOW shared_preload_libraries;
      SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = 'shop_app';
    `);
    expect(out.split("\n")).toEqual(["scram-sha-256", "on", "TLSv1.2", "pg_stat_statements", "SCRAM-SHA-256$"]);
  });

  it("archives a WAL segment after pg_switch_wal()", async () => {
    const archived = async (): Promise<number> => Number(await pg.psql("SELECT archived_count FROM pg_stat_archiver"));
    const before = await archived();
    // A switch only happens when the current segment has WAL in it.
    const segment = await pg.psql("CREATE TABLE wal_marker AS SELECT 1 AS x; SELECT pg_walfile_name(pg_switch_wal())");
    await waitFor(`segment ${segment} in the archive`, () => existsSync(join(pg.archiveDir, segment)), 10_000);
    await waitFor("pg_stat_archiver to count it", async () => (await archived()) > before, 10_000);
  });

  describe("PgBouncer auth function (SECURITY DEFINER)", () => {
    const asAuthRole = { user: "pgbouncer_auth", password: authPassword };

    it("returns an ordinary role's SCRAM verifier to the auth role", async () => {
      const row = await pg.psql("SELECT usename, left(passwd, 14) FROM pgbouncer.get_auth('shop_app')", asAuthRole);
      expect(row).toBe("shop_app|SCRAM-SHA-256$");
    });

    it("returns nothing for a superuser", async () => {
      expect(await pg.psql("SELECT count(*) FROM pgbouncer.get_auth('postgres')", asAuthRole)).toBe("0");
    });

    it("cannot be called by other roles", async () => {
      await expect(pg.psql("SELECT * FROM pgbouncer.get_auth('shop_app')", { user: "shop_app", password: appPassword }))
        .rejects.toThrow(/permission denied/);
    });
  });
});

import { describe, expect, it } from "vitest";
import {
  AUTH_POOL_SIZE, authRoleConnectionLimit, derivePoolSizes, renderPgbouncerIni, renderPgbouncerUserlist,
  type PgbouncerIniArgs, type PoolSizes,
} from "../../components/pgbouncer/pgbouncer-ini";

describe("derivePoolSizes", () => {
  it.each<[number, PoolSizes]>([
    // 100 - 3 superuser - 8 headroom = 89; reserve 10% = 8.
    [100, { maxDbConnections: 89, defaultPoolSize: 81, reservePoolSize: 8, maxClientConn: 890 }],
    // 30 - 11 = 19; reserve 1; client floor 190.
    [30, { maxDbConnections: 19, defaultPoolSize: 18, reservePoolSize: 1, maxClientConn: 190 }],
    // 13 - 11 = 2: smallest allowed; client floor of 100.
    [13, { maxDbConnections: 2, defaultPoolSize: 1, reservePoolSize: 1, maxClientConn: 100 }],
  ])("max_connections %i", (maxConnections, expected) => {
    expect(derivePoolSizes({ postgresMaxConnections: maxConnections })).toEqual(expected);
  });

  it("never lets the pool plus reserve exceed what Postgres can spare", () => {
    for (let max = 13; max <= 500; max++) {
      const p = derivePoolSizes({ postgresMaxConnections: max, superuserReservedConnections: 3 });
      expect(p.defaultPoolSize + p.reservePoolSize).toBe(p.maxDbConnections);
      expect(p.maxDbConnections + 3 + 8).toBe(max);
    }
  });

  it("honours custom headroom and refuses a max_connections too small to share", () => {
    expect(derivePoolSizes({ postgresMaxConnections: 100, headroom: { migrations: 10 } }).maxDbConnections).toBe(81);
    expect(() => derivePoolSizes({ postgresMaxConnections: 12 })).toThrowError(/leaves 1 for PgBouncer/);
  });
});

describe("renderPgbouncerIni", () => {
  const args: PgbouncerIniArgs = {
    database: { dbname: "jewelry", host: "postgres", port: 5432 },
    authUser: "pgbouncer_auth",
    authQuery: "SELECT usename, passwd FROM pgbouncer.get_auth($1)",
    authFile: "/etc/pgbouncer/userlist.txt",
    clientTls: { certFile: "/tls/pgbouncer.crt", keyFile: "/tls/pgbouncer.key" },
    serverTls: { caFile: "/tls/postgres-ca.crt" },
    pool: derivePoolSizes({ postgresMaxConnections: 100 }),
    adminUsers: ["dba"],
    statsUsers: ["pgbouncer_exporter"],
  };
  const lines = renderPgbouncerIni(args).split("\n");

  it.each([
    "[databases]",
    "jewelry = host=postgres port=5432 dbname=jewelry",
    "[pgbouncer]",
    "listen_addr = 0.0.0.0",
    "listen_port = 6432",
    "pool_mode = transaction",
    "auth_type = scram-sha-256",
    "auth_user = pgbouncer_auth",
    "auth_query = SELECT usename, passwd FROM pgbouncer.get_auth($1)",
    "auth_file = /etc/pgbouncer/userlist.txt",
    "client_tls_sslmode = require",
    "client_tls_cert_file = /tls/pgbouncer.crt",
    "client_tls_key_file = /tls/pgbouncer.key",
    "server_tls_sslmode = verify-full",
    "server_tls_ca_file = /tls/postgres-ca.crt",
    "max_db_connections = 89",
    "default_pool_size = 81",
    "reserve_pool_size = 8",
    "max_client_conn = 890",
    "admin_users = dba",
    "stats_users = pgbouncer_exporter",
    "ignore_startup_parameters = extra_float_digits",
    "server_reset_query = ",
    "log_connections = 1",
  ])("contains %s", (line) => {
    expect(lines).toContain(line);
  });

  it("carries no password", () => {
    expect(lines.join("\n")).not.toMatch(/password\s*=/i);
  });

  it("refuses a pool bigger than max_db_connections", () => {
    const pool = { ...args.pool, defaultPoolSize: args.pool.maxDbConnections };
    expect(() => renderPgbouncerIni({ ...args, pool })).toThrowError(/must not exceed max_db_connections/);
  });

  it("caps the auth lookups' pool in [users], below the auth role's connection limit", () => {
    expect(lines.slice(lines.indexOf("[users]"))).toContain(`pgbouncer_auth = max_user_connections=${AUTH_POOL_SIZE}`);
    expect(renderPgbouncerIni({ ...args, authPoolSize: 2 })).toMatch(/^pgbouncer_auth = max_user_connections=2$/m);
    expect(authRoleConnectionLimit(2)).toBeGreaterThan(2);
    expect(() => renderPgbouncerIni({ ...args, authPoolSize: 0 })).toThrowError(/authPoolSize must be a whole number of at least 1/);
  });

  it("refuses values that would inject ini lines or connection parameters", () => {
    expect(() => renderPgbouncerIni({ ...args, authQuery: "SELECT 1\nauth_type = trust" })).toThrowError(/one line/);
    expect(() => renderPgbouncerIni({ ...args, database: { ...args.database, host: "pg sslmode=disable" } })).toThrowError(/host name or IP/);
  });
});

describe("renderPgbouncerUserlist", () => {
  it("writes one quoted line per user, doubling embedded quotes", () => {
    expect(renderPgbouncerUserlist([{ user: "pgbouncer_auth", password: 'pa"ss' }])).toBe('"pgbouncer_auth" "pa""ss"\n');
  });
});

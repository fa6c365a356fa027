import { describe, expect, it } from "vitest";
import { renderPgHbaConf } from "../../components/postgres/pg-hba";
import { pgbouncerAuthQuery, renderPgbouncerAuthSql } from "../../components/postgres/pgbouncer-auth-sql";
import { copyArchiveCommand, renderPostgresqlConf, type PostgresqlConfArgs } from "../../components/postgres/postgresql-conf";
import { rlsStatements, tenantPredicate } from "../../components/postgres/rls-sql";
import { computeTuning, type PostgresTuning, type TuningArgs } from "../../components/postgres/tuning";

describe("computeTuning (PGTune web profile)", () => {
  const cases: Array<[string, TuningArgs, Partial<PostgresTuning>]> = [
    ["small container, 2 CPUs", { memoryMiB: 512, cpus: 2, maxConnections: 30 }, {
      sharedBuffersMiB: 128, effectiveCacheSizeMiB: 384, maintenanceWorkMemMiB: 32, workMemKiB: 3449, walBuffersKiB: 3932,
      maxWorkerProcesses: 8, maxParallelWorkers: 2, maxParallelWorkersPerGather: 1, randomPageCost: 1.1, effectiveIoConcurrency: 200,
    }],
    ["4 GiB, 4 CPUs: wal_buffers capped at 16 MiB", { memoryMiB: 4096, cpus: 4, maxConnections: 100 }, {
      sharedBuffersMiB: 1024, effectiveCacheSizeMiB: 3072, maintenanceWorkMemMiB: 256, workMemKiB: 4854, walBuffersKiB: 16384,
      maxParallelWorkersPerGather: 2, maxParallelMaintenanceWorkers: 2,
    }],
    ["64 GiB, 16 CPUs, hdd: maintenance_work_mem capped at 2 GiB", { memoryMiB: 65536, cpus: 16, maxConnections: 200, storage: "hdd" }, {
      sharedBuffersMiB: 16384, effectiveCacheSizeMiB: 49152, maintenanceWorkMemMiB: 2048, workMemKiB: 19418,
      maxWorkerProcesses: 16, maxParallelWorkers: 16, maxParallelWorkersPerGather: 4, randomPageCost: 4, effectiveIoConcurrency: 2,
    }],
    ["many connections on little memory: work_mem floor of 64 kB", { memoryMiB: 256, cpus: 1, maxConnections: 5000 }, { workMemKiB: 64 }],
  ];
  it.each(cases)("%s", (_title, args, expected) => {
    expect(computeTuning(args)).toMatchObject(expected);
  });

  it("always sets checkpoint and WAL sizes for steady checkpoints", () => {
    expect(computeTuning({ memoryMiB: 1024, cpus: 2, maxConnections: 50 })).toMatchObject({
      checkpointCompletionTarget: 0.9, minWalSizeMiB: 1024, maxWalSizeMiB: 4096, defaultStatisticsTarget: 100,
    });
  });

  it("rejects impossible sizes", () => {
    expect(() => computeTuning({ memoryMiB: 128, cpus: 2, maxConnections: 10 })).toThrowError(/memoryMiB must be an integer >= 256/);
    expect(() => computeTuning({ memoryMiB: 1024, cpus: 0, maxConnections: 10 })).toThrowError(/cpus/);
    expect(() => computeTuning({ memoryMiB: 1024, cpus: 2, maxConnections: 0 })).toThrowError(/maxConnections/);
  });
});

describe("renderPostgresqlConf", () => {
  const base: PostgresqlConfArgs = {
    maxConnections: 100, memoryMiB: 2048, cpus: 2,
    tls: { certFile: "/tls/server.crt", keyFile: "/tls/server.key" },
    hbaFile: "/etc/postgresql/pg_hba.conf",
    archive: { dir: "/var/lib/postgresql/wal-archive" },
  };
  const conf = renderPostgresqlConf(base);

  it.each([
    "listen_addresses = '*'",
    "port = 5432",
    "max_connections = 100",
    "password_encryption = scram-sha-256",
    "ssl = on",
    "ssl_cert_file = '/tls/server.crt'",
    "ssl_key_file = '/tls/server.key'",
    "ssl_min_protocol_version = 'TLSv1.2'",
    "hba_file = '/etc/postgresql/pg_hba.conf'",
    "wal_level = replica",
    "archive_mode = on",
    "archive_command = 'test ! -f /var/lib/postgresql/wal-archive/%f && cp %p /var/lib/postgresql/wal-archive/%f'",
    "archive_timeout = 300s",
    "shared_preload_libraries = 'pg_stat_statements'",
    "shared_buffers = 512MB",
    "effective_cache_size = 1536MB",
    "log_connections = on",
    "log_disconnections = on",
    "log_min_duration_statement = 500",
    "log_lock_waits = on",
    "log_temp_files = 0",
    "log_checkpoints = on",
    "log_autovacuum_min_duration = 1000",
  ])("contains %s", (line) => {
    expect(conf.split("\n")).toContain(line);
  });

  it("uses a given archive command verbatim, quoting embedded single quotes", () => {
    const text = renderPostgresqlConf({ ...base, archive: { command: "pgbackrest --stanza='main' archive-push %p" } });
    expect(text).toContain("archive_command = 'pgbackrest --stanza=''main'' archive-push %p'");
  });

  it("adds ssl_ca_file only when a CA is given", () => {
    expect(conf).not.toContain("ssl_ca_file");
    expect(renderPostgresqlConf({ ...base, tls: { ...base.tls, caFile: "/tls/ca.crt" } })).toContain("ssl_ca_file = '/tls/ca.crt'");
  });

  it("refuses an archive dir that would break the shell command", () => {
    expect(() => copyArchiveCommand("/tmp/a b")).toThrowError(/absolute path without spaces/);
    expect(() => copyArchiveCommand("relative")).toThrowError(/absolute path/);
  });

  it("refuses a multi-line value", () => {
    expect(() => renderPostgresqlConf({ ...base, hbaFile: "/x\nssl = off" })).toThrowError(/one line/);
  });
});

describe("renderPgHbaConf", () => {
  const rows = (text: string): string[][] =>
    text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.trim().split(/\s+/));

  it("rejects non-TLS first, allows SCRAM over TLS from the data network, rejects the rest", () => {
    expect(rows(renderPgHbaConf({ allowedCidrs: ["172.28.0.0/16"] }))).toEqual([
      ["local", "all", "all", "scram-sha-256"],
      ["hostnossl", "all", "all", "all", "reject"],
      ["hostssl", "all", "all", "172.28.0.0/16", "scram-sha-256"],
      ["host", "all", "all", "all", "reject"],
    ]);
  });

  it("never uses trust, md5 or password", () => {
    expect(renderPgHbaConf({ allowedCidrs: ["10.0.0.0/8", "fd00::/8"] })).not.toMatch(/\b(trust|md5|password|ident|peer)\b/);
  });

  it("refuses the whole internet and malformed CIDRs", () => {
    expect(() => renderPgHbaConf({ allowedCidrs: ["0.0.0.0/0"] })).toThrowError(/whole internet/);
    expect(() => renderPgHbaConf({ allowedCidrs: ["::/0"] })).toThrowError(/whole internet/);
    expect(() => renderPgHbaConf({ allowedCidrs: ["10.0.0.300/8"] })).toThrowError(/not a CIDR/);
    expect(() => renderPgHbaConf({ allowedCidrs: [] })).toThrowError(/at least one/);
  });
});

describe("renderPgbouncerAuthSql", () => {
  const sql = renderPgbouncerAuthSql();

  it("defines a SECURITY DEFINER lookup with a pinned search_path that skips superusers", () => {
    expect(sql).toContain("SECURITY DEFINER");
    expect(sql).toContain("SET search_path = pg_catalog, pg_temp");
    expect(sql).toContain("AND NOT s.usesuper");
  });

  it("lets only the auth role execute it", () => {
    expect(sql).toContain("REVOKE ALL ON FUNCTION pgbouncer.get_auth(text) FROM PUBLIC;");
    expect(sql).toContain("GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(text) TO pgbouncer_auth;");
  });

  it("matches the auth_query PgBouncer runs", () => {
    expect(pgbouncerAuthQuery()).toBe("SELECT usename, passwd FROM pgbouncer.get_auth($1)");
  });

  it("refuses names that are not plain identifiers", () => {
    expect(() => renderPgbouncerAuthSql({ authRole: "x; DROP ROLE y" })).toThrowError(/authRole must be a lower-case SQL identifier/);
  });
});

describe("rlsStatements", () => {
  const products = { schema: "shop", table: "products", tenantColumn: "tenant_id", columnType: "uuid" };
  const orders = { schema: "shop", table: "orders", tenantColumn: "tenant_id", columnType: "bigint" };
  const desired = { tables: [products], settingName: "app.current_tenant", policyName: "tenant_isolation" };

  it("casts the tenant setting to the column type, with an empty setting meaning no tenant", () => {
    expect(tenantPredicate(products, "app.current_tenant"))
      .toBe(`"tenant_id" = NULLIF(current_setting('app.current_tenant', true), '')::uuid`);
  });

  it("enables and forces RLS and creates or alters one policy with USING and WITH CHECK", () => {
    const sql = rlsStatements({ desired });
    expect(sql.slice(0, 2)).toEqual([
      `ALTER TABLE "shop"."products" ENABLE ROW LEVEL SECURITY`,
      `ALTER TABLE "shop"."products" FORCE ROW LEVEL SECURITY`,
    ]);
    expect(sql[2]).toMatch(/ALTER POLICY "tenant_isolation" ON "shop"."products" TO PUBLIC USING \(.+\) WITH CHECK \(.+\)/);
    expect(sql[2]).toMatch(/CREATE POLICY "tenant_isolation" ON "shop"."products" AS PERMISSIVE FOR ALL/);
  });

  it("disables RLS on tables no longer listed and drops a renamed policy", () => {
    const sql = rlsStatements({
      desired: { ...desired, policyName: "by_tenant" },
      previous: { tables: [products, orders], policyName: "tenant_isolation" },
    }).join("\n");
    expect(sql).toMatch(/DROP POLICY IF EXISTS "tenant_isolation" ON "shop"."orders";\s+ALTER TABLE "shop"."orders" NO FORCE/);
    expect(sql).toMatch(/DROP POLICY IF EXISTS "tenant_isolation" ON "shop"."products";\s+END IF/);
    expect(sql).not.toContain(`ALTER TABLE "shop"."products" DISABLE`);
    expect(sql).toContain(`CREATE POLICY "by_tenant" ON "shop"."products"`);
  });

  it("quotes identifiers and refuses odd setting names", () => {
    expect(rlsStatements({ desired: { ...desired, tables: [{ ...products, table: 'we"ird' }] } })[0]).toContain(`"shop"."we""ird"`);
    expect(() => rlsStatements({ desired: { ...desired, settingName: "tenant'; --" } })).toThrowError(/setting name/);
    expect(() => rlsStatements({ desired: { ...desired, tables: [products, products] } })).toThrowError(/listed twice/);
  });
});

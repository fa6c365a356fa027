// Checklist sections 2–4 on the program: versions, database objects, RLS, PgBouncer in the path, Redis,
// and every secret staying a Pulumi secret wherever it flows into a resource input.
import { beforeAll, describe, expect, it } from "vitest";
import type { ProgramRun } from "../../check/run-program";
import { authRoleConnectionLimit } from "../../components/pgbouncer/pgbouncer-ini";
import { byName, containers, envOf, isSecret, productionRun, uploadsOf } from "./production-run";

let program: ProgramRun;
beforeAll(async () => {
  program = await productionRun();
});

describe("data tier", () => {
  it("runs PostgreSQL 15+ and Redis 7+ (3.1, 4.1)", () => {
    const version = (name: string) => Number(/:(\d+)/.exec(String(byName(program, name).object.image))?.[1]);
    expect(version("postgres-container")).toBeGreaterThanOrEqual(15);
    expect(version("redis-container")).toBeGreaterThanOrEqual(7);
  });

  it("starts PostgreSQL with the generated config: scram, TLS, WAL archived by pgBackRest to the repository host (3.1, 13.6)", () => {
    const pg = byName(program, "postgres-container");
    const conf = uploadsOf(pg).find((u) => u.file === "/etc/postgresql/postgresql.conf")!.content as string;
    expect(conf).toMatch(/^password_encryption = '?scram-sha-256/m);
    expect(conf).toMatch(/^ssl = on/m);
    expect(conf).toMatch(/^archive_mode = on/m);
    expect(conf).toMatch(/^archive_command = 'pgbackrest --stanza=main archive-push %p'$/m);
    const pgbackrestConf = uploadsOf(pg).find((u) => u.file === "/etc/pgbackrest/pgbackrest.conf")!.content as string;
    for (const n of [1, 2, 3]) expect(pgbackrestConf).toContain(`repo${n}-host=jewelry-backup\nrepo${n}-host-type=tls\n`);
    expect(pgbackrestConf).not.toMatch(/cipher|s3-|repo\d-path|repo\d-type/);
    expect(pg.object.command).toEqual(["postgres", "-c", "config_file=/etc/postgresql/postgresql.conf"]);
    const hba = uploadsOf(pg).find((u) => u.file === "/etc/postgresql/pg_hba.conf")!.content as string;
    expect(hba).toMatch(/^hostnossl\s+all\s+all\s+all\s+reject/m);
    expect(hba).not.toMatch(/\b(md5|trust|password)\b/);
  });

  it("creates the configured database, an owner and a least-privilege app role (3.2, 3.3)", () => {
    expect(byName(program, "database-database").object).toMatchObject({ name: "jewelry_shop", owner: "jewelry_owner" });
    const app = byName(program, "database-app").object;
    expect(app).toMatchObject({ name: "jewelry_app", login: true, superuser: false, createDatabase: false, createRole: false, bypassRowLevelSecurity: false });
    expect(isSecret(app.password)).toBe(true);
    const auth = byName(program, "database-pgbouncer-auth-function").object;
    expect(auth).toMatchObject({ securityDefiner: true, schema: "pgbouncer" });
    expect(String(auth.body)).toContain("NOT s.usesuper");
  });

  it("gives the migrate job, and only it, the migration role, which bypasses row-level security on purpose (3.3, 3.4)", () => {
    const migration = byName(program, "database-owner").object;
    expect(migration).toMatchObject({ name: "jewelry_owner", login: true, superuser: false, createRole: false, bypassRowLevelSecurity: true });
    expect(envOf(byName(program, "app-migrate")).plain.get("DB_USER")).toBe("jewelry_owner");
    for (const name of ["app-web", "app-worker", "app-beat"]) expect(envOf(byName(program, name)).plain.get("DB_USER"), name).toBe("jewelry_app");
  });

  it("creates pg_stat_statements in the app database for the monitoring role, which has pg_monitor (8.4, 14.2)", () => {
    expect(byName(program, "database-pg-stat-statements").object).toEqual({ name: "pg_stat_statements", database: "jewelry_shop", schema: "public" });
    expect(byName(program, "database-monitor").object.roles).toEqual(["pg_monitor"]);
    const conf = uploadsOf(byName(program, "postgres-container")).find((u) => u.file === "/etc/postgresql/postgresql.conf")!.content as string;
    expect(conf).toMatch(/^shared_preload_libraries = 'pg_stat_statements'$/m);
  });

  it("lets the PgBouncer auth role open what PgBouncer may open as it (3.6)", () => {
    const ini = uploadsOf(byName(program, "pgbouncer-container")).find((u) => u.file === "/etc/pgbouncer/pgbouncer.ini")!.content as string;
    const authPool = Number(/^pgbouncer_auth = max_user_connections=(\d+)$/m.exec(ini)?.[1]);
    expect(authPool).toBeGreaterThanOrEqual(1);
    expect(byName(program, "database-pgbouncer-auth").object.connectionLimit).toBe(authRoleConnectionLimit(authPool));
    expect(authRoleConnectionLimit(authPool)).toBeGreaterThan(authPool);
  });

  it("grants EXECUTE on PgBouncer's auth function only after revoking it from PUBLIC: both rewrite the function's ACL row", () => {
    const execute = byName(program, "database-pgbouncer-auth-execute");
    expect(execute.dependencies.some((urn) => urn.endsWith("::database-pgbouncer-auth-revoke-public"))).toBe(true);
  });

  it("applies row-level security to every configured tenant table after the migrations (3.4)", () => {
    const rls = byName(program, "row-level-security-tenant-isolation");
    expect(rls.object.tables).toEqual([
      { schema: "public", table: "inventory_item", tenantColumn: "tenant_id" },
      { schema: "public", table: "sales_sale", tenantColumn: "tenant_id" },
      { schema: "public", table: "customers_customer", tenantColumn: "tenant_id" },
      { schema: "public", table: "repairs_repairorder", tenantColumn: "tenant_id" },
    ]);
    expect(rls.object.settingName).toBe("app.current_tenant");
    expect(isSecret(rls.object.connection)).toBe(true);
    expect(rls.dependencies.some((urn) => urn.endsWith("::app-migrate"))).toBe(true);
  });

  it("sends the app through PgBouncer in transaction pooling, and only migrations straight to PostgreSQL (3.6, 3.7)", () => {
    for (const name of ["app-web", "app-worker", "app-beat"]) {
      const env = envOf(byName(program, name)).plain;
      expect(env.get("DB_HOST"), name).toBe("jewelry-pgbouncer");
      expect(env.get("DB_PORT"), name).toBe("6432");
      expect(env.get("USE_PGBOUNCER"), name).toBe("True");
      const networks = (byName(program, name).object.networksAdvanced as { name: string }[]).map((n) => n.name);
      expect(networks, name).not.toContain("jewelry-data");
    }
    expect(envOf(byName(program, "app-migrate")).plain.get("DB_HOST")).toBe("jewelry-postgres");
    const ini = uploadsOf(byName(program, "pgbouncer-container")).find((u) => u.file === "/etc/pgbouncer/pgbouncer.ini")!.content as string;
    expect(ini).toMatch(/^pool_mode = transaction/m);
    expect(ini).toMatch(/^auth_type = scram-sha-256/m);
    expect(ini).toMatch(/^server_tls_sslmode = verify-full/m);
  });

  it("configures Redis with ACL auth, AOF + RDB and a memory ceiling (4.2, 4.3, 4.5)", () => {
    const redis = byName(program, "redis-container");
    const conf = uploadsOf(redis).find((u) => u.file === "/usr/local/etc/redis/redis.conf")!.content as string;
    expect(conf).toMatch(/^appendonly yes/m);
    expect(conf).toMatch(/^appendfsync everysec/m);
    expect(conf).toMatch(/^save 900 1/m);
    expect(conf).toMatch(/^maxmemory 768mb/m);
    expect(conf).toMatch(/^maxmemory-policy volatile-lru/m);
    // The default user is declared off in redis.conf itself (known at preview); passwords come from the include.
    expect(conf).toMatch(/^user default off resetpass resetkeys resetchannels -@all$/m);
    expect(conf).toMatch(/^include \/usr\/local\/etc\/redis\/users.acl$/m);
    expect(conf).not.toMatch(/^aclfile /m);
    expect(conf).not.toMatch(/requirepass/);
  });
});

describe("secrets", () => {
  it("generates every secret per stack with a stack keeper (2.1–2.6, 2.8)", () => {
    const randoms = program.resources.filter((r) => r.type.startsWith("random:"));
    expect(randoms.length).toBeGreaterThanOrEqual(12);
    for (const r of randoms) expect(r.object.keepers, r.name).toEqual({ stack: "production" });
    expect(byName(program, "secrets-django-secret-key").object).toMatchObject({ length: 64, special: true });
    expect(byName(program, "secrets-backup-encryption-key").object).toMatchObject({ length: 32 });
    expect(byName(program, "secrets-field-encryption-key").object).toMatchObject({ length: 32 });
  });

  it("keeps every secret a Pulumi secret in container env vars and uploaded files (2.7)", () => {
    const secretUploads = /(\.key|userlist\.txt|users\.acl|privkey\.pem|\.pgpass)$|^\/run\/secrets\/|\/conf\.d\//;
    const secretEnv = /^(DJANGO_SECRET_KEY|BACKUP_ENCRYPTION_KEY|FIELD_ENCRYPTION_KEY|APP_DB_PASSWORD|DATABASE_URL|REDIS_PASSWORD|REDIS_URL|CELERY_BROKER_URL|POSTGRES_PASSWORD|SENTRY_DSN|STRIPE_SECRET_KEY|STRIPE_WEBHOOK_SECRET|TWILIO_AUTH_TOKEN|SENDGRID_API_KEY)$/;
    let checkedUploads = 0;
    for (const c of containers(program)) {
      const env = envOf(c);
      expect(env.other, c.name).toEqual([]);
      for (const name of env.plain.keys()) expect(name, `${c.name} has ${name} in plain text`).not.toMatch(secretEnv);
      for (const upload of uploadsOf(c)) {
        if (!secretUploads.test(upload.file)) continue;
        checkedUploads++;
        expect(isSecret(upload.content), `${c.name} ${upload.file}`).toBe(true);
      }
    }
    expect(checkedUploads).toBeGreaterThanOrEqual(5);
    // The app's credentials are secret files (their names known at preview), not secret env entries.
    expect(uploadsOf(byName(program, "app-web")).filter((u) => u.file.startsWith("/run/secrets/")).length).toBeGreaterThanOrEqual(15);
    expect(envOf(byName(program, "app-web")).secretCount).toBe(0);
    expect(envOf(byName(program, "postgres-container")).secretCount).toBe(1);
    // Repository secrets live on the repository host only, never with PostgreSQL.
    expect([...envOf(byName(program, "postgres-container")).plain.keys()].filter((k) => k.startsWith("PGBACKREST_"))).toEqual([]);
  });
});

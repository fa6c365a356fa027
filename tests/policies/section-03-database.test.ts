import { describe, expect, it } from "vitest";
import { baseline, mutate, setEnv, stackContext, TENANT_TABLES, type MutableProps } from "./baseline";
import { findingsOf, messagesOf } from "./harness";

const ctx = stackContext();
const compliant = baseline();
const onPostgres = (change: (p: MutableProps) => void) => mutate(compliant, "postgres-container", change);

describe("postgres-version-15-plus", () => {
  it("passes with postgres:16.6-bookworm", async () => {
    expect(await findingsOf("postgres-version-15-plus", compliant, ctx)).toEqual([]);
  });
  it("fails with PostgreSQL 14", async () => {
    expect(await messagesOf("postgres-version-15-plus", onPostgres((p) => { p.image = "postgres:14.10"; }), ctx)).toEqual(["PostgreSQL 14 is older than 15."]);
  });
  it("fails when the tag states no version", async () => {
    expect(await messagesOf("postgres-version-15-plus", onPostgres((p) => { p.image = "docker.io/library/postgres:bookworm"; }), ctx)).toHaveLength(1);
  });
});

describe("postgres-config-hardened", () => {
  it("passes with the rendered postgresql.conf and pg_hba.conf", async () => {
    expect(await findingsOf("postgres-config-hardened", compliant, ctx)).toEqual([]);
  });
  it("fails when the command line turns ssl off over the file", async () => {
    const off = onPostgres((p) => { p.command = [...p.command, "-c", "ssl=off"]; });
    expect(await messagesOf("postgres-config-hardened", off, ctx)).toEqual([expect.stringMatching(/^ssl is not on/)]);
  });
  it("fails when archive_mode is off", async () => {
    const off = onPostgres((p) => { p.uploads[0].content = p.uploads[0].content.replace("archive_mode = on", "archive_mode = off"); });
    expect(await messagesOf("postgres-config-hardened", off, ctx)).toEqual([expect.stringMatching(/^archive_mode is off/)]);
  });
  it("fails when pg_hba.conf accepts TCP without TLS before rejecting it", async () => {
    const open = onPostgres((p) => { p.uploads[1].content = `host all all 0.0.0.0/0 scram-sha-256\n${p.uploads[1].content}`; });
    expect(await messagesOf("postgres-config-hardened", open, ctx)).toEqual([expect.stringMatching(/line 1 \(host … 0.0.0.0\/0\) accepts TCP connections without TLS/)]);
  });
  it("fails on trust authentication", async () => {
    const trust = onPostgres((p) => { p.uploads[1].content = p.uploads[1].content.replace(/^local(\s+all\s+all\s+)scram-sha-256/m, "local$1trust"); });
    expect(await messagesOf("postgres-config-hardened", trust, ctx)).toEqual([expect.stringMatching(/uses trust/)]);
  });
  it("fails on the image's defaults when no config file is named", async () => {
    const defaults = onPostgres((p) => { p.command = ["postgres"]; });
    expect(await messagesOf("postgres-config-hardened", defaults, ctx)).toHaveLength(3);
  });
});

describe("app-database-declared", () => {
  it("passes when the configured database is declared and used", async () => {
    expect(await findingsOf("app-database-declared", compliant, ctx)).toEqual([]);
  });
  it("fails when the declared database has another name", async () => {
    const other = mutate(compliant, "database-database", (p) => { p.name = "shop"; });
    expect(await messagesOf("app-database-declared", other, ctx)).toEqual(['no postgresql Database named "jewelry_shop" (declared: shop).']);
  });
  it("fails when an app container connects to another database", async () => {
    const other = mutate(compliant, "app-web", (p) => setEnv(p, "DB_NAME", "postgres"));
    expect(await messagesOf("app-database-declared", other, ctx)).toEqual([expect.stringMatching(/connects to database "postgres"/)]);
  });
});

describe("app-role-least-privilege", () => {
  it("passes with a plain login role that owns nothing", async () => {
    expect(await findingsOf("app-role-least-privilege", compliant, ctx)).toEqual([]);
  });
  it("fails when the app role may create roles", async () => {
    const power = mutate(compliant, "database-app", (p) => { p.createRole = true; });
    expect(await messagesOf("app-role-least-privilege", power, ctx)).toEqual(['the app role "jewelry_app" has createRole.']);
  });
  it("fails when the app role owns the database", async () => {
    const owner = mutate(compliant, "database-database", (p) => { p.owner = "jewelry_app"; });
    expect(await messagesOf("app-role-least-privilege", owner, ctx)).toEqual([expect.stringMatching(/owns the database/)]);
  });
  it("fails when the app's role is not declared", async () => {
    const stranger = mutate(compliant, "app-web", (p) => setEnv(p, "DB_USER", "postgres"));
    expect(await messagesOf("app-role-least-privilege", stranger, ctx)).toEqual([expect.stringMatching(/"postgres" .* is not declared/)]);
  });
});

describe("rls-on-tenant-tables", () => {
  it("passes when RLS covers every configured tenant table", async () => {
    expect(await findingsOf("rls-on-tenant-tables", compliant, ctx)).toEqual([]);
  });
  it("recognises RLS declared by a dynamic resource that names its type", async () => {
    const typed = compliant.map((r) => (r.name === "row-level-security-tenant-isolation" ? { ...r, type: "pulumi-nodejs:dynamic/jewelry-shop:TenantIsolation" } : r));
    expect(await findingsOf("rls-on-tenant-tables", typed, ctx)).toEqual([]);
  });
  it("fails when a configured tenant table has no RLS", async () => {
    const more = stackContext({}, { "jewelry-shop:postgres": JSON.stringify({ tenantTables: [...TENANT_TABLES, { table: "repairs_repairorder" }] }) });
    expect(await messagesOf("rls-on-tenant-tables", compliant, more)).toEqual(["no row-level security declared for public.repairs_repairorder(tenant_id)."]);
  });
  it("fails when RLS uses another tenant column", async () => {
    const column = mutate(compliant, "row-level-security-tenant-isolation", (p) => { p.tables[0].tenantColumn = "shop_id"; });
    expect(await messagesOf("rls-on-tenant-tables", column, ctx)).toHaveLength(1);
  });
  it("fails when no tenant tables are configured", async () => {
    const none = stackContext({}, { "jewelry-shop:postgres": JSON.stringify({ database: "jewelry_shop" }) });
    expect(await messagesOf("rls-on-tenant-tables", compliant, none)).toHaveLength(1);
  });
});

describe("pgbouncer-in-path", () => {
  it("passes when the app goes through PgBouncer in transaction mode and only migrations go direct", async () => {
    expect(await findingsOf("pgbouncer-in-path", compliant, ctx)).toEqual([]);
  });
  it("fails when PgBouncer pools sessions", async () => {
    const session = mutate(compliant, "pgbouncer-container", (p) => { p.uploads[0].content = p.uploads[0].content.replace("pool_mode = transaction", "pool_mode = session"); });
    expect(await messagesOf("pgbouncer-in-path", session, ctx)).toEqual([expect.stringMatching(/pools in session mode/)]);
  });
  it("fails when the web app connects to PostgreSQL directly", async () => {
    const direct = mutate(compliant, "app-web", (p) => setEnv(p, "DB_HOST", "jewelry-postgres"));
    expect(await messagesOf("pgbouncer-in-path", direct, ctx)).toEqual([expect.stringMatching(/connects to jewelry-postgres, which is not a PgBouncer/)]);
  });
  it("fails when USE_PGBOUNCER is not True", async () => {
    const off = mutate(compliant, "app-web", (p) => setEnv(p, "USE_PGBOUNCER", "False"));
    expect(await messagesOf("pgbouncer-in-path", off, ctx)).toEqual([expect.stringMatching(/USE_PGBOUNCER=False/)]);
  });
  it("fails without a PgBouncer container", async () => {
    const none = compliant.filter((r) => r.name !== "pgbouncer-container");
    expect((await messagesOf("pgbouncer-in-path", none, ctx))[0]).toMatch(/no PgBouncer container/);
  });
});

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
    expect(await messagesOf("postgres-config-hardened", off, ctx)).toEqual(["PostgreSQL jewelry-postgres: ssl is off (the command line), so no client can use TLS."]);
  });
  it("fails when an included drop-in lowers ssl_min_protocol_version (include_dir, relative to postgresql.conf)", async () => {
    const dropIn = onPostgres((p) => {
      p.uploads[0].content += "include_dir 'conf.d'\n";
      p.uploads.push({ file: "/etc/postgresql/conf.d/50-compat.conf", content: "ssl_min_protocol_version = 'TLSv1.1'\n" });
    });
    expect(await messagesOf("postgres-config-hardened", dropIn, ctx)).toEqual([
      "PostgreSQL jewelry-postgres: ssl_min_protocol_version is TLSv1.1 (/etc/postgresql/conf.d/50-compat.conf line 1); TLSv1.2 or later is required.",
    ]);
  });
  it("fails when postgresql.conf has a line PostgreSQL cannot parse (the server does not start)", async () => {
    const broken = onPostgres((p) => { p.uploads[0].content += "archive_command = pgbackrest --stanza=main archive-push %p\n"; });
    expect(await messagesOf("postgres-config-hardened", broken, ctx)).toEqual([expect.stringMatching(/^PostgreSQL jewelry-postgres would not start: syntax error near token "-" in file "\/etc\/postgresql\/postgresql.conf" line \d+\.$/)]);
  });
  it("does not judge archive_mode (wal-archiving does, for 13.6)", async () => {
    const off = onPostgres((p) => { p.uploads[0].content = p.uploads[0].content.replace("archive_mode = on", "archive_mode = off"); });
    expect(await findingsOf("postgres-config-hardened", off, ctx)).toEqual([]);
  });
  it("fails when pg_hba.conf accepts TCP without TLS before rejecting it", async () => {
    const open = onPostgres((p) => { p.uploads[1].content = `host all all 0.0.0.0/0 scram-sha-256\n${p.uploads[1].content}`; });
    expect(await messagesOf("postgres-config-hardened", open, ctx)).toEqual([expect.stringMatching(/^PostgreSQL jewelry-postgres: pg_hba.conf \(\/etc\/postgresql\/pg_hba.conf line 1, host\) accepts non-TLS TCP from .*: TCP connections without TLS must be rejected\.$/)]);
  });
  it("fails on trust authentication reachable over the unix socket", async () => {
    const trust = onPostgres((p) => { p.uploads[1].content = p.uploads[1].content.replace(/^local(\s+all\s+all\s+)scram-sha-256/m, "local$1trust"); });
    expect(await messagesOf("postgres-config-hardened", trust, ctx)).toEqual([expect.stringMatching(/line 3\) answers unix socket as .* with trust; only scram-sha-256, cert or reject may\./)]);
  });
  it("fails on peer over the unix socket and ident over TLS: the OS or the client's identd names the role, no password", async () => {
    const peer = onPostgres((p) => { p.uploads[1].content = p.uploads[1].content.replace(/^(local\s+all\s+all\s+scram-sha-256)$/m, "local all postgres peer\n$1"); });
    expect(await messagesOf("postgres-config-hardened", peer, ctx)).toEqual([
      "PostgreSQL jewelry-postgres: pg_hba.conf (/etc/postgresql/pg_hba.conf line 3) answers unix socket as postgres to jewelry_shop with peer (the connecting OS user's name, no password); only scram-sha-256, cert or reject may.",
    ]);
    const ident = onPostgres((p) => { p.uploads[1].content = p.uploads[1].content.replace(/^(hostssl\s+all\s+all\s+\S+\s+)scram-sha-256$/m, "$1ident"); });
    expect(await messagesOf("postgres-config-hardened", ident, ctx)).toEqual([expect.stringMatching(/line 5\) answers TLS TCP from 172\.30\.2\.\d+ as .* with ident \(the user name the client host's identd claims, no password\); only scram-sha-256, cert or reject may\.$/)]);
  });
  it("fails when PostgreSQL cannot load its TLS key: group-readable while the server owns it, or root's and unreadable (ssl on makes it fatal)", async () => {
    const keyUpload = (p: MutableProps) => p.uploads.find((u: { file: string }) => u.file === "/etc/postgresql/tls/server.key");
    const groupReadable = onPostgres((p) => { keyUpload(p).permissions = "0640"; });
    expect(await messagesOf("postgres-config-hardened", groupReadable, ctx)).toEqual([
      'PostgreSQL jewelry-postgres would not start: private key file "/etc/postgresql/tls/server.key" has group or world access (mode 0640, owner 999): 0600 or less when owned by the database user, 0640 or less when owned by root.',
    ]);
    const rootOnly = onPostgres((p) => { delete keyUpload(p).owner; delete keyUpload(p).group; });
    expect(await messagesOf("postgres-config-hardened", rootOnly, ctx)).toEqual([expect.stringMatching(/would not start: could not load private key file "\/etc\/postgresql\/tls\/server.key": Permission denied \(owner 0, group 0, mode 0600\)\.$/)]);
    // Debian's convention, root:ssl-cert 0640, works when the group is the server's.
    const rootGroup = onPostgres((p) => { Object.assign(keyUpload(p), { owner: "0", group: "999", permissions: "0640" }); });
    expect(await findingsOf("postgres-config-hardened", rootGroup, ctx)).toEqual([]);
  });
  it("passes when a weak record can never answer (every client it matches is rejected first)", async () => {
    const shadowed = onPostgres((p) => { p.uploads[1].content += "host all all 172.30.2.0/24 md5\n"; });
    expect(await findingsOf("postgres-config-hardened", shadowed, ctx)).toEqual([]);
  });
  it("fails when a +group record admits members of a role with md5, the group taken from the declared memberships", async () => {
    const group = onPostgres((p) => { p.uploads[1].content = `hostssl all +jewelry_ops 172.30.2.0/24 md5\n${p.uploads[1].content}`; });
    expect(await messagesOf("postgres-config-hardened", group, ctx)).toEqual([]);
    const member = mutate(group, "database-app", (p) => { p.roles = ["jewelry_ops"]; });
    expect(await messagesOf("postgres-config-hardened", member, ctx)).toEqual([expect.stringMatching(/line 1\) answers TLS TCP from .* as jewelry_app .* with md5/)]);
  });
  it("judges the image's own files when no config file is named: initdb's trust for local connections, ssl off", async () => {
    const defaults = onPostgres((p) => { p.command = ["postgres"]; });
    const found = await messagesOf("postgres-config-hardened", defaults, ctx);
    expect(found).toEqual(expect.arrayContaining([
      "PostgreSQL jewelry-postgres: ssl is off (the built-in default), so no client can use TLS.",
      expect.stringMatching(/pg_hba.conf \(\/var\/lib\/postgresql\/data\/pgdata\/pg_hba.conf line 1\) answers unix socket .* with trust/),
      expect.stringMatching(/pg_hba.conf line 8, host\) accepts non-TLS TCP/),
    ]));
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
    const stranger = mutate(compliant, "app-web", (p) => setEnv(p, "DB_USER", "shop"));
    expect(await messagesOf("app-role-least-privilege", stranger, ctx)).toEqual([expect.stringMatching(/"shop" .* is not declared/)]);
  });
  it("fails when the app logs in as the image's superuser", async () => {
    const superuser = mutate(compliant, "app-web", (p) => setEnv(p, "DB_USER", "postgres"));
    expect(await messagesOf("app-role-least-privilege", superuser, ctx)).toEqual(['the app role "postgres" has superuser.']);
  });
  it("fails when the app role reaches a BYPASSRLS role through a membership (Role.roles)", async () => {
    const withMigrator = [...compliant, { type: "postgresql:index/role:Role", name: "database-migrator", props: { name: "jewelry_migrator", login: true, bypassRowLevelSecurity: true } }];
    expect(await messagesOf("app-role-least-privilege", withMigrator, ctx)).toEqual([]);
    const member = mutate(withMigrator, "database-app", (p) => { p.roles = ["jewelry_migrator"]; });
    expect(await messagesOf("app-role-least-privilege", member, ctx)).toEqual(['the app role "jewelry_app" is a member of "jewelry_migrator", which has bypassRowLevelSecurity: one SET ROLE gives the app bypassRowLevelSecurity.']);
  });
  it("fails when a GrantRole makes the app role a member of the database owner (the BYPASSRLS migration role)", async () => {
    const granted = [...compliant, { type: "postgresql:index/grantRole:GrantRole", name: "grant-owner", props: { role: "jewelry_app", grantRole: "jewelry_owner" } }];
    expect(await messagesOf("app-role-least-privilege", granted, ctx)).toEqual([
      'the app role "jewelry_app" is a member of "jewelry_owner", which has bypassRowLevelSecurity: one SET ROLE gives the app bypassRowLevelSecurity.',
      'the app role "jewelry_app" is a member of "jewelry_owner", which owns the database: it can switch row-level security off.',
    ]);
  });
  it("fails when PgBouncer's database entry logs every app session in as the owner (user=)", async () => {
    const forced = mutate(compliant, "pgbouncer-container", (p) => { p.uploads[0].content = p.uploads[0].content.replace("dbname=jewelry_shop", "dbname=jewelry_shop user=jewelry_owner"); });
    expect(await messagesOf("app-role-least-privilege", forced, ctx)).toEqual([
      'the role "jewelry_owner" (PgBouncer logs "app-web" in as it instead of "jewelry_app") has bypassRowLevelSecurity.',
      'the role "jewelry_owner" (PgBouncer logs "app-web" in as it instead of "jewelry_app") owns the database: owners bypass row-level security unless it is forced, and can switch it off.',
    ]);
  });
  it("fails when a Grant or DefaultPrivileges gives the app (or PUBLIC) TRUNCATE on tenant tables, which RLS does not filter", async () => {
    const defaults = (privileges: string[], owner = "jewelry_owner", role = "jewelry_app") => ({
      type: "postgresql:index/defaultPrivileges:DefaultPrivileges", name: "database-app-default-tables",
      props: { database: "jewelry_shop", owner, role, schema: "public", objectType: "table", privileges },
    });
    expect(await messagesOf("app-role-least-privilege", [...compliant, defaults(["SELECT", "INSERT", "UPDATE", "DELETE"])], ctx)).toEqual([]);
    expect(await messagesOf("app-role-least-privilege", [...compliant, defaults(["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"])], ctx)).toEqual([
      'the app role "jewelry_app" may TRUNCATE the tenant table(s) public.inventory_item, public.sales_sale through DefaultPrivileges "database-app-default-tables" for the tables jewelry_owner creates: TRUNCATE is not subject to row-level security, so one tenant\'s session empties every tenant\'s rows.',
    ]);
    // Default privileges of a role that creates no tenant table never reach them.
    expect(await messagesOf("app-role-least-privilege", [...compliant, defaults(["ALL"], "jewelry_monitor")], ctx)).toEqual([]);
    const toPublic = [...compliant, { type: "postgresql:index/grant:Grant", name: "grant-public", props: { database: "jewelry_shop", role: "public", schema: "public", objectType: "table", objects: ["sales_sale"], privileges: ["ALL"] } }];
    expect(await messagesOf("app-role-least-privilege", toPublic, ctx)).toEqual([expect.stringMatching(/may TRUNCATE the tenant table\(s\) public\.sales_sale through Grant "grant-public" on sales_sale \(granted to PUBLIC\)/)]);
  });
  it("passes when only the migration job uses a BYPASSRLS role", async () => {
    const migrator = mutate([...compliant, { type: "postgresql:index/role:Role", name: "database-migrator", props: { name: "jewelry_migrator", login: true, bypassRowLevelSecurity: true } }],
      "app-migrate", (p) => setEnv(p, "DB_USER", "jewelry_migrator"));
    expect(await findingsOf("app-role-least-privilege", migrator, ctx)).toEqual([]);
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
    expect(await messagesOf("pgbouncer-in-path", session, ctx)).toEqual(['PgBouncer jewelry-pgbouncer pools database "jewelry_shop" in session mode, not transaction.']);
  });
  it("fails when a [databases] entry or a [users] entry overrides the pool mode", async () => {
    const entry = mutate(compliant, "pgbouncer-container", (p) => { p.uploads[0].content = p.uploads[0].content.replace("dbname=jewelry_shop", "dbname=jewelry_shop pool_mode=session"); });
    expect(await messagesOf("pgbouncer-in-path", entry, ctx)).toEqual(['PgBouncer jewelry-pgbouncer pools database "jewelry_shop" in session mode (pool_mode= in its [databases] entry), not transaction.']);
    const user = mutate(compliant, "pgbouncer-container", (p) => { p.uploads[0].content = p.uploads[0].content.replace("[pgbouncer]", "[users]\njewelry_app = pool_mode=session\n\n[pgbouncer]"); });
    expect(await messagesOf("pgbouncer-in-path", user, ctx)).toEqual(['PgBouncer jewelry-pgbouncer pools user "jewelry_app" in session mode ([users] overrides every database), not transaction.']);
  });
  it("fails when a second database entry lets PgBouncer open more connections than PostgreSQL accepts", async () => {
    const second = mutate(compliant, "pgbouncer-container", (p) => { p.uploads[0].content = p.uploads[0].content.replace("[pgbouncer]", "reports = host=jewelry-postgres dbname=jewelry_shop\n\n[pgbouncer]"); });
    expect(await messagesOf("pgbouncer-in-path", second, ctx)).toEqual(["PgBouncer jewelry-pgbouncer may open 378 server connections to jewelry-postgres (jewelry_shop: 189, reports: 189), more than its max_connections minus reserved slots (197)."]);
  });
  it("fails when clients may skip TLS or PostgreSQL's certificate is not verified", async () => {
    const weak = mutate(compliant, "pgbouncer-container", (p) => {
      p.uploads[0].content = p.uploads[0].content.replace("client_tls_sslmode = require", "client_tls_sslmode = prefer").replace("server_tls_sslmode = verify-full", "server_tls_sslmode = require");
    });
    expect(await messagesOf("pgbouncer-in-path", weak, ctx)).toEqual([
      "PgBouncer jewelry-pgbouncer has client_tls_sslmode prefer: clients may connect without TLS (require, verify-ca or verify-full needed).",
      "PgBouncer jewelry-pgbouncer has server_tls_sslmode require: it does not verify PostgreSQL's certificate (verify-ca or verify-full needed).",
    ]);
  });
  it("fails when a [databases] entry dials a port PostgreSQL does not listen on (its effective port, the command line included)", async () => {
    const entryPort = mutate(compliant, "pgbouncer-container", (p) => { p.uploads[0].content = p.uploads[0].content.replace(/port=5432 dbname=jewelry_shop/, "port=5433 dbname=jewelry_shop"); });
    expect(await messagesOf("pgbouncer-in-path", entryPort, ctx)).toEqual([
      'PgBouncer jewelry-pgbouncer sends database "jewelry_shop" to jewelry-postgres:5433, but PostgreSQL jewelry-postgres listens on port 5432: every server connection is refused.',
    ]);
    const serverPort = onPostgres((p) => { p.command = [...p.command, "-p", "5433"]; });
    expect(await messagesOf("pgbouncer-in-path", serverPort, ctx)).toEqual([expect.stringMatching(/to jewelry-postgres:5432, but PostgreSQL jewelry-postgres listens on port 5433/)]);
  });
  it("fails when the app connects to PgBouncer's host on a port it does not listen on", async () => {
    const port = mutate(compliant, "app-web", (p) => setEnv(p, "DB_PORT", "5432"));
    expect(await messagesOf("pgbouncer-in-path", port, ctx)).toEqual(['"app-web" connects to jewelry-pgbouncer:5432, but PgBouncer listens on 6432.']);
  });
  it("fails when the web app connects to PostgreSQL directly", async () => {
    const direct = mutate(compliant, "app-web", (p) => setEnv(p, "DB_HOST", "jewelry-postgres"));
    expect(await messagesOf("pgbouncer-in-path", direct, ctx)).toEqual([expect.stringMatching(/connects to jewelry-postgres, which is not a PgBouncer/)]);
  });
  it("leaves USE_PGBOUNCER to use-pgbouncer-setting (3.7)", async () => {
    const off = mutate(compliant, "app-web", (p) => setEnv(p, "USE_PGBOUNCER", "False"));
    expect(await findingsOf("pgbouncer-in-path", off, ctx)).toEqual([]);
    expect(await messagesOf("use-pgbouncer-setting", off, ctx)).toEqual(['"app-web" sets USE_PGBOUNCER=False, not True.']);
  });
  it("fails without a PgBouncer container", async () => {
    const none = compliant.filter((r) => r.name !== "pgbouncer-container");
    expect((await messagesOf("pgbouncer-in-path", none, ctx))[0]).toMatch(/no PgBouncer container/);
  });
});

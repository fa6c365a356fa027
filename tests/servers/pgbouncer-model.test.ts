// Differential test of the pack's PgBouncer model (policies/lib/pgbouncer) against PgBouncer 1.18:
// for the stack's own pgbouncer.ini and mutated variants, the model's global settings must equal
// SHOW CONFIG, its per-database pooling SHOW DATABASES, its per-user pool mode SHOW USERS, and it
// must know when PgBouncer refuses the file. PgBouncer needs no PostgreSQL to load its config and
// answer its admin console. The stack runs 1.23; the parsing and precedence used here are the same.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { derivePoolSizes, renderPgbouncerIni } from "../../components/pgbouncer/pgbouncer-ini";
import { databasePooling, loadPgbouncerConfig, PGBOUNCER_DEFAULTS } from "../../policies/lib/pgbouncer/config";
import { filesView } from "../../policies/lib/server-files";
import { freePort, portAccepts, removeDir, startServer, workDir, writeOwned } from "./fixtures";
import { runPsql } from "./postgres-server";

let base: string;
beforeAll(() => {
  base = workDir("pgbouncer-model", "postgres");
  writeOwned(join(base, "userlist.txt"), '"admin" "admin-password"\n', "postgres", 0o600);
});
afterAll(() => removeDir(base));

/** A variant: files relative to its folder; @PORT@, @DIR@ filled in. pgbouncer.ini is the one started. */
async function expectAgreement(name: string, files: Record<string, string>): Promise<void> {
  const dir = join(base, name);
  const port = await freePort();
  const written = new Map<string, string>();
  for (const [relative, content] of Object.entries(files)) {
    const file = join(dir, relative);
    mkdirSync(join(file, ".."), { recursive: true });
    writeOwned(file, content.replaceAll("@PORT@", String(port)).replaceAll("@DIR@", dir).replaceAll("@BASE@", base), "postgres", 0o600);
    written.set(file, readFileSync(file, "utf8"));
  }
  execFileSync("chown", ["-R", "postgres:postgres", dir]);
  // PgBouncer opens a relative %include against its working directory: the variant folder's parent.
  const model = loadPgbouncerConfig(filesView(written), join(dir, "pgbouncer.ini"), base);
  let proc: Awaited<ReturnType<typeof startServer>>;
  try {
    proc = await startServer({ name: `pgbouncer ${name}`, user: "postgres", cwd: base, argv: ["/usr/sbin/pgbouncer", join(dir, "pgbouncer.ini")], ready: () => portAccepts(port), timeoutMs: 5_000 });
  } catch (error) {
    expect({ starts: false, message: (error as Error).message.slice(0, 300) }).toEqual({ starts: model.errors.length === 0, message: expect.anything() });
    return;
  }
  try {
    expect({ starts: true, errors: model.errors }).toEqual({ starts: true, errors: [] });
    const admin = (sql: string) => runPsql(sql, { port, user: "admin", password: "admin-password", database: "pgbouncer", sslmode: "disable", rootCert: "" });
    const config = new Map((await admin("SHOW CONFIG")).split("\n").map((row) => row.split("|") as [string, string]));
    for (const key of Object.keys(PGBOUNCER_DEFAULTS)) expect({ key, value: config.get(key) }).toEqual({ key, value: model.get(key) });
    const databases = (await admin("SHOW DATABASES")).split("\n").map((row) => row.split("|")).filter((r) => r[0] !== "pgbouncer");
    // name, host, port, database, force_user, pool_size, min_pool_size, reserve_pool, pool_mode, max_connections
    expect(databases.map((r) => [r[0], r[1], r[2], r[3], r[4], r[5], r[7], r[8] || model.get("pool_mode"), r[9]]).sort()).toEqual(
      model.databases.filter((d) => d.name !== "*").map((d) => {
        const p = databasePooling(model, d);
        return [d.name, p.host ?? "", String(p.port), p.dbname, p.forceUser ?? "", String(p.poolSize), String(p.reservePool), p.poolMode(), String(p.maxDbConnections)];
      }).sort());
    const users = (await admin("SHOW USERS")).split("\n").map((row) => row.split("|")).filter((r) => model.users.has(r[0]!));
    expect(users.map((r) => [r[0], r[1]])).toEqual([...model.users].map(([u, p]) => [u, p.get("pool_mode") ?? ""]).sort());
  } finally {
    await proc.stop("SIGTERM");
  }
}

const stackIni = renderPgbouncerIni({
  listenAddr: "127.0.0.1", listenPort: 6432, database: { dbname: "jewelry_shop", host: "127.0.0.1", port: 5432 },
  authUser: "pgbouncer_auth", authQuery: "SELECT usename, passwd FROM pgbouncer.get_auth($1)", authFile: "@BASE@/userlist.txt",
  clientTls: { certFile: "", keyFile: "" }, serverTls: { caFile: "" },
  pool: derivePoolSizes({ postgresMaxConnections: 200 }), statsUsers: ["jewelry_monitor"],
}).replace("listen_port = 6432", "listen_port = @PORT@")
  // No certificates here: TLS modes are judged from the text, the console is reached without TLS.
  .replace(/client_tls_sslmode = require/, "client_tls_sslmode = disable").replace(/server_tls_sslmode = verify-full/, "server_tls_sslmode = disable")
  .replace(/^(client|server)_tls_(cert|key|ca)_file = .*\n/gm, "")
  .replace("admin_users = ", "admin_users = admin");

const minimal = (extra: string, databases = "shop = host=127.0.0.1 dbname=jewelry\n") =>
  `[databases]\n${databases}[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = @PORT@\nauth_type = plain\nauth_file = @BASE@/userlist.txt\nadmin_users = admin\n${extra}`;

describe("pgbouncer.ini: the model resolves it as PgBouncer 1.18 does", () => {
  it("the stack's own pgbouncer.ini", async () => {
    await expectAgreement("stack", { "pgbouncer.ini": stackIni });
  });
  it("per-database overrides: pool_mode, pool_size, reserve_pool, max_db_connections, user, dbname", async () => {
    await expectAgreement("per-database", {
      "pgbouncer.ini": minimal("pool_mode = transaction\ndefault_pool_size = 30\nreserve_pool_size = 3\nmax_db_connections = 40\n",
        "shop = host=127.0.0.1 port=5433 dbname=jewelry pool_mode=session pool_size=7\nreports = host=127.0.0.1 dbname = 'jewelry' user=reporter max_db_connections=5 reserve_pool=1\n* = host=127.0.0.1\n"),
    });
  });
  it("a later assignment wins, and %include (relative to the working directory, not the file) is read in place", async () => {
    await expectAgreement("include", {
      "pgbouncer.ini": minimal("pool_mode = transaction\n%include include-extra.ini\ndefault_pool_size = 12\n"),
      "../include-extra.ini": "pool_mode = session\ndefault_pool_size = 50\nmax_client_conn = 77\n",
    });
  });
  it("[users] pool_mode overrides the database and the global pool mode", async () => {
    await expectAgreement("users", { "pgbouncer.ini": minimal("pool_mode = transaction\n", "shop = host=127.0.0.1 dbname=jewelry pool_mode=transaction\n[users]\nreporter = pool_mode=session\n") });
  });
  it("defaults when a setting is absent (auth_type md5, pool_mode session, TLS disabled)", async () => {
    await expectAgreement("defaults", { "pgbouncer.ini": "[databases]\nshop = host=127.0.0.1\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = @PORT@\nauth_file = @BASE@/userlist.txt\nadmin_users = admin\nauth_type = plain\n" });
  });
  it("TLS modes and protocols as written", async () => {
    await expectAgreement("tls", { "pgbouncer.ini": minimal("client_tls_protocols = all\nserver_tls_protocols = tlsv1.2,tlsv1.3\nserver_tls_sslmode = prefer\n") });
  });
  it("refuses an inline comment after a value (no such thing in pgbouncer.ini)", async () => {
    await expectAgreement("inline-comment", { "pgbouncer.ini": minimal("pool_mode = transaction ; pooled per transaction\n") });
  });
  it("refuses an unknown connection parameter in [databases]", async () => {
    await expectAgreement("bad-db-param", { "pgbouncer.ini": minimal("", "shop = host=127.0.0.1 dbname=jewelry poolmode=transaction\n") });
  });
  it("refuses an invalid pool_mode, auth_type and a non-numeric size", async () => {
    await expectAgreement("bad-pool-mode", { "pgbouncer.ini": minimal("pool_mode = transactions\n") });
    await expectAgreement("bad-auth-type", { "pgbouncer.ini": minimal("auth_type = scram\n") });
    await expectAgreement("bad-size", { "pgbouncer.ini": minimal("default_pool_size = twenty\n") });
  });
  it("refuses a missing %include", async () => {
    await expectAgreement("missing-include", { "pgbouncer.ini": minimal("%include nowhere.ini\n") });
  });
});

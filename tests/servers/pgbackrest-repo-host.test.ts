// pgBackRest's dedicated repository host over TLS, with the GENERATED files of both sides: a real
// PostgreSQL 15 whose generated postgresql.conf archives with `pgbackrest archive-push`, its
// generated PostgreSQL-host pgbackrest.conf (repositories on the repository host, no secret), and a
// real `pgbackrest server` with the generated repository-host pgbackrest.conf (the repositories,
// TLS server, client authorization) and its generated secret includes in conf.d/: nothing secret
// reaches either side through the environment, as in production where the jobs run from cron.
// Two encrypted posix repositories stand in for production's three: repo1 the local volume, repo2
// an off-site bucket (R2 and B2 cannot be reached offline; the S3 lines are covered by
// tests/unit/backup-renderers.test.ts). Certificates come from a throw-away CA with the key usages
// the internal CA gives (server: serverAuth, client: clientAuth). Both sides run as postgres on one
// machine with separate config, spool, log and lock folders, as the two containers have.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgbackrestSecretIncludes, renderPgbackrestConf, type PgbackrestRepo } from "../../components/backup/pgbackrest-conf";
import { pgbackrestArchivePushCommand, renderPgHostPgbackrestConf } from "../../components/backup/pgbackrest-pg-host-conf";
import { filesUnder, ownedDir, runAsPostgres } from "./pgbackrest-fixture";
import { createTestCa, freePort, portAccepts, removeDir, startServer, waitFor, workDir, writeOwned, type ServerProcess, type TestCa, type TlsFiles } from "./fixtures";
import { generatedPostgresConf } from "./postgres-generated-conf";
import { startPostgresOnDataDir, startPostgres, type PostgresServer } from "./postgres-server";

const STANZA = "main";
const CLIENT_CN = "jewelry-postgres";
const TABLE = "jewelry_items";
const backupEncryptionKey = randomBytes(32).toString("base64url") + "=";

let base: string;
let repoHostEtc: string;
let pgHostEtc: string;
let repoPaths: [string, string];
let tlsPort: number;
let clientCert: TlsFiles;
let caFile: string;
let ca: TestCa;
let repos: PgbackrestRepo[];
let pg: PostgresServer;
let server: ServerProcess;

const asPostgres = (argv: string[], env: Record<string, string> = {}) => runAsPostgres(argv, { env, cwd: base });

/** pgbackrest on one side: only the repository host's config directory holds the secrets (conf.d/). */
async function pgbackrest(side: "repo-host" | "pg-host", args: string[], configPath?: string): Promise<string> {
  const env = { PGPASSWORD: pg.superuserPassword };
  const etc = configPath ?? (side === "repo-host" ? repoHostEtc : pgHostEtc);
  const result = await asPostgres(["pgbackrest", `--config-path=${etc}`, `--stanza=${STANZA}`, ...args], env);
  if (result.code !== 0) throw new Error(`pgbackrest (${side}) ${args.join(" ")} exited ${result.code}:\n${result.output}`);
  return result.output;
}

function archivedCopies(repoPath: string, segment: string): string[] {
  const finished = new RegExp(`/${segment}-[0-9a-f]{40}\\.zst$`);
  return filesUnder(join(repoPath, "archive", STANZA)).filter((f) => finished.test(f));
}

async function switchWal(): Promise<string> {
  // A row first: pg_switch_wal() on an idle segment switches nothing.
  await pg.psql(`INSERT INTO ${TABLE} (name) VALUES ('wal-switch-${randomBytes(3).toString("hex")}')`);
  return pg.psql("SELECT pg_walfile_name(pg_switch_wal())");
}

async function inBothRepositories(segment: string): Promise<void> {
  await waitFor(`WAL ${segment} in repo1 and repo2`, () => repoPaths.every((p) => archivedCopies(p, segment).length === 1), 30_000);
}

beforeAll(async () => {
  base = workDir("pgbackrest-repo-host", "postgres");
  for (const side of ["repo-host", "pg-host", "intruder"]) ownedDir(join(base, side), 0o750);
  repoHostEtc = ownedDir(join(base, "repo-host", "etc"), 0o750);
  pgHostEtc = ownedDir(join(base, "pg-host", "etc"), 0o750);
  for (const side of ["repo-host", "pg-host"]) for (const sub of ["spool", "log", "lock"]) ownedDir(join(base, side, sub));
  repoPaths = [ownedDir(join(base, "repo1-local"), 0o750), ownedDir(join(base, "repo2-offsite"), 0o750)];
  const tlsDir = ownedDir(join(base, "tls"), 0o755);
  ca = createTestCa(tlsDir, "postgres");
  caFile = ca.cert;
  const serverCert = ca.issue("repo-host", "localhost", "server", ["DNS:localhost"]);
  clientCert = ca.issue("pg-host", CLIENT_CN, "client");
  tlsPort = await freePort();

  repos = [
    { type: "posix", name: "local", path: repoPaths[0], retention: { full: 2, diff: 3 } },
    { type: "posix", name: "offsite", path: repoPaths[1], retention: { full: 2, diff: 3 } },
  ];
  ownedDir(join(repoHostEtc, "conf.d"), 0o750);
  for (const include of pgbackrestSecretIncludes(repos, { backupEncryptionKey, s3Keys: {} })) {
    writeOwned(join(repoHostEtc, "conf.d", include.file), include.content, "postgres", 0o600);
  }

  pg = await startPostgres({
    name: "pgbackrest-repo-host",
    conf: (paths) => {
      const pgSide = { dataDir: paths.dataDir, port: paths.port, socketPath: paths.socketDir };
      writeOwned(join(repoHostEtc, "pgbackrest.conf"), renderPgbackrestConf({
        stanza: STANZA, repos, pg: pgSide,
        spoolPath: join(base, "repo-host", "spool"), logPath: join(base, "repo-host", "log"), lockPath: join(base, "repo-host", "lock"),
        tlsServer: {
          address: "127.0.0.1", port: tlsPort, certFile: serverCert.cert, keyFile: serverCert.key, caFile,
          authorizedClients: { [CLIENT_CN]: [STANZA] },
        },
      }), "postgres", 0o640);
      writeOwned(join(pgHostEtc, "pgbackrest.conf"), renderPgHostPgbackrestConf({
        stanza: STANZA,
        repositoryHost: {
          host: "localhost", port: tlsPort, repos: [1, 2], certFile: clientCert.cert, keyFile: clientCert.key, caFile,
          // Production leaves it at pgBackRest's default, /etc/pgbackrest, on the repository host.
          configPath: repoHostEtc,
        },
        pg: pgSide,
        spoolPath: join(base, "pg-host", "spool"), logPath: join(base, "pg-host", "log"), lockPath: join(base, "pg-host", "lock"),
      }), "postgres", 0o640);
      return generatedPostgresConf({ archiveCommand: pgbackrestArchivePushCommand(STANZA, pgHostEtc) })(paths);
    },
  });
  // No secret in its environment: the remotes it forks read the passes from repo-host-config-path's conf.d/.
  server = await startServer({
    name: "pgbackrest server",
    argv: ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--", "pgbackrest", `--config-path=${repoHostEtc}`, "server"],
    env: { PATH: process.env.PATH },
    cwd: base,
    ready: () => portAccepts(tlsPort),
  });
  await pg.psql(`CREATE TABLE ${TABLE} (id serial PRIMARY KEY, name text NOT NULL)`);
  await pgbackrest("repo-host", ["stanza-create"]);
}, 120_000);

afterAll(async () => {
  await pg?.stop();
  await server?.stop();
  if (base) removeDir(base);
});

describe("pgBackRest repository host over TLS, with the generated configs of both hosts", () => {
  it("checks archiving from the PostgreSQL host through the repository host into both repositories", async () => {
    const output = await pgbackrest("pg-host", ["--log-level-console=info", "check"]);
    expect(output).toMatch(/successfully archived to '[^']*repo1-local[^']*' on repo1/);
    expect(output).toMatch(/successfully archived to '[^']*repo2-offsite[^']*' on repo2/);
    expect(output).toContain("check command end: completed successfully");
  });

  it("pushes each switched WAL segment to both repositories, encrypted, with no secret on the PostgreSQL host", async () => {
    const pgHostConf = readFileSync(join(pgHostEtc, "pgbackrest.conf"), "utf8");
    expect(pgHostConf).not.toMatch(/cipher|s3-|repo\d-path/);
    const segment = await switchWal();
    await inBothRepositories(segment);
    for (const repoPath of repoPaths) {
      const [copy] = archivedCopies(repoPath, segment);
      // OpenSSL's salted-cipher header: the repository host encrypted what the PostgreSQL host sent.
      expect(readFileSync(copy!).subarray(0, 8).toString("latin1"), copy).toBe("Salted__");
    }
  });

  it("refuses a client certificate whose CN is not authorized for the stanza", async () => {
    const intruderEtc = ownedDir(join(base, "intruder", "etc"), 0o750);
    // Signed by the same CA as the real client: only the CN differs.
    const cert = ca.issue("intruder", "not-the-database", "client");
    writeOwned(join(intruderEtc, "pgbackrest.conf"),
      readFileSync(join(pgHostEtc, "pgbackrest.conf"), "utf8").replaceAll(clientCert.cert, cert.cert).replaceAll(clientCert.key, cert.key),
      "postgres", 0o640);
    const refused = await asPostgres(["pgbackrest", `--config-path=${intruderEtc}`, `--stanza=${STANZA}`, "--repo=1", "info"]);
    // `info` exits 0 even when it cannot read a repository: its status line tells.
    expect(refused.output).toMatch(/status: error[\s\S]*\[AccessError\] raised from remote-0 tls protocol on 'localhost': access denied/);
    expect(refused.output).not.toMatch(/status: ok/);
  });

  it("takes a full backup on the repository host whose archive check passes, and recovers it to a point in time from repo2", async () => {
    await pg.psql(`INSERT INTO ${TABLE} (name) VALUES ('in-the-backup')`);
    const backup = await pgbackrest("repo-host", ["--type=full", "--repo=2", "backup"]);
    expect(backup).toContain("backup command end: completed successfully");
    // archive-check: the backup waited for its last WAL segment to reach repo2 through the server.
    expect(backup).toMatch(/check archive for segment\(s\) [0-9A-F]{24}:[0-9A-F]{24}/);

    // pgBackRest records the backup's stop time in whole seconds and restores only from a backup that
    // stopped before the target: let the server's clock pass that second before taking the target.
    const info = JSON.parse(await pgbackrest("repo-host", ["--repo=2", "--output=json", "info"])) as { backup: { timestamp: { stop: number } }[] }[];
    const stoppedAt = Math.max(...info[0].backup.map((b) => b.timestamp.stop));
    await waitFor("the clock to pass the backup's stop second", async () =>
      Number(await pg.psql("SELECT extract(epoch FROM clock_timestamp())")) > stoppedAt + 1, 5_000);

    await pg.psql(`INSERT INTO ${TABLE} (name) VALUES ('row-A-before-target')`);
    const target = await pg.psql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'");
    await pg.psql(`INSERT INTO ${TABLE} (name) VALUES ('row-B-after-target')`);
    await inBothRepositories(await switchWal());

    // Restored as the PostgreSQL host would be: its config, no secret; backup files and WAL come
    // decrypted through the repository host.
    const dataDir = ownedDir(join(base, "restore-pitr"));
    await pgbackrest("pg-host", [`--pg1-path=${dataDir}`, "--repo=2", "--type=time", `--target=${target}`,
      "--target-action=promote", "--archive-mode=off", "restore"]);
    const restored = await startPostgresOnDataDir(dataDir, {
      name: "pgbackrest-repo-host-pitr", conf: generatedPostgresConf(), superuserPassword: pg.superuserPassword,
    });
    try {
      await waitFor("the restored server to promote", async () => (await restored.psql("SELECT pg_is_in_recovery()")) === "f", 30_000);
      const names = (await restored.psql(`SELECT string_agg(name, ',' ORDER BY id) FROM ${TABLE}`)).split(",");
      expect(names).toEqual(expect.arrayContaining(["in-the-backup", "row-A-before-target"]));
      expect(names).not.toContain("row-B-after-target");
    } finally {
      await restored.stop();
      removeDir(dataDir);
    }
    // A full backup, a restore and a second server's start: 15 s on a quiet machine, 59 s at load 17.
  }, 180_000);
});

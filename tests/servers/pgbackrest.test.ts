// pgBackRest 2.45 with the GENERATED pgbackrest.conf against a real PostgreSQL 15 cluster (generated
// postgresql.conf, archive_command = pgbackrest archive-push). Only repo1 (local posix) is rendered
// here: the R2 and B2 repositories need the internet, so this config variant has repo1 alone; the
// three-repository file is covered by tests/unit/backup-renderers.test.ts. This is the single-host
// variant (the backup container's own view: repositories and cluster both local); WAL arriving
// through the repository host's TLS server, and point-in-time recovery, are proven in
// tests/servers/pgbackrest-repo-host.test.ts.
// Secrets arrive as in the backup container, where every job runs from cron with no secret in its
// environment: the cipher pass in the GENERATED conf.d/repo1-cipher-pass.conf, the database password
// in the GENERATED .pgpass in the postgres user's HOME. Every run here gets HOME and PATH only, and
// the generated wrapper and drill are run exactly as rendered (--config-path = the config DIRECTORY).
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderBackupWrapper } from "../../components/backup/backup-schedule";
import { pgbackrestSecretIncludes, renderPgbackrestConf, type PgbackrestRepo } from "../../components/backup/pgbackrest-conf";
import { renderPgpass } from "../../components/backup/pgpass";
import { renderRestoreDrillScript } from "../../components/backup/restore-drill";
import { freePort, removeDir, waitFor, workDir, writeOwned } from "./fixtures";
import { filesUnder, ownedDir, runAsPostgres } from "./pgbackrest-fixture";
import { generatedPostgresConf } from "./postgres-generated-conf";
import { PG_BIN, startPostgres, startPostgresOnDataDir, type PostgresServer } from "./postgres-server";

const STANZA = "main";
const TABLE = "jewelry_items";
const KNOWN_ROW = `emerald-ring-${randomBytes(4).toString("hex")}`;
const backupEncryptionKey = randomBytes(32).toString("base64url") + "=";

let base: string;
let etc: string;
let home: string;
let repoPath: string;
let textfileDir: string;
let pg: PostgresServer;
let repos: PgbackrestRepo[];

/** Runs argv as postgres with what cron gives a job: HOME and PATH, no secret. */
const asPostgres = (argv: string[]) => runAsPostgres(argv, { env: { HOME: home }, cwd: base });

/** pgbackrest with the generated config directory: pgbackrest.conf plus the secrets in conf.d/. */
async function pgbackrest(args: string[]): Promise<string> {
  const result = await asPostgres(["pgbackrest", `--config-path=${etc}`, `--stanza=${STANZA}`, ...args]);
  if (result.code !== 0) throw new Error(`pgbackrest ${args.join(" ")} exited ${result.code}:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

async function switchAndWaitArchived(): Promise<void> {
  const segment = await pg.psql("SELECT pg_walfile_name(pg_switch_wal())");
  await waitFor(`WAL ${segment} archived by pgbackrest`, async () =>
    (await pg.psql(`SELECT coalesce(last_archived_wal >= '${segment}', false) FROM pg_stat_archiver`)) === "t", 30_000);
}

/** Readiness of a restored server: accepting connections is not enough, it must have promoted. */
async function promoted(server: PostgresServer): Promise<void> {
  await waitFor("restored server to finish recovery and promote", async () =>
    (await server.psql("SELECT pg_is_in_recovery()")) === "f", 30_000);
}

async function rowsOf(server: PostgresServer): Promise<string> {
  return server.psql(`SELECT string_agg(name, ',' ORDER BY id) FROM ${TABLE}`);
}

beforeAll(async () => {
  base = workDir("pgbackrest", "postgres");
  etc = ownedDir(join(base, "etc"), 0o750);
  home = ownedDir(join(base, "home"), 0o700);
  repoPath = ownedDir(join(base, "repo"), 0o750);
  textfileDir = ownedDir(join(base, "textfile"), 0o755);
  for (const sub of ["spool", "log", "lock", "drill"]) ownedDir(join(base, sub));
  ownedDir(join(base, "no-secret-etc"), 0o750);
  repos = [{ type: "posix", name: "local", path: repoPath, retention: { full: 2, diff: 3 } }];
  ownedDir(join(etc, "conf.d"), 0o750);
  for (const include of pgbackrestSecretIncludes(repos, { backupEncryptionKey, s3Keys: {} })) {
    writeOwned(join(etc, "conf.d", include.file), include.content, "postgres", 0o600);
  }

  pg = await startPostgres({
    name: "pgbackrest",
    conf: (paths) => {
      const conf = renderPgbackrestConf({
        stanza: STANZA,
        repos,
        pg: { dataDir: paths.dataDir, port: paths.port, socketPath: paths.socketDir, user: "postgres" },
        spoolPath: join(base, "spool"),
        logPath: join(base, "log"),
        lockPath: join(base, "lock"),
        processMax: 2,
      });
      writeOwned(join(etc, "pgbackrest.conf"), conf, "postgres", 0o640);
      // Without a secret in conf.d: the config as an intruder without the escrowed key would have it.
      writeOwned(join(base, "no-secret-etc", "pgbackrest.conf"), conf, "postgres", 0o640);
      return generatedPostgresConf({
        archiveCommand: `pgbackrest --config-path=${etc} --stanza=${STANZA} archive-push %p`,
      })(paths);
    },
  });
  writeOwned(join(home, ".pgpass"), renderPgpass([{ user: "postgres", password: pg.superuserPassword }]), "postgres", 0o600);
  await pgbackrest(["stanza-create"]);
  await pgbackrest(["check"]);
  await pg.psql(`CREATE TABLE ${TABLE} (id serial PRIMARY KEY, name text NOT NULL);
    INSERT INTO ${TABLE} (name) VALUES ('${KNOWN_ROW}'), ('sapphire-pendant');`);
  await pgbackrest(["--type=full", "--repo=1", "backup"]);
}, 120_000);

afterAll(async () => {
  await pg?.stop();
  if (base) removeDir(base);
});

describe("pgBackRest with the generated pgbackrest.conf", () => {
  it("encrypts every file in the repository (backup.info, manifests, data, WAL)", () => {
    const files = filesUnder(repoPath);
    expect(files.some((f) => f.endsWith("backup.manifest"))).toBe(true);
    expect(files.some((f) => f.includes("/archive/main/15-1/"))).toBe(true);
    for (const file of files) {
      const bytes = readFileSync(file);
      // OpenSSL's salted-cipher header, which pgBackRest writes in front of every encrypted file.
      expect(bytes.subarray(0, 8).toString("latin1"), file).toBe("Salted__");
      expect(bytes.includes(Buffer.from(TABLE)), file).toBe(false);
      expect(bytes.includes(Buffer.from(KNOWN_ROW)), file).toBe(false);
    }
  });

  it("reads the repository only with the right cipher pass, which only --config-path loads from conf.d", async () => {
    const info = (...config: string[]) => asPostgres(["pgbackrest", ...config, `--stanza=${STANZA}`, "info"]);
    const right = await info(`--config-path=${etc}`);
    expect(right.code).toBe(0);
    expect(right.stdout).toMatch(/status: ok[\s\S]*full backup:/);
    // --config=<file> reads that file alone: the pass in conf.d never arrives (why every command uses --config-path).
    for (const missing of [await info(`--config=${join(etc, "pgbackrest.conf")}`), await info(`--config-path=${join(base, "no-secret-etc")}`)]) {
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toMatch(/requires option: repo1-cipher-pass/);
    }
    const wrongEtc = ownedDir(join(base, "wrong-pass-etc"), 0o750);
    writeOwned(join(wrongEtc, "pgbackrest.conf"), readFileSync(join(etc, "pgbackrest.conf"), "utf8"), "postgres", 0o640);
    ownedDir(join(wrongEtc, "conf.d"), 0o750);
    const otherKey = randomBytes(32).toString("base64url") + "=";
    for (const include of pgbackrestSecretIncludes(repos, { backupEncryptionKey: otherKey, s3Keys: {} })) {
      writeOwned(join(wrongEtc, "conf.d", include.file), include.content, "postgres", 0o600);
    }
    const wrong = await info(`--config-path=${wrongEtc}`);
    // `info` exits 0 even when it cannot read the repository: the status line says so. A wrong pass
    // fails decryption or, when the CBC padding happens to check out, yields garbage (FormatError).
    expect(wrong.stdout).toMatch(/status: error[\s\S]*(Crypto|Format)Error\] unable to load info file/);
    expect(wrong.stdout).not.toMatch(/full backup:/);
  });

  it("restores the latest backup into a fresh data dir that starts with the same rows", async () => {
    await switchAndWaitArchived();
    const dataDir = ownedDir(join(base, "restore-latest"));
    await pgbackrest([`--pg1-path=${dataDir}`, "--archive-mode=off", "restore"]);
    const restored = await startPostgresOnDataDir(dataDir, {
      name: "pgbackrest-restored", conf: generatedPostgresConf(), superuserPassword: pg.superuserPassword,
    });
    try {
      await promoted(restored);
      expect(await rowsOf(restored)).toBe(`${KNOWN_ROW},sapphire-pendant`);
    } finally {
      await restored.stop();
      removeDir(dataDir);
    }
  });

  it("runs the generated backup wrapper and publishes its metrics atomically", async () => {
    const wrapper = join(base, "pgbackrest-backup.sh");
    writeOwned(wrapper, renderBackupWrapper({
      stanza: STANZA, configPath: etc, textfileDir, lockFile: join(base, "lock", "backup.lock"),
    }), "postgres", 0o755);
    const before = Math.floor(Date.now() / 1000);
    const ok = await asPostgres([wrapper, "incr", "1"]);
    expect(ok.code, ok.stderr).toBe(0);
    const success = readFileSync(join(textfileDir, "jewelry_backup_repo1_incr.last_success.prom"), "utf8");
    const stamp = /jewelry_backup_last_success_timestamp_seconds\{repo="repo1",type="incr",stanza="main"\} (\d+)/.exec(success);
    expect(Number(stamp?.[1])).toBeGreaterThanOrEqual(before);
    expect(await pgbackrest(["info"])).toMatch(/incr backup:/);

    const failed = await asPostgres([wrapper, "diff", "2"]);
    expect(failed.code).not.toBe(0);
    expect(existsSync(join(textfileDir, "jewelry_backup_repo2_diff.last_success.prom"))).toBe(false);
    expect(readFileSync(join(textfileDir, "jewelry_backup_repo2_diff.last_run.prom"), "utf8"))
      .toContain('jewelry_backup_last_run_success{repo="repo2",type="diff",stanza="main"} 0');
    expect(readdirSync(textfileDir).filter((f) => f.startsWith("."))).toEqual([]);
  });

  it("runs the generated restore drill: restore, start, check rows, clean up, report success", async () => {
    const drill = (repo: number, port: number) => renderRestoreDrillScript({
      stanza: STANZA, configPath: etc, repo, target: "immediate", scratchParent: join(base, "drill"),
      scratchPort: port, pgBinDir: PG_BIN, textfileDir, check: { database: "postgres", table: TABLE, minRows: 2 },
      timeoutSeconds: 60,
    });
    const script = join(base, "restore-drill.sh");
    writeOwned(script, drill(1, await freePort()), "postgres", 0o755);
    const run = await asPostgres([script]);
    expect(run.code, `${run.stdout}${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`${TABLE} has \\d+ rows`));
    expect(readdirSync(join(base, "drill"))).toEqual([]);
    const lastRun = readFileSync(join(textfileDir, "jewelry_restore_drill.last_run.prom"), "utf8");
    expect(lastRun).toContain('jewelry_restore_drill_success{stanza="main",repo="repo1"} 1');
    const lastSuccess = readFileSync(join(textfileDir, "jewelry_restore_drill.last_success.prom"), "utf8");

    // A drill that fails (here: a repository that does not exist) reports 0, keeps the last success
    // timestamp, and still cleans up its scratch folder.
    writeOwned(script, drill(2, await freePort()), "postgres", 0o755);
    const failing = await asPostgres([script]);
    expect(failing.code).not.toBe(0);
    expect(readFileSync(join(textfileDir, "jewelry_restore_drill.last_run.prom"), "utf8"))
      .toContain('jewelry_restore_drill_success{stanza="main",repo="repo2"} 0');
    expect(readFileSync(join(textfileDir, "jewelry_restore_drill.last_success.prom"), "utf8")).toBe(lastSuccess);
    expect(readdirSync(join(base, "drill"))).toEqual([]);
  });
});

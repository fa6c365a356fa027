// Reusable PostgreSQL 15 fixture for real-server tests.
//
// API
//   startPostgres({ conf, name?, superuserPassword? }): Promise<PostgresServer>
//     initdb (as `postgres`, `-A scram-sha-256 --pwfile --no-sync`) into WORK/data, makes a
//     self-signed TLS cert owned by postgres, calls `conf(paths)` and writes the returned
//     postgresql.conf / pg_hba.conf into the data dir, starts `postgres` in the foreground (the held
//     PID is the server's) and waits until pg_isready says it accepts connections.
//   startPostgresOnDataDir(dataDir, { conf, superuserPassword, name? }): Promise<PostgresServer>
//     Same, on an EXISTING data dir (e.g. one restored by pgBackRest): no initdb, the conf files
//     are rewritten for a fresh port/work dir; postgresql.auto.conf and recovery.signal are kept,
//     so a restore_command written there runs. Readiness waits for recovery to finish.
//
//   `conf(paths)` receives { dataDir, workDir, port, hbaFile, socketDir, archiveDir, tls: {cert,key} }
//   and returns the text of both files; render them with components/postgres renderers. The TLS
//   cert is self-signed for 127.0.0.1/localhost, so it is also the root for sslmode=verify-full.
//
//   PostgresServer: { port, host: "127.0.0.1", superuser: "postgres", superuserPassword, dataDir,
//     workDir, archiveDir, socketDir, tls, pid, psql(sql, opts?), clientConfig(opts?), stop(opts?),
//     pgpassFile, restart() }
//     psql() runs psql over TCP (default sslmode verify-full, as the superuser, database postgres),
//     -X -q -t -A with ON_ERROR_STOP, sql fed on stdin; resolves trimmed stdout, rejects with stderr.
//     stop() is a fast shutdown (SIGINT) by PID, polls exit, then removes the work dir unless
//     { keepFiles: true }; a data dir given to startPostgresOnDataDir is never removed.
//
//   The generated pg_hba.conf asks for SCRAM on the unix socket too: a tool run as postgres that
//   connects locally (e.g. `pgbackrest backup`) needs the password. `pgpassFile` is a .pgpass for
//   the superuser, owned by postgres (mode 0600): run the tool as
//   asUser("postgres", ["env", `PGPASSFILE=${pg.pgpassFile}`, "pgbackrest", ...]) with
//   pg1-socket-path = pg.socketDir and pg1-port = pg.port.
import { spawn, execFileSync, execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  asUser, freePort, removeDir, selfSignedCert, startServer, userIds, workDir, writeOwned,
  type ServerProcess, type TlsFiles,
} from "./fixtures";

export const PG_BIN = "/usr/lib/postgresql/15/bin";
/** The postmaster's log line once it accepts connections (also read-only ones, during a restore's recovery). */
export const POSTGRES_READY_LINE = /database system is ready to accept (read-only )?connections/;
const PG_USER = "postgres";

export interface PostgresPaths {
  dataDir: string;
  workDir: string;
  port: number;
  /** Where pg_hba.conf is written (inside the data dir): pass it to hba_file. */
  hbaFile: string;
  /** A socket dir writable by postgres (the Debian default /var/run/postgresql may be missing). */
  socketDir: string;
  /** An empty folder owned by postgres for a copying archive_command. */
  archiveDir: string;
  tls: TlsFiles;
}

export interface PostgresConfFiles {
  postgresqlConf: string;
  pgHbaConf: string;
}

export interface StartPostgresOptions {
  conf: (paths: PostgresPaths) => PostgresConfFiles;
  name?: string;
  superuserPassword?: string;
}

export interface PsqlOptions {
  user?: string;
  password?: string;
  database?: string;
  /** libpq sslmode; default verify-full against the fixture's self-signed cert. */
  sslmode?: "disable" | "require" | "verify-ca" | "verify-full";
  port?: number;
}

/** node-postgres connection config for the same server (TLS verified against the fixture cert). */
export interface PgClientConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  ssl: { ca: string; rejectUnauthorized: true } | false;
}

export interface PostgresServer {
  readonly port: number;
  readonly host: "127.0.0.1";
  readonly superuser: "postgres";
  readonly superuserPassword: string;
  readonly dataDir: string;
  readonly workDir: string;
  readonly archiveDir: string;
  readonly socketDir: string;
  readonly tls: TlsFiles;
  /** .pgpass (owned by postgres, 0600) holding the superuser password, for PGPASSFILE. */
  readonly pgpassFile: string;
  /** PID of the running postmaster (changes after restart). */
  pid(): number;
  /** Server log so far (stderr of the postmaster). */
  output(): string;
  psql(sql: string, opts?: PsqlOptions): Promise<string>;
  clientConfig(opts?: { user?: string; password?: string; database?: string; tls?: boolean }): PgClientConfig;
  stop(opts?: { keepFiles?: boolean }): Promise<void>;
  restart(): Promise<void>;
}

/** initdb a fresh cluster and start it with the caller's conf files. */
export async function startPostgres(opts: StartPostgresOptions): Promise<PostgresServer> {
  const dir = workDir(opts.name ?? "pg", PG_USER);
  const dataDir = join(dir, "data");
  const superuserPassword = opts.superuserPassword ?? randomBytes(18).toString("hex");
  const pwFile = join(dir, "superuser.pw");
  writeOwned(pwFile, `${superuserPassword}\n`, PG_USER, 0o600);
  const initdb = asUser(PG_USER, [
    join(PG_BIN, "initdb"), "-D", dataDir, "-U", PG_USER, "-A", "scram-sha-256",
    "--pwfile", pwFile, "--no-sync", "-E", "UTF8", "--locale=C",
  ]);
  try {
    execFileSync(initdb[0], initdb.slice(1), { cwd: dir, stdio: "pipe" });
    return await launch(dir, dataDir, superuserPassword, opts, true);
  } catch (error) {
    removeDir(dir);
    throw error;
  }
}

/** Start postgres on an existing data dir (owned by postgres), e.g. a pgBackRest restore. */
export async function startPostgresOnDataDir(
  dataDir: string,
  opts: StartPostgresOptions & { superuserPassword: string },
): Promise<PostgresServer> {
  const dir = workDir(opts.name ?? "pg-restored", PG_USER);
  const { uid, gid } = userIds(PG_USER);
  execFileSync("chown", ["-R", `${uid}:${gid}`, dataDir]);
  chmodSync(dataDir, 0o700);
  try {
    return await launch(dir, dataDir, opts.superuserPassword, opts, false);
  } catch (error) {
    removeDir(dir);
    throw error;
  }
}

async function launch(
  dir: string,
  dataDir: string,
  superuserPassword: string,
  opts: StartPostgresOptions,
  ownsDataDir: boolean,
): Promise<PostgresServer> {
  const port = await freePort();
  const socketDir = join(dir, "sock");
  const archiveDir = join(dir, "archive");
  const { uid, gid } = userIds(PG_USER);
  for (const folder of [socketDir, archiveDir]) {
    mkdirSync(folder, { mode: 0o700 });
    execFileSync("chown", [`${uid}:${gid}`, folder]);
  }
  const tls = selfSignedCert(dir, PG_USER);
  const paths: PostgresPaths = {
    dataDir, workDir: dir, port, hbaFile: join(dataDir, "pg_hba.conf"), socketDir, archiveDir, tls,
  };
  const pgpassFile = join(dir, "superuser.pgpass");
  writeOwned(pgpassFile, `*:*:*:${PG_USER}:${superuserPassword.replace(/[\\:]/g, "\\$&")}\n`, PG_USER, 0o600);
  const files = opts.conf(paths);
  writeOwned(join(dataDir, "postgresql.conf"), files.postgresqlConf, PG_USER, 0o600);
  writeOwned(paths.hbaFile, files.pgHbaConf, PG_USER, 0o600);

  const name = opts.name ?? "postgres";
  const start = (): Promise<ServerProcess> =>
    startServer({
      name,
      user: PG_USER,
      cwd: dir,
      argv: [join(PG_BIN, "postgres"), "-D", dataDir],
      ready: () => isReady(port),
      readyLine: POSTGRES_READY_LINE,
      timeoutMs: 30_000,
    });
  let proc = await start();

  const psql = (sql: string, o: PsqlOptions = {}): Promise<string> =>
    runPsql(sql, {
      port: o.port ?? port,
      user: o.user ?? PG_USER,
      // Only the superuser's password is known to the fixture; other roles must pass theirs.
      password: o.password ?? (o.user && o.user !== PG_USER ? "" : superuserPassword),
      database: o.database ?? "postgres",
      sslmode: o.sslmode ?? "verify-full",
      rootCert: tls.cert,
    });

  return {
    port,
    host: "127.0.0.1",
    superuser: PG_USER,
    superuserPassword,
    dataDir,
    workDir: dir,
    archiveDir,
    socketDir,
    tls,
    pgpassFile,
    pid: () => proc.pid,
    output: () => proc.output(),
    psql,
    clientConfig: (o = {}) => ({
      host: "127.0.0.1",
      port,
      user: o.user ?? PG_USER,
      password: o.password ?? superuserPassword,
      database: o.database ?? "postgres",
      ssl: o.tls === false ? false : { ca: readFileSync(tls.cert, "utf8"), rejectUnauthorized: true },
    }),
    // SIGINT = fast shutdown: rolls back open sessions instead of waiting for them (SIGTERM).
    async stop(o = {}) {
      await proc.stop("SIGINT");
      if (!o.keepFiles) {
        removeDir(dir);
        if (ownsDataDir) removeDir(dataDir);
      }
    },
    async restart() {
      await proc.stop("SIGINT");
      proc = await start();
    },
  };
}

function isReady(port: number): Promise<boolean> {
  return new Promise((resolve) =>
    execFile(join(PG_BIN, "pg_isready"), ["-q", "-h", "127.0.0.1", "-p", String(port), "-t", "1"], (err) =>
      resolve(!err),
    ),
  );
}

interface PsqlCall {
  port: number;
  user: string;
  password: string;
  database: string;
  sslmode: string;
  rootCert: string;
}

/** psql over TCP; exported so PgBouncer tests can reuse it against another port. */
export function runPsql(sql: string, c: PsqlCall): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(PG_BIN, "psql"), [
      "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
      "-h", "127.0.0.1", "-p", String(c.port), "-U", c.user, "-d", c.database, "-f", "-",
    ], {
      env: {
        PATH: process.env.PATH,
        PGPASSWORD: c.password,
        PGSSLMODE: c.sslmode,
        PGSSLROOTCERT: c.rootCert,
        PGCONNECT_TIMEOUT: "5",
        PGAPPNAME: "fixture-psql",
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`psql exited ${code}: ${err.trim()}`)),
    );
    child.stdin.end(sql);
  });
}

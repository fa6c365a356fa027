// PgBouncer (Debian package) started for a test: as the postgres user (it refuses root), on a free
// port of 127.0.0.1, from an ini and a userlist the caller writes for the folder and port given.
import { join } from "node:path";
import { freePort, portAccepts, removeDir, startServer, workDir, writeOwned } from "./fixtures";

export interface PgbouncerPaths {
  readonly dir: string;
  readonly port: number;
  /** Where the userlist is written: the ini's auth_file. */
  readonly authFile: string;
}

export interface PgbouncerFiles {
  readonly ini: string;
  readonly userlist: string;
}

export interface PgbouncerServer {
  readonly port: number;
  readonly output: () => string;
  stop(): Promise<void>;
}

const USER = "postgres";

export async function startPgbouncer(name: string, files: (paths: PgbouncerPaths) => PgbouncerFiles): Promise<PgbouncerServer> {
  const dir = workDir(name, USER);
  try {
    const paths = { dir, port: await freePort(), authFile: join(dir, "userlist.txt") };
    const { ini, userlist } = files(paths);
    writeOwned(paths.authFile, userlist, USER, 0o600);
    const iniFile = join(dir, "pgbouncer.ini");
    writeOwned(iniFile, ini, USER, 0o600);
    const proc = await startServer({ name, user: USER, cwd: dir, argv: ["/usr/sbin/pgbouncer", iniFile], ready: () => portAccepts(paths.port) });
    return {
      port: paths.port,
      output: () => proc.output(),
      async stop() {
        await proc.stop("SIGTERM"); // SIGINT waits for clients (about 15 s); SIGTERM is immediate.
        removeDir(dir);
      },
    };
  } catch (error) {
    removeDir(dir);
    throw error;
  }
}

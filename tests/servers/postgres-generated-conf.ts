// The GENERATED postgresql.conf + pg_hba.conf (the production renderers) with the fixture's paths
// filled in, for startPostgres({ conf: generatedPostgresConf() }). Only the machine-specific values
// differ from production: 127.0.0.1, a random port, a socket dir and a small memory size.
import { renderPgHbaConf } from "../../components/postgres/pg-hba";
import { renderPostgresqlConf, type PostgresqlConfArgs } from "../../components/postgres/postgresql-conf";
import type { PostgresConfFiles, PostgresPaths } from "./postgres-server";

export interface GeneratedConfOverrides {
  /** Default: copy into the fixture's archive dir. Pass e.g. a pgbackrest archive-push command. */
  archiveCommand?: string;
  maxConnections?: number;
  extra?: Partial<PostgresqlConfArgs>;
}

export function generatedPostgresConf(o: GeneratedConfOverrides = {}): (paths: PostgresPaths) => PostgresConfFiles {
  return (paths) => ({
    postgresqlConf: renderPostgresqlConf({
      listenAddresses: ["127.0.0.1"],
      port: paths.port,
      maxConnections: o.maxConnections ?? 30,
      memoryMiB: 512,
      cpus: 2,
      tls: { certFile: paths.tls.cert, keyFile: paths.tls.key },
      hbaFile: paths.hbaFile,
      unixSocketDirectories: [paths.socketDir],
      archive: o.archiveCommand ? { command: o.archiveCommand } : { dir: paths.archiveDir },
      ...o.extra,
    }),
    pgHbaConf: renderPgHbaConf({ allowedCidrs: ["127.0.0.1/32"] }),
  });
}

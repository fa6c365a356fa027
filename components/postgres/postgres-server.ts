import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceSize } from "../config";
import { hardenedContainerArgs } from "../docker/hardening";
import { IMAGES, pullImage } from "../docker/images";
import { NETWORKS, POSTGRES_DATA_ADDRESS } from "../docker/topology";
import type { ServiceCert } from "../tls/internal-ca";
import { renderPgHbaConf } from "./pg-hba";
import { renderPostgresqlConf } from "./postgresql-conf";

/** Where things live inside the postgres container. */
export const POSTGRES_PATHS = {
  config: "/etc/postgresql/postgresql.conf",
  hba: "/etc/postgresql/pg_hba.conf",
  cert: "/etc/postgresql/tls/server.crt",
  key: "/etc/postgresql/tls/server.key",
  data: "/var/lib/postgresql/data",
  pgdata: "/var/lib/postgresql/data/pgdata",
  walArchive: "/var/lib/postgresql/wal-archive",
  socketDir: "/var/run/postgresql",
} as const;

/** uid/gid of `postgres` in the Debian-based official image. */
export const POSTGRES_UID = "999";
export const POSTGRES_CONTAINER = "jewelry-postgres";

export interface PostgresServerArgs {
  /** Pinned image reference; defaults to IMAGES.postgres. */
  readonly image?: string;
  readonly size: ServiceSize;
  readonly maxConnections: number;
  readonly network: docker.Network;
  readonly dataVolume: docker.Volume;
  readonly walArchiveVolume: docker.Volume;
  /** Shared with the backup container so pgBackRest reaches the server over the local socket. */
  readonly socketVolume: docker.Volume;
  readonly superuserPassword: pulumi.Input<string>;
  readonly tls: ServiceCert;
}

/**
 * PostgreSQL 16 on the internal `data` network only, at a fixed address that administrators reach
 * through an SSH tunnel to the Docker host; nothing is published (checklist 3.1, 11.x).
 */
export class PostgresServer extends pulumi.ComponentResource {
  readonly container: docker.Container;
  /** Host name on the data network. */
  readonly host = POSTGRES_CONTAINER;
  readonly port = 5432;
  readonly postgresqlConf: string;
  readonly pgHbaConf: string;

  constructor(name: string, args: PostgresServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jewelry-shop:index:PostgresServer", name, {}, opts);

    this.postgresqlConf = renderPostgresqlConf({
      maxConnections: args.maxConnections,
      memoryMiB: args.size.memoryMb,
      cpus: args.size.cpus,
      tls: { certFile: POSTGRES_PATHS.cert, keyFile: POSTGRES_PATHS.key },
      hbaFile: POSTGRES_PATHS.hba,
      unixSocketDirectories: [POSTGRES_PATHS.socketDir],
      archive: { dir: POSTGRES_PATHS.walArchive },
    });
    this.pgHbaConf = renderPgHbaConf({ allowedCidrs: [NETWORKS.data.subnet] });

    const image = pullImage(name, args.image ?? IMAGES.postgres, this);
    const base = hardenedContainerArgs({
      containerName: POSTGRES_CONTAINER,
      image: image.name,
      size: args.size,
      healthcheck: { test: ["CMD-SHELL", `pg_isready -U postgres -h ${POSTGRES_PATHS.socketDir}`], startPeriod: "60s" },
      // The image's entrypoint starts as root to own its volumes, then drops to postgres (gosu).
      capAdd: ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"],
    });
    this.container = new docker.Container(`${name}-container`, {
      ...base,
      // Own the archive volume before handing over to the image's entrypoint.
      entrypoints: ["sh", "-c", `chown postgres:postgres ${POSTGRES_PATHS.walArchive} && chmod 0700 ${POSTGRES_PATHS.walArchive} && exec docker-entrypoint.sh "$@"`, "--"],
      command: ["postgres", "-c", `config_file=${POSTGRES_PATHS.config}`],
      envs: [
        pulumi.interpolate`POSTGRES_PASSWORD=${args.superuserPassword}`,
        `PGDATA=${POSTGRES_PATHS.pgdata}`,
        "POSTGRES_INITDB_ARGS=--auth-host=scram-sha-256 --auth-local=scram-sha-256 --data-checksums",
      ],
      shmSize: 256,
      stopTimeout: 60,
      networksAdvanced: [{ name: args.network.name, aliases: ["postgres"], ipv4Address: POSTGRES_DATA_ADDRESS }],
      volumes: [
        { volumeName: args.dataVolume.name, containerPath: POSTGRES_PATHS.data },
        { volumeName: args.walArchiveVolume.name, containerPath: POSTGRES_PATHS.walArchive },
        { volumeName: args.socketVolume.name, containerPath: POSTGRES_PATHS.socketDir },
      ],
      uploads: [
        { file: POSTGRES_PATHS.config, content: this.postgresqlConf },
        { file: POSTGRES_PATHS.hba, content: this.pgHbaConf },
        { file: POSTGRES_PATHS.cert, content: args.tls.certPem, owner: POSTGRES_UID, group: POSTGRES_UID, permissions: "0644" },
        // PostgreSQL refuses a key readable by anyone but its owner.
        { file: POSTGRES_PATHS.key, content: args.tls.keyPem, owner: POSTGRES_UID, group: POSTGRES_UID, permissions: "0600" },
      ],
    }, { parent: this, dependsOn: [image], deleteBeforeReplace: true });

    this.registerOutputs({ host: this.host });
  }
}

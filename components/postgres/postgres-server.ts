import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceSize } from "../config";
import { PGBACKREST_IMAGES, buildPgbackrestImage } from "../backup/pgbackrest-image";
import { pgbackrestArchivePushCommand, renderPgHostPgbackrestConf } from "../backup/pgbackrest-pg-host-conf";
import { PGBACKREST_STANZA, PGBACKREST_TLS_PATHS } from "../backup/repository-host";
import { hardenedContainerArgs } from "../docker/hardening";
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
  socketDir: "/var/run/postgresql",
  pgbackrestConf: "/etc/pgbackrest/pgbackrest.conf",
  pgbackrestSpool: "/var/spool/pgbackrest",
} as const;

/** uid/gid of `postgres` in the Debian-based official image. */
export const POSTGRES_UID = "999";
export const POSTGRES_CONTAINER = "jewelry-postgres";

/** How this server's archive_command reaches pgBackRest's repository host (the backup container). */
export interface PgbackrestClientArgs {
  /** The repository host's name on the data network (its certificate carries it) and TLS port. */
  readonly host: string;
  readonly port: number;
  /** Repository numbers it defines: WAL goes to each. */
  readonly repos: readonly number[];
  /** This server's client certificate; its CN is authorized on the repository host. */
  readonly clientCert: ServiceCert;
  readonly caCertPem: pulumi.Input<string>;
  /** archive-async's queue, kept across restarts. */
  readonly spoolVolume: docker.Volume;
}

export interface PostgresServerArgs {
  readonly size: ServiceSize;
  readonly maxConnections: number;
  readonly network: docker.Network;
  readonly dataVolume: docker.Volume;
  /** Shared with the backup container so pgBackRest reaches the server over the local socket. */
  readonly socketVolume: docker.Volume;
  readonly superuserPassword: pulumi.Input<string>;
  readonly tls: ServiceCert;
  readonly pgbackrest: PgbackrestClientArgs;
  /**
   * The repository host (the backup container): it must answer before the first start, because the
   * image's initialisation server archives too and its shutdown waits for archive-push.
   */
  readonly repositoryHost: pulumi.Resource;
}

/**
 * PostgreSQL 16 on the internal `data` network only, at a fixed address that administrators reach
 * through an SSH tunnel to the Docker host; nothing is published (checklist 3.1, 11.x).
 * WAL is archived with `pgbackrest archive-push` to the repository host over TLS (checklist 13.6);
 * this container holds no repository secret. It runs no `pgbackrest server` of its own: the
 * repository host backs up from the data volume it mounts read-only, so PostgreSQL stays the only
 * long-running process here (a second one started before the entrypoint would become the
 * postmaster's child, and its abnormal exit would be taken for a crashed backend).
 */
export class PostgresServer extends pulumi.ComponentResource {
  readonly container: docker.Container;
  /** Host name on the data network. */
  readonly host = POSTGRES_CONTAINER;
  readonly port = 5432;
  readonly postgresqlConf: string;
  readonly pgHbaConf: string;
  readonly pgbackrestConf: string;

  constructor(name: string, args: PostgresServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jewelry-shop:index:PostgresServer", name, {}, opts);

    this.postgresqlConf = renderPostgresqlConf({
      maxConnections: args.maxConnections,
      memoryMiB: args.size.memoryMb,
      cpus: args.size.cpus,
      tls: { certFile: POSTGRES_PATHS.cert, keyFile: POSTGRES_PATHS.key },
      hbaFile: POSTGRES_PATHS.hba,
      unixSocketDirectories: [POSTGRES_PATHS.socketDir],
      archive: { command: pgbackrestArchivePushCommand(PGBACKREST_STANZA) },
    });
    this.pgHbaConf = renderPgHbaConf({ allowedCidrs: [NETWORKS.data.subnet] });
    this.pgbackrestConf = renderPgHostPgbackrestConf({
      stanza: PGBACKREST_STANZA,
      repositoryHost: {
        host: args.pgbackrest.host, port: args.pgbackrest.port, repos: args.pgbackrest.repos,
        certFile: PGBACKREST_TLS_PATHS.cert, keyFile: PGBACKREST_TLS_PATHS.key, caFile: PGBACKREST_TLS_PATHS.ca,
      },
      pg: { dataDir: POSTGRES_PATHS.pgdata, socketPath: POSTGRES_PATHS.socketDir },
      spoolPath: POSTGRES_PATHS.pgbackrestSpool,
    });

    const image = buildPgbackrestImage(name, PGBACKREST_IMAGES.postgres, this);
    const base = hardenedContainerArgs({
      containerName: POSTGRES_CONTAINER,
      image: image.imageName,
      size: args.size,
      // Over TCP, not the socket: the image's initialisation server listens on the socket only
      // (listen_addresses=''), so a socket probe would call the container healthy while initdb's
      // temporary server is about to stop, and dependants would connect to a server going away.
      healthcheck: { test: ["CMD-SHELL", `pg_isready -U postgres -h 127.0.0.1 -p ${this.port}`], startPeriod: "60s" },
      // The image's entrypoint starts as root to own its volumes, then drops to postgres (gosu).
      capAdd: ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"],
    });
    this.container = new docker.Container(`${name}-container`, {
      ...base,
      // Own the spool volume before handing over to the image's entrypoint.
      entrypoints: ["sh", "-c", `chown postgres:postgres ${POSTGRES_PATHS.pgbackrestSpool} && chmod 0700 ${POSTGRES_PATHS.pgbackrestSpool} && exec docker-entrypoint.sh "$@"`, "--"],
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
        { volumeName: args.pgbackrest.spoolVolume.name, containerPath: POSTGRES_PATHS.pgbackrestSpool },
        { volumeName: args.socketVolume.name, containerPath: POSTGRES_PATHS.socketDir },
      ],
      uploads: [
        { file: POSTGRES_PATHS.config, content: this.postgresqlConf },
        { file: POSTGRES_PATHS.hba, content: this.pgHbaConf },
        { file: POSTGRES_PATHS.cert, content: args.tls.certPem, owner: POSTGRES_UID, group: POSTGRES_UID, permissions: "0644" },
        // PostgreSQL refuses a key readable by anyone but its owner.
        { file: POSTGRES_PATHS.key, content: args.tls.keyPem, owner: POSTGRES_UID, group: POSTGRES_UID, permissions: "0600" },
        { file: POSTGRES_PATHS.pgbackrestConf, content: this.pgbackrestConf, permissions: "0644" },
        { file: PGBACKREST_TLS_PATHS.ca, content: args.pgbackrest.caCertPem, permissions: "0644" },
        { file: PGBACKREST_TLS_PATHS.cert, content: args.pgbackrest.clientCert.certPem, permissions: "0644" },
        { file: PGBACKREST_TLS_PATHS.key, content: args.pgbackrest.clientCert.keyPem, owner: POSTGRES_UID, group: POSTGRES_UID, permissions: "0600" },
      ],
    }, { parent: this, dependsOn: [image, args.repositoryHost], deleteBeforeReplace: true });

    this.registerOutputs({ host: this.host });
  }
}

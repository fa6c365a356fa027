import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceSize } from "../config";
import { hardenedContainerArgs } from "../docker/hardening";
import { POSTGRES_PATHS, POSTGRES_UID } from "../postgres/postgres-server";
import type { ServiceCert } from "../tls/internal-ca";
import { renderBackupCrontab, renderBackupWrapper } from "./backup-schedule";
import {
  pgbackrestSecretIncludeFiles, renderPgbackrestConf, renderPgbackrestSecretInclude, type PgbackrestRepo, type PgbackrestSecretValues,
} from "./pgbackrest-conf";
import { PGBACKREST_IMAGES, buildPgbackrestImage } from "./pgbackrest-image";
import { PG_HOST_CLIENT_CN, PGBACKREST_STANZA, PGBACKREST_TLS_PATHS, REPOSITORY_HOST } from "./repository-host";
import { renderPgpass } from "./pgpass";
import { renderRestoreDrillScript } from "./restore-drill";
import { renderStanzaCreateScript } from "./stanza-create";

export const BACKUP_STANZA = PGBACKREST_STANZA;
const PATHS = {
  /** pgBackRest's default --config-path: every command here uses it, so conf.d/ is always loaded. */
  configDir: "/etc/pgbackrest",
  conf: "/etc/pgbackrest/pgbackrest.conf",
  /** The repositories' secrets, one include file each (pgbackrestSecretIncludeFiles). */
  confD: "/etc/pgbackrest/conf.d",
  /** The postgres user's home in the postgres image: libpq reads ~/.pgpass from there. */
  pgpass: "/var/lib/postgresql/.pgpass",
  crontab: "/etc/pgbackrest/crontab",
  wrapper: "/usr/local/bin/jewelry-backup",
  drill: "/usr/local/bin/jewelry-restore-drill",
  stanzaCreate: "/usr/local/bin/jewelry-stanza-create",
  repo: "/var/lib/pgbackrest",
  spool: "/var/spool/pgbackrest",
  textfile: "/var/lib/node-exporter/textfile",
  scratch: "/var/lib/pgbackrest-drill",
} as const;

export interface S3Credentials {
  readonly accessKeyId: pulumi.Input<string>;
  readonly secretAccessKey: pulumi.Input<string>;
}

export interface BackupsArgs {
  readonly size: ServiceSize;
  readonly schedules: { readonly full: string; readonly diff: string; readonly incr: string; readonly restoreDrill: string };
  readonly retention: { readonly full: number; readonly diff: number };
  readonly r2: { readonly accountId: string; readonly bucket: string; readonly credentials: S3Credentials };
  readonly b2: { readonly region: string; readonly bucket: string; readonly credentials: S3Credentials };
  /** BACKUP_ENCRYPTION_KEY: every repository's cipher pass is derived from it (pgbackrest-conf.ts). */
  readonly backupEncryptionKey: pulumi.Input<string>;
  readonly postgresPassword: pulumi.Input<string>;
  readonly networks: { readonly data: docker.Network; readonly egress: docker.Network };
  /** The repository host's TLS server certificate (name: REPOSITORY_HOST.host) and the CA of its clients. */
  readonly tls: { readonly serverCert: ServiceCert; readonly caCertPem: pulumi.Input<string> };
  readonly volumes: {
    readonly repo: docker.Volume; readonly postgresData: docker.Volume;
    readonly postgresSocket: docker.Volume; readonly textfile: docker.Volume;
  };
}

/**
 * Encrypted PostgreSQL backups with pgBackRest (checklist 3.5, 13.1–13.4, 13.7): full weekly,
 * differential daily and incremental every few hours to a local repository and to R2 and B2 (two
 * vendors off site), each encrypted (aes-256-cbc) with its own pass derived from BACKUP_ENCRYPTION_KEY,
 * retention from config, and a weekly restore drill into a scratch instance reporting to Prometheus.
 *
 * The container is pgBackRest's repository host: it owns the repositories and their secrets and runs
 * `pgbackrest server` (TLS, client certificates) on the data network, through which PostgreSQL's
 * archive_command pushes every WAL segment to every repository (13.6). Backups run here and read
 * the cluster from its data volume (read-only) and socket, so the PostgreSQL container needs no
 * server of its own.
 *
 * It starts BEFORE the PostgreSQL container (which depends on it): PostgreSQL archives from its very
 * first start (the image's initialisation server too, whose shutdown waits for archive-push), so the
 * repository host must already answer. At every start it creates the stanza once the cluster answers
 * on the shared socket (stanza-create.ts); until then archive-push fails fast and PostgreSQL keeps the
 * segments and retries.
 */
export class Backups extends pulumi.ComponentResource {
  readonly container: docker.Container;
  readonly pgbackrestConf: string;
  readonly crontab: string;

  constructor(name: string, args: BackupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jewelry-shop:index:Backups", name, {}, opts);
    const retention = { full: args.retention.full, diff: args.retention.diff };
    if (REPOSITORY_HOST.repos.length !== 3) throw new pulumi.ResourceError("REPOSITORY_HOST.repos must list repo1-3 (local, r2, b2)", this);
    const repos: PgbackrestRepo[] = [
      // On the repository volume: a path outside it would live in the container's writable layer and vanish with it.
      { name: "local", type: "posix", path: PATHS.repo, retention },
      { name: "r2", type: "r2", path: "/pgbackrest", accountId: args.r2.accountId, bucket: args.r2.bucket, retention },
      { name: "b2", type: "b2", path: "/pgbackrest", region: args.b2.region, bucket: args.b2.bucket, retention },
    ];
    this.pgbackrestConf = renderPgbackrestConf({
      stanza: BACKUP_STANZA,
      repos,
      pg: { dataDir: POSTGRES_PATHS.pgdata, socketPath: POSTGRES_PATHS.socketDir },
      spoolPath: PATHS.spool,
      tlsServer: {
        address: REPOSITORY_HOST.address,
        port: REPOSITORY_HOST.port,
        certFile: PGBACKREST_TLS_PATHS.cert,
        keyFile: PGBACKREST_TLS_PATHS.key,
        caFile: PGBACKREST_TLS_PATHS.ca,
        authorizedClients: { [PG_HOST_CLIENT_CN]: [BACKUP_STANZA] },
      },
    });
    this.crontab = renderBackupCrontab({
      repos: [1, 2, 3].map((repo) => ({ repo, full: args.schedules.full, diff: args.schedules.diff, incr: args.schedules.incr })),
      wrapperPath: PATHS.wrapper,
      restoreDrill: { schedule: args.schedules.restoreDrill, scriptPath: PATHS.drill },
    });

    const image = buildPgbackrestImage(name, PGBACKREST_IMAGES.backup, this);

    // Secrets reach the jobs as files, not env: cron does not pass the container's environment to
    // its jobs, and the include names (what backup-encryption reads) stay known at preview.
    const secretValues = pulumi.all([
      args.backupEncryptionKey,
      args.r2.credentials.accessKeyId, args.r2.credentials.secretAccessKey,
      args.b2.credentials.accessKeyId, args.b2.credentials.secretAccessKey,
    ]).apply(([backupEncryptionKey, r2Id, r2Secret, b2Id, b2Secret]): PgbackrestSecretValues => ({
      backupEncryptionKey,
      s3Keys: { r2: { accessKeyId: r2Id, secretAccessKey: r2Secret }, b2: { accessKeyId: b2Id, secretAccessKey: b2Secret } },
    }));
    const postgresOwned = { owner: POSTGRES_UID, group: POSTGRES_UID, permissions: "0600" } as const;
    // The scripts run as postgres (cron, the start command): `executable: true` alone uploads them
    // 0744, which only root may run.
    const runByPostgres = { permissions: "0755" } as const;
    const secretIncludes = pgbackrestSecretIncludeFiles(repos).map((include) => ({
      file: `${PATHS.confD}/${include.file}`,
      content: pulumi.secret(secretValues.apply((values) => renderPgbackrestSecretInclude(include, values))),
      ...postgresOwned,
    }));
    const pgpass = pulumi.secret(pulumi.output(args.postgresPassword).apply((password) => renderPgpass([{ user: "postgres", password }])));

    this.container = new docker.Container(`${name}-container`, {
      ...hardenedContainerArgs({
        containerName: REPOSITORY_HOST.host,
        image: image.imageName,
        size: args.size,
        // cron starts as root and runs the postgres user's crontab as postgres.
        capAdd: ["SETUID", "SETGID", "CHOWN", "DAC_OVERRIDE"],
        healthcheck: {
          // The scheduler runs and the TLS server accepts connections (server-ping: no repository is
          // read, so neither PostgreSQL nor R2/B2 decide this container's health; their failures are
          // the backup and archiving alerts'). As postgres, so root never owns a log or lock file.
          test: ["CMD-SHELL", "pgrep -x cron >/dev/null && gosu postgres pgbackrest server-ping"],
        },
      }),
      // The schedule is the postgres user's crontab, so every job runs as postgres. The TLS server
      // and the stanza creation run as postgres too (it owns the repositories); the subshells detach
      // them, so the init process (init: true) reaps them rather than cron. Every pgBackRest run uses
      // the default --config-path, /etc/pgbackrest, so it reads the secrets in conf.d/ (--config=<file>
      // would not).
      command: ["sh", "-c", `crontab -u postgres ${PATHS.crontab} && (gosu postgres pgbackrest server &) && (gosu postgres ${PATHS.stanzaCreate} &) && exec cron -f`],
      envs: ["TZ=UTC"],
      // The TLS server binds the fixed `data` address only: nothing listens on `egress`.
      networksAdvanced: [
        { name: args.networks.data.name, ipv4Address: REPOSITORY_HOST.address },
        { name: args.networks.egress.name },
      ],
      volumes: [
        { volumeName: args.volumes.repo.name, containerPath: PATHS.repo },
        { volumeName: args.volumes.postgresData.name, containerPath: POSTGRES_PATHS.data, readOnly: true },
        { volumeName: args.volumes.postgresSocket.name, containerPath: POSTGRES_PATHS.socketDir },
        { volumeName: args.volumes.textfile.name, containerPath: PATHS.textfile },
      ],
      uploads: [
        { file: PATHS.conf, content: this.pgbackrestConf, permissions: "0644" },
        { file: PATHS.crontab, content: this.crontab, permissions: "0644" },
        { file: PGBACKREST_TLS_PATHS.ca, content: args.tls.caCertPem, permissions: "0644" },
        { file: PGBACKREST_TLS_PATHS.cert, content: args.tls.serverCert.certPem, permissions: "0644" },
        { file: PGBACKREST_TLS_PATHS.key, content: args.tls.serverCert.keyPem, ...postgresOwned },
        ...secretIncludes,
        { file: PATHS.pgpass, content: pgpass, ...postgresOwned },
        { file: PATHS.wrapper, content: renderBackupWrapper({ stanza: BACKUP_STANZA, configPath: PATHS.configDir, textfileDir: PATHS.textfile }), ...runByPostgres },
        {
          file: PATHS.stanzaCreate,
          content: renderStanzaCreateScript({ stanza: BACKUP_STANZA, configPath: PATHS.configDir, socketDir: POSTGRES_PATHS.socketDir }),
          ...runByPostgres,
        },
        {
          file: PATHS.drill,
          content: renderRestoreDrillScript({
            stanza: BACKUP_STANZA, configPath: PATHS.configDir, repo: 1, target: "latest", scratchParent: PATHS.scratch,
            scratchPort: 55432, pgBinDir: "/usr/lib/postgresql/16/bin", textfileDir: PATHS.textfile,
          }),
          ...runByPostgres,
        },
      ],
    }, { parent: this, dependsOn: [image] });

    this.registerOutputs({});
  }
}

import * as path from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceSize } from "../config";
import { hardenedContainerArgs } from "../docker/hardening";
import { IMAGES } from "../docker/images";
import { POSTGRES_PATHS } from "../postgres/postgres-server";
import { renderBackupCrontab, renderBackupWrapper } from "./backup-schedule";
import { deriveRepoCipherPass, pgbackrestSecretEnvNames, renderPgbackrestConf, type PgbackrestRepo } from "./pgbackrest-conf";
import { renderRestoreDrillScript } from "./restore-drill";

export const BACKUP_STANZA = "main";
const PATHS = {
  conf: "/etc/pgbackrest/pgbackrest.conf",
  crontab: "/etc/pgbackrest/crontab",
  wrapper: "/usr/local/bin/jewelry-backup",
  drill: "/usr/local/bin/jewelry-restore-drill",
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
  readonly volumes: {
    readonly repo: docker.Volume; readonly spool: docker.Volume; readonly postgresData: docker.Volume;
    readonly postgresSocket: docker.Volume; readonly textfile: docker.Volume;
  };
  readonly dependsOn: pulumi.Resource[];
}

/**
 * Encrypted PostgreSQL backups with pgBackRest (checklist 3.5, 13.1–13.4, 13.7): full weekly,
 * differential daily and incremental every few hours to a local repository and to R2 and B2 (two
 * vendors off site), each encrypted (aes-256-cbc) with its own pass derived from BACKUP_ENCRYPTION_KEY,
 * retention from config, and a weekly restore drill into a scratch instance reporting to Prometheus.
 */
export class Backups extends pulumi.ComponentResource {
  readonly container: docker.Container;
  readonly pgbackrestConf: string;
  readonly crontab: string;

  constructor(name: string, args: BackupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jewelry-shop:index:Backups", name, {}, opts);
    const retention = { full: args.retention.full, diff: args.retention.diff };
    const repos: PgbackrestRepo[] = [
      { name: "local", type: "posix", path: "/pgbackrest", retention },
      { name: "r2", type: "r2", path: "/pgbackrest", accountId: args.r2.accountId, bucket: args.r2.bucket, retention },
      { name: "b2", type: "b2", path: "/pgbackrest", region: args.b2.region, bucket: args.b2.bucket, retention },
    ];
    this.pgbackrestConf = renderPgbackrestConf({
      stanza: BACKUP_STANZA,
      repos,
      pg: { dataDir: POSTGRES_PATHS.pgdata, socketPath: POSTGRES_PATHS.socketDir },
      spoolPath: PATHS.spool,
    });
    this.crontab = renderBackupCrontab({
      repos: [1, 2, 3].map((repo) => ({ repo, full: args.schedules.full, diff: args.schedules.diff, incr: args.schedules.incr })),
      wrapperPath: PATHS.wrapper,
      restoreDrill: { schedule: args.schedules.restoreDrill, scriptPath: PATHS.drill },
    });

    const image = new docker.Image(`${name}-image`, {
      imageName: `jewelry-backup:${IMAGES.postgres.split(":")[1]}-pgbackrest-2.54.1`,
      build: {
        context: path.join(__dirname, "image"),
        args: { POSTGRES_IMAGE: IMAGES.postgres },
        platform: "linux/amd64",
      },
      skipPush: true,
    }, { parent: this });

    const secretEnv = pgbackrestSecretEnvNames(repos).map(({ env, kind, repoName }) => {
      if (kind === "cipher-pass") {
        return pulumi.secret(pulumi.output(args.backupEncryptionKey).apply((key) =>
          `${env}=${deriveRepoCipherPass(key, repoName)}`));
      }
      const credentials = repoName === "r2" ? args.r2.credentials : args.b2.credentials;
      const value = kind === "s3-key" ? credentials.accessKeyId : credentials.secretAccessKey;
      return pulumi.secret(pulumi.interpolate`${env}=${value}`);
    });

    this.container = new docker.Container(`${name}-container`, {
      ...hardenedContainerArgs({
        containerName: "jewelry-backup",
        image: image.imageName,
        size: args.size,
        // cron starts as root and runs the postgres user's crontab as postgres.
        capAdd: ["SETUID", "SETGID", "CHOWN", "DAC_OVERRIDE"],
        healthcheck: { test: ["CMD-SHELL", `pgrep -x cron >/dev/null && pgbackrest --stanza=${BACKUP_STANZA} info >/dev/null`], interval: "5m", startPeriod: "2m" },
      }),
      // The schedule is the postgres user's crontab, so every job runs as postgres.
      command: ["sh", "-c", `crontab -u postgres ${PATHS.crontab} && exec cron -f`],
      envs: [
        "TZ=UTC",
        pulumi.secret(pulumi.interpolate`PGPASSWORD=${args.postgresPassword}`),
        ...secretEnv,
      ],
      networksAdvanced: [{ name: args.networks.data.name }, { name: args.networks.egress.name }],
      volumes: [
        { volumeName: args.volumes.repo.name, containerPath: PATHS.repo },
        { volumeName: args.volumes.spool.name, containerPath: PATHS.spool },
        { volumeName: args.volumes.postgresData.name, containerPath: POSTGRES_PATHS.data, readOnly: true },
        { volumeName: args.volumes.postgresSocket.name, containerPath: POSTGRES_PATHS.socketDir },
        { volumeName: args.volumes.textfile.name, containerPath: PATHS.textfile },
      ],
      uploads: [
        { file: PATHS.conf, content: this.pgbackrestConf, permissions: "0644" },
        { file: PATHS.crontab, content: this.crontab, permissions: "0644" },
        { file: PATHS.wrapper, content: renderBackupWrapper({ stanza: BACKUP_STANZA, configPath: PATHS.conf, textfileDir: PATHS.textfile }), executable: true },
        {
          file: PATHS.drill,
          content: renderRestoreDrillScript({
            stanza: BACKUP_STANZA, configPath: PATHS.conf, repo: 1, target: "latest", scratchParent: PATHS.scratch,
            scratchPort: 55432, pgBinDir: "/usr/lib/postgresql/16/bin", textfileDir: PATHS.textfile,
          }),
          executable: true,
        },
      ],
    }, { parent: this, dependsOn: [image, ...args.dependsOn] });

    this.registerOutputs({});
  }
}

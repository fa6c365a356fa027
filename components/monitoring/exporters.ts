// The exporters Prometheus scrapes, each on the monitoring network plus only the network where its
// target lives. Credentials reach them as secret env entries: their images read no secret files
// (or only some), and env keeps their root filesystems read-only (uploads need a writable one).
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceSize } from "../config";
import { renderBlackboxConfig } from "./blackbox-config";
import { createServiceContainer, httpHealthcheck, secretEnv } from "./service-container";

export interface ExporterTargets {
  readonly postgres: {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly password: pulumi.Input<string>;
    readonly database: string;
    readonly sslmode: "require" | "verify-ca" | "verify-full";
  };
  /** PgBouncer's admin console (SHOW STATS/POOLS) with a stats_users role. */
  readonly pgbouncer: { readonly host: string; readonly port: number; readonly user: string; readonly password: pulumi.Input<string> };
  /** A Redis ACL user limited to INFO/CONFIG GET-style commands. */
  readonly redis: { readonly host: string; readonly port: number; readonly user: string; readonly password: pulumi.Input<string> };
  /** nginx stub_status on its internal-only port, e.g. http://jewelry-nginx:8080/stub_status. */
  readonly nginxStubStatusUrl: string;
  /**
   * The containers the exporters read: each exporter starts after its own, since an exporter that
   * finds its server silent at its start may give up (nginx-exporter 0.x exits) and a restart loop
   * is no way to start a deploy.
   */
  readonly servers?: { readonly postgres?: pulumi.Resource; readonly pgbouncer?: pulumi.Resource; readonly redis?: pulumi.Resource; readonly nginx?: pulumi.Resource };
  /** Celery's broker URL with the app's Redis password: a secret as a whole. */
  readonly celeryBrokerUrl: pulumi.Input<string>;
}

export interface ExportersArgs {
  readonly size: ServiceSize;
  readonly networks: {
    readonly monitoring: docker.Network;
    /** postgres-exporter reaches PostgreSQL here. */
    readonly data: docker.Network;
    /** pgbouncer-exporter reaches PgBouncer here. */
    readonly backend: docker.Network;
    /** nginx-exporter reaches nginx' status port here. */
    readonly edge: docker.Network;
    /** blackbox-exporter probes the public URL from here. */
    readonly egress: docker.Network;
  };
  /** node-exporter's textfile collector folder, written by the backup and restore-drill jobs. */
  readonly textfileVolume: docker.Volume;
  readonly targets: ExporterTargets;
}

export const EXPORTER_IDS = [
  "node-exporter", "postgres-exporter", "pgbouncer-exporter", "redis-exporter", "nginx-exporter",
  "celery-exporter", "blackbox-exporter",
] as const;
export type ExporterId = (typeof EXPORTER_IDS)[number];

const NOBODY = "65534:65534";
const BLACKBOX_CONFIG = "/etc/blackbox_exporter/config.yml";
const TEXTFILE_DIR = "/textfile";

/** Some exporter images are FROM scratch: no shell, no wget. Running the binary proves only that it
 * starts; the real liveness check is Prometheus' `up` for the job (TargetDown alert). */
const binaryRuns = (binary: string) => ({ test: ["CMD", binary, "--version"], interval: "60s" });

export function createExporters(name: string, args: ExportersArgs, parent: pulumi.Resource): Record<ExporterId, docker.Container> {
  const { networks, targets, size } = args;
  const common = { size, network: networks.monitoring, readOnlyRootFs: true } as const;
  const serverOf = (server: keyof NonNullable<ExporterTargets["servers"]>) => {
    const container = targets.servers?.[server];
    return container ? [container] : [];
  };
  const pgbouncerDsn = pulumi.output(targets.pgbouncer.password).apply((password) =>
    `postgres://${encodeURIComponent(targets.pgbouncer.user)}:${encodeURIComponent(password)}@${targets.pgbouncer.host}:${targets.pgbouncer.port}/pgbouncer?sslmode=require`);

  return {
    "node-exporter": createServiceContainer(name, {
      ...common,
      id: "node-exporter",
      image: "nodeExporter",
      user: NOBODY,
      healthcheck: httpHealthcheck("http://127.0.0.1:9100/metrics"),
      settings: {
        command: [
          "--path.rootfs=/host",
          `--collector.textfile.directory=${TEXTFILE_DIR}`,
          "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run|var/lib/docker/.+)($|/)",
        ],
        // The host's filesystems, read-only, for disk space (DiskFilling). No pid/network host mode:
        // the alerts need only filesystem, CPU and memory figures, which /proc gives host-wide anyway.
        mounts: [{ type: "bind", source: "/", target: "/host", readOnly: true, bindOptions: { propagation: "rslave" } }],
        volumes: [{ volumeName: args.textfileVolume.name, containerPath: TEXTFILE_DIR, readOnly: true }],
      },
    }, parent),
    "postgres-exporter": createServiceContainer(name, {
      ...common,
      id: "postgres-exporter",
      after: serverOf("postgres"),
      image: "postgresExporter",
      user: NOBODY,
      otherNetworks: [networks.data],
      healthcheck: httpHealthcheck("http://127.0.0.1:9187/metrics"),
      settings: {
        // 0.16 registers stat_statements default-off (collector/pg_stat_statements.go): without the flag the
        // pg_stat_statements extension the program creates is never exported. pg_stat_archiver_* (for
        // WalArchivingFailing) are 0.16's default metrics; it has no stat_archiver collector, and kingpin
        // exits on an unknown flag such as --collector.stat_archiver.
        command: ["--collector.stat_statements"],
        envs: [
          `DATA_SOURCE_URI=${targets.postgres.host}:${targets.postgres.port}/${targets.postgres.database}?sslmode=${targets.postgres.sslmode}`,
          `DATA_SOURCE_USER=${targets.postgres.user}`,
          secretEnv("DATA_SOURCE_PASS", targets.postgres.password),
        ],
      },
    }, parent),
    "pgbouncer-exporter": createServiceContainer(name, {
      ...common,
      id: "pgbouncer-exporter",
      after: serverOf("pgbouncer"),
      image: "pgbouncerExporter",
      user: NOBODY,
      otherNetworks: [networks.backend],
      healthcheck: httpHealthcheck("http://127.0.0.1:9127/metrics"),
      settings: { envs: [secretEnv("PGBOUNCER_EXPORTER_CONNECTION_STRING", pgbouncerDsn)] },
    }, parent),
    // Redis already sits on the monitoring network: no second network needed.
    "redis-exporter": createServiceContainer(name, {
      ...common,
      id: "redis-exporter",
      after: serverOf("redis"),
      image: "redisExporter",
      user: "59000:59000",
      healthcheck: binaryRuns("/redis_exporter"),
      settings: {
        envs: [
          `REDIS_ADDR=redis://${targets.redis.host}:${targets.redis.port}`,
          `REDIS_USER=${targets.redis.user}`,
          secretEnv("REDIS_PASSWORD", targets.redis.password),
        ],
      },
    }, parent),
    "nginx-exporter": createServiceContainer(name, {
      ...common,
      id: "nginx-exporter",
      image: "nginxExporter",
      user: NOBODY,
      otherNetworks: [networks.edge],
      after: serverOf("nginx"),
      healthcheck: binaryRuns("/usr/bin/nginx-prometheus-exporter"),
      settings: { command: [`--nginx.scrape-uri=${targets.nginxStubStatusUrl}`] },
    }, parent),
    // The broker (Redis) is on the monitoring network too.
    "celery-exporter": createServiceContainer(name, {
      ...common,
      id: "celery-exporter",
      image: "celeryExporter",
      // Stated explicitly (the image's own user is invisible to a preview): a Python app needs no account.
      user: NOBODY,
      healthcheck: {
        test: ["CMD", "python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:9808/health', timeout=4).status == 200 else 1)"],
        interval: "60s",
      },
      settings: {
        envs: [secretEnv("CE_BROKER_URL", targets.celeryBrokerUrl)],
        tmpfs: { "/tmp": "rw,noexec,nosuid,size=16m" },
      },
    }, parent),
    "blackbox-exporter": createServiceContainer(name, {
      ...common,
      id: "blackbox-exporter",
      image: "blackboxExporter",
      user: NOBODY,
      // Uploads need a writable root filesystem.
      readOnlyRootFs: false,
      otherNetworks: [networks.egress],
      healthcheck: httpHealthcheck("http://127.0.0.1:9115/-/healthy"),
      settings: {
        command: [`--config.file=${BLACKBOX_CONFIG}`],
        uploads: [{ file: BLACKBOX_CONFIG, content: renderBlackboxConfig(), owner: "65534", group: "65534", permissions: "0644" }],
      },
    }, parent),
  };
}

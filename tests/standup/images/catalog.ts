// The stand-up's images: for every upstream image the program runs (components/docker/images.ts,
// and the pgBackRest images it builds itself), the local image built from Debian's packages that
// stands in for it, the contract it keeps, and every way it differs. The references come from the
// program's own constants, so a new or bumped image cannot slip past this list (image-map.test.ts).
// DIFFERENCES.md is rendered from here (`npx tsx tests/standup/images/cli.ts --differences`).
import { PGBACKREST_IMAGES } from "../../../components/backup/pgbackrest-image";
import { IMAGES } from "../../../components/docker/images";

/** Debian's pgBackRest in bookworm: the version the program's Dockerfile is asked to install here. */
export const DEBIAN_PGBACKREST_PACKAGE = "2.45-1";

export const LOCAL_IMAGE_NAMES = [
  "tls-common", "python-common", "postgres", "pgbackrest", "pgbouncer", "redis", "nginx", "certbot", "docker-socket-proxy",
  "prometheus-family", "prometheus", "alertmanager", "node-exporter", "postgres-exporter",
  "pgbouncer-exporter", "redis-exporter", "nginx-exporter", "blackbox-exporter", "app", "s3-standin",
] as const;
export type LocalImageName = (typeof LOCAL_IMAGE_NAMES)[number];

/** Image metadata of a layer without packages of its own (a program of the prometheus family). */
export interface ThinLayer {
  readonly user: string;
  readonly entrypoint: readonly string[];
  readonly cmd?: readonly string[];
  readonly workdir?: string;
  readonly expose?: readonly number[];
  /** Image environment (defaults the program does not set). */
  readonly env?: Readonly<Record<string, string>>;
}

export type BuildSource =
  /**
   * A Dockerfile in `context` (a folder of this repository), given the parent as build arg `fromArg`;
   * `bundle` is a program of this repository that esbuild bundles into the context first (one file).
   */
  | {
      readonly kind: "dockerfile"; readonly context: string; readonly fromArg: string; readonly buildArgs?: Readonly<Record<string, string>>;
      readonly bundle?: { readonly entry: string; readonly file: string };
    }
  /** A Dockerfile rendered from the layer (renderThinDockerfile): metadata only. */
  | { readonly kind: "thin"; readonly layer: ThinLayer };

export interface Account {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** What the image-build test checks on the built image, besides what the program's containers call. */
export interface ImageContract {
  /** Config.User of the image ("" = root). */
  readonly user: string;
  /** Config.Entrypoint (null = none). */
  readonly entrypoint: readonly string[] | null;
  readonly cmd: readonly string[] | null;
  readonly workdir?: string;
  /** Accounts the program names or relies on by number (uploads, `user`, volume ownership). */
  readonly accounts?: readonly Account[];
  /** Programs that must be found (PATH names or absolute paths). */
  readonly binaries: readonly string[];
  /** Folders whose owner a volume mounted there inherits. */
  readonly ownedPaths?: readonly { readonly path: string; readonly uid: number }[];
  /** `argv` (run with the image's entrypoint replaced) must print text matching `matches`. */
  readonly version: { readonly argv: readonly string[]; readonly matches: RegExp };
}

export interface LocalImage {
  readonly name: LocalImageName;
  /** The tag it is built under. */
  readonly tag: string;
  /** Its parent: the Debian base or another local image. */
  readonly from: "base" | LocalImageName;
  readonly source: BuildSource;
  /** Upstream references the program declares that this image replaces in the stand-up. */
  readonly replaces: readonly string[];
  /** The Debian packages that carry the program, with bookworm's version. */
  readonly packages: string;
  readonly contract: ImageContract;
  /** Every way it differs from the image(s) it replaces, one sentence each. */
  readonly differences: readonly string[];
  /**
   * A layer of packages that each image built on it would install anyway, so their maintainer
   * scripts run once: it marks them automatically installed, and its descendants' packages and
   * marks stay what they would be on the base (image-build.test.ts checks both).
   */
  readonly sharesPackages?: true;
}

/** Upstream images the program declares that have no local image, with the reason. */
export const EXCLUDED_IMAGES: Readonly<Record<string, string>> = {
  [IMAGES.grafana]: "Grafana has no Debian package (and no source build is possible without its npm/Go module downloads); the stand-up runs without it.",
  [IMAGES.loki]: "Loki has no Debian package; the stand-up runs without it.",
  [IMAGES.promtail]: "promtail (part of Loki) has no Debian package; the stand-up runs without it.",
  [IMAGES.pgbackrest]: "Declared in components/docker/images.ts but run by no container: the program builds its own pgBackRest image from components/backup/image (the local pgbackrest image).",
  [IMAGES.celeryExporter]: "danihodovic/celery-exporter is a PyPI package with no Debian package, and PyPI is unreachable; the stand-up runs without it (the CeleryQueueBacklog alert has no data there).",
};

export const STANDUP_REPOSITORY = "jewelry-standup";
const tagOf = (name: string): string => `${STANDUP_REPOSITORY}/${name}:bookworm`;
const DOCKERFILES = "tests/standup/images/dockerfiles";
const NOBODY: Account = { name: "nobody", uid: 65534, gid: 65534 };
const POSTGRES_999: Account = { name: "postgres", uid: 999, gid: 999 };

const dockerfile = (folder: string): BuildSource => ({ kind: "dockerfile", context: `${DOCKERFILES}/${folder}`, fromArg: "BASE_IMAGE" });
const thin = (layer: ThinLayer): BuildSource => ({ kind: "thin", layer });

/** A program of the prometheus family: a thin layer over the one image that holds them all. */
function prometheusProgram(name: LocalImageName, spec: {
  replaces: string; layer: ThinLayer; packages: string; binaries: string[];
  version: ImageContract["version"]; differences: string[]; ownedPaths?: ImageContract["ownedPaths"];
}): LocalImage {
  return {
    name, tag: tagOf(name), from: "prometheus-family", source: thin(spec.layer), replaces: [spec.replaces], packages: spec.packages,
    contract: {
      user: spec.layer.user, entrypoint: spec.layer.entrypoint, cmd: spec.layer.cmd ?? null, workdir: spec.layer.workdir,
      accounts: [NOBODY], binaries: spec.binaries, ownedPaths: spec.ownedPaths, version: spec.version,
    },
    differences: [
      ...spec.differences,
      "Debian base with a shell and every other Prometheus-project program of the stand-up in one shared layer; upstream is busybox-based (or FROM scratch) with this program alone.",
    ],
  };
}

const IMAGE_LIST: readonly LocalImage[] = [
  {
    name: "tls-common", tag: tagOf("tls-common"), from: "base", source: dockerfile("tls-common"), replaces: [], sharesPackages: true,
    packages: "ca-certificates, openssl",
    contract: {
      user: "", entrypoint: null, cmd: ["bash"],
      binaries: ["openssl", "update-ca-certificates"],
      version: { argv: ["openssl", "version"], matches: /OpenSSL 3\.0\./ },
    },
    differences: ["Not an upstream image: the shared ca-certificates layer of the pgbouncer, certbot and reference-app images."],
  },
  {
    name: "python-common", tag: tagOf("python-common"), from: "tls-common", source: dockerfile("python-common"), replaces: [], sharesPackages: true,
    packages: "python3 3.11, python3-cryptography, python3-pkg-resources, python3-six, python3-tz",
    contract: {
      user: "", entrypoint: null, cmd: ["bash"],
      binaries: ["python3"],
      version: { argv: ["python3", "--version"], matches: /Python 3\.11\./ },
    },
    differences: ["Not an upstream image: the shared Python layer of the certbot and reference-app images."],
  },
  {
    name: "postgres", tag: tagOf("postgres"), from: "base", source: dockerfile("postgres"), replaces: [IMAGES.postgres],
    packages: "postgresql-15 (15.x), gosu 1.14",
    contract: {
      user: "", entrypoint: ["docker-entrypoint.sh"], cmd: ["postgres"],
      accounts: [POSTGRES_999],
      binaries: ["postgres", "initdb", "pg_ctl", "psql", "pg_isready", "gosu", "docker-entrypoint.sh", "/usr/lib/postgresql/16/bin/pg_ctl"],
      ownedPaths: [{ path: "/var/lib/postgresql/data", uid: 999 }, { path: "/var/run/postgresql", uid: 999 }],
      version: { argv: ["postgres", "--version"], matches: /PostgreSQL\) 15\./ },
    },
    differences: [
      "PostgreSQL 15 (Debian bookworm) instead of 16.6: PGDG's repository is unreachable. The program's settings are all valid in 15.",
      "/usr/lib/postgresql/16 is a link to Debian's 15 folder, so the paths the program names (the restore drill's pgBinDir) resolve; PG_MAJOR is 15.",
      "docker-entrypoint.sh is this repository's implementation of the official entrypoint's contract (same variables, initdb, pg_hba line, temporary server with the container's arguments, initdb.d scripts), not the official script.",
      "gosu is Debian's 1.14 at /usr/sbin/gosu (linked from /usr/local/bin/gosu); upstream ships gosu 1.17.",
      "gnupg is not installed (upstream keeps it from verifying its apt keys).",
    ],
  },
  {
    name: "pgbackrest", tag: tagOf("pgbackrest"), from: "postgres",
    // The program's own Dockerfile, unchanged; only the build args differ.
    source: { kind: "dockerfile", context: "components/backup/image", fromArg: "POSTGRES_IMAGE", buildArgs: { PGBACKREST_VERSION: DEBIAN_PGBACKREST_PACKAGE } },
    replaces: [PGBACKREST_IMAGES.postgres, PGBACKREST_IMAGES.backup],
    packages: `pgbackrest ${DEBIAN_PGBACKREST_PACKAGE}, cron, on the local postgres image`,
    contract: {
      user: "", entrypoint: ["docker-entrypoint.sh"], cmd: ["cron", "-f"],
      accounts: [POSTGRES_999],
      binaries: ["pgbackrest", "cron", "crontab", "gosu", "flock", "postgres", "pg_isready"],
      ownedPaths: [
        { path: "/var/lib/pgbackrest", uid: 999 }, { path: "/var/spool/pgbackrest", uid: 999 },
        { path: "/var/log/pgbackrest", uid: 999 }, { path: "/etc/pgbackrest/conf.d", uid: 999 },
        { path: "/var/lib/node-exporter/textfile", uid: 999 }, { path: "/var/lib/pgbackrest-drill", uid: 999 },
      ],
      version: { argv: ["pgbackrest", "version"], matches: /pgBackRest 2\.45/ },
    },
    differences: [
      "Built from the program's own components/backup/image/Dockerfile FROM the local postgres image, with PGBACKREST_VERSION=" +
        `${DEBIAN_PGBACKREST_PACKAGE} (Debian's pgBackRest 2.45) instead of PGDG's 2.54.1: both containers get the same version, as pgBackRest requires.`,
      "Inherits every difference of the local postgres image.",
    ],
  },
  {
    name: "pgbouncer", tag: tagOf("pgbouncer"), from: "tls-common", source: dockerfile("pgbouncer"), replaces: [IMAGES.pgbouncer],
    packages: "pgbouncer 1.18, netcat-openbsd, ca-certificates",
    contract: {
      user: "postgres", entrypoint: ["/entrypoint.sh"], cmd: ["/usr/bin/pgbouncer", "/etc/pgbouncer/pgbouncer.ini"],
      accounts: [{ name: "postgres", uid: 70, gid: 70 }],
      binaries: ["pgbouncer", "/usr/bin/pgbouncer", "nc"],
      ownedPaths: [{ path: "/etc/pgbouncer", uid: 70 }, { path: "/var/run/pgbouncer", uid: 70 }],
      version: { argv: ["pgbouncer", "--version"], matches: /PgBouncer 1\.18/ },
    },
    differences: [
      "PgBouncer 1.18 (Debian bookworm) instead of 1.23.1: every key the program's pgbouncer.ini sets exists in 1.18 (it is started with it in tests/servers/pgbouncer.test.ts).",
      "Debian base instead of Alpine; nc is OpenBSD netcat instead of busybox's (both take `-z host port`).",
      "The entrypoint does not generate pgbouncer.ini or userlist entries from DATABASE_URL/DB_*/ADMIN_*/STATS_* (the program uploads both files); such a variable stops the container with a message.",
    ],
  },
  {
    name: "redis", tag: tagOf("redis"), from: "base", source: dockerfile("redis"), replaces: [IMAGES.redis],
    packages: "redis-server 7.0, gosu 1.14",
    contract: {
      user: "", entrypoint: ["docker-entrypoint.sh"], cmd: ["redis-server"], workdir: "/data",
      accounts: [{ name: "redis", uid: 999, gid: 999 }],
      binaries: ["redis-server", "redis-cli", "gosu", "grep"],
      ownedPaths: [{ path: "/data", uid: 999 }],
      version: { argv: ["redis-server", "--version"], matches: /v=7\.0\./ },
    },
    differences: [
      "Redis 7.0 (Debian bookworm) instead of 7.4.1: the program's redis.conf and ACL rules are valid in 7.0 (tests/servers/redis.test.ts starts it with them).",
      "Binaries in /usr/bin (Debian) instead of /usr/local/bin; both are on PATH.",
      "docker-entrypoint.sh is this repository's implementation of the official entrypoint's contract.",
    ],
  },
  {
    name: "nginx", tag: tagOf("nginx"), from: "base", source: dockerfile("nginx"), replaces: [IMAGES.nginx],
    packages: "nginx 1.22, curl",
    contract: {
      user: "", entrypoint: ["/docker-entrypoint.sh"], cmd: ["nginx", "-g", "daemon off;"],
      accounts: [{ name: "nginx", uid: 101, gid: 101 }],
      binaries: ["nginx", "curl", "/docker-entrypoint.sh"],
      version: { argv: ["nginx", "-v"], matches: /nginx\/1\.22\./ },
    },
    differences: [
      "nginx 1.22 (Debian bookworm, its built-in modules: ssl, http_v2, realip, stub_status) instead of 1.27.3; the program's nginx.conf is valid in 1.22 (tests/servers/nginx.test.ts).",
      "The official image's own /docker-entrypoint.d scripts (IPv6 listen on its default.conf, envsubst of /etc/nginx/templates, local resolvers, worker autotune) are absent: each acts only on files or variables the program does not use. The entrypoint that runs the program's scripts is this repository's implementation of the official one.",
      "/etc/nginx holds Debian's default files (no conf.d/default.conf); the program replaces nginx.conf.",
    ],
  },
  {
    name: "certbot", tag: tagOf("certbot"), from: "python-common", source: dockerfile("certbot"), replaces: [IMAGES.certbot],
    packages: "certbot 2.1",
    contract: {
      user: "", entrypoint: ["certbot"], cmd: null, workdir: "/opt/certbot",
      binaries: ["certbot", "sh", "find", "grep", "sleep"],
      version: { argv: ["certbot", "--version"], matches: /certbot 2\.1/ },
    },
    differences: [
      "certbot 2.1 (Debian bookworm) instead of 3.0.1; the flags the program passes (webroot, --key-type ecdsa, --deploy-hook, --keep-until-expiring) exist in 2.1.",
      "Debian base instead of Alpine.",
      "Let's Encrypt is unreachable from the stand-up: issuance fails and the container keeps its renewal loop (the program logs and retries).",
    ],
  },
  {
    name: "docker-socket-proxy", tag: tagOf("docker-socket-proxy"), from: "base", source: dockerfile("docker-socket-proxy"), replaces: [IMAGES.dockerSocketProxy],
    packages: "haproxy 2.6, wget",
    contract: {
      user: "root", entrypoint: ["docker-entrypoint.sh"], cmd: ["haproxy", "-f", "/tmp/haproxy.cfg"],
      binaries: ["haproxy", "wget"],
      version: { argv: ["haproxy", "-v"], matches: /HAProxy version 2\.6\./ },
    },
    differences: [
      "HAProxy 2.6 (Debian bookworm) on a Debian base instead of the image's Alpine HAProxy.",
      "haproxy.cfg is this repository's, with the image's rules (GET/HEAD only unless POST=1; one allow rule per Docker API section, each switched by its variable; the same defaults) but without its custom error pages.",
    ],
  },
  {
    name: "prometheus-family", tag: tagOf("prometheus-family"), from: "base", source: dockerfile("prometheus-family"), replaces: [],
    packages: "prometheus 2.42, prometheus-alertmanager 0.25, the node/postgres/pgbouncer/redis/nginx/blackbox exporters, wget",
    contract: {
      user: "", entrypoint: null, cmd: ["bash"],
      binaries: ["prometheus", "promtool", "alertmanager", "amtool", "wget"],
      version: { argv: ["prometheus", "--version"], matches: /prometheus, version 2\.42/ },
    },
    differences: ["Not an upstream image: the shared layer of the prometheus-family programs below."],
  },
  prometheusProgram("prometheus", {
    replaces: IMAGES.prometheus, packages: "prometheus 2.42",
    layer: {
      user: "nobody", workdir: "/prometheus", entrypoint: ["/bin/prometheus"], expose: [9090],
      cmd: ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"],
    },
    binaries: ["/bin/prometheus", "/bin/promtool", "wget"], ownedPaths: [{ path: "/prometheus", uid: 65534 }],
    version: { argv: ["prometheus", "--version"], matches: /version 2\.42/ },
    differences: [
      "Prometheus 2.42 (Debian bookworm) instead of 2.55.1; the program's flags, prometheus.yml and alert rules are valid in 2.42 (promtool in tests/servers/promtool.test.ts).",
      "The web UI's console templates and libraries are Debian's (/usr/share/prometheus); the program sets no console flags.",
    ],
  }),
  prometheusProgram("alertmanager", {
    replaces: IMAGES.alertmanager, packages: "prometheus-alertmanager 0.25",
    layer: {
      user: "nobody", workdir: "/alertmanager", entrypoint: ["/bin/alertmanager"], expose: [9093],
      cmd: ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"],
    },
    binaries: ["/bin/alertmanager", "/bin/amtool", "wget"], ownedPaths: [{ path: "/alertmanager", uid: 65534 }],
    version: { argv: ["alertmanager", "--version"], matches: /version 0\.25/ },
    differences: ["Alertmanager 0.25 (Debian bookworm) instead of 0.27.0; the program's alertmanager.yml is valid in 0.25 (amtool in tests/servers/promtool.test.ts)."],
  }),
  prometheusProgram("node-exporter", {
    replaces: IMAGES.nodeExporter, packages: "prometheus-node-exporter 1.5",
    layer: { user: "nobody", entrypoint: ["/bin/node_exporter"], expose: [9100] },
    binaries: ["/bin/node_exporter", "wget"],
    version: { argv: ["node_exporter", "--version"], matches: /version 1\.5/ },
    differences: ["node_exporter 1.5 (Debian bookworm) instead of 1.8.2; the program's three flags exist in 1.5."],
  }),
  prometheusProgram("postgres-exporter", {
    replaces: IMAGES.postgresExporter, packages: "prometheus-postgres-exporter 0.11",
    layer: { user: "nobody", entrypoint: ["/bin/postgres_exporter"], expose: [9187] },
    binaries: ["/bin/postgres_exporter", "wget"],
    version: { argv: ["prometheus-postgres-exporter", "--version"], matches: /version 0\.11/ },
    differences: [
      "postgres_exporter 0.11 (Debian bookworm) instead of 0.16.0, behind a wrapper at /bin/postgres_exporter that drops --collector.stat_archiver: 0.11 has no such flag and always exports pg_stat_archiver_* (last_archive_age included), which the alert rules read.",
      "0.11 reads DATA_SOURCE_URI/DATA_SOURCE_USER/DATA_SOURCE_PASS as 0.16 does; its other default metrics differ in detail.",
      "0.11 has no stat_statements collector: the wrapper also drops --collector.stat_statements, so the stand-up exports no pg_stat_statements_* metrics.",
    ],
  }),
  prometheusProgram("pgbouncer-exporter", {
    replaces: IMAGES.pgbouncerExporter, packages: "prometheus-pgbouncer-exporter 1.7 (Python)",
    layer: { user: "nobody", entrypoint: ["/bin/pgbouncer_exporter"], expose: [9127] },
    binaries: ["/bin/pgbouncer_exporter", "wget"],
    version: { argv: ["prometheus-pgbouncer-exporter", "--version"], matches: /prometheus-pgbouncer-exporter/ },
    differences: [
      "A different program: Debian's prometheus-pgbouncer-exporter (Python) instead of prometheus-community's Go exporter; same port (9127) and job, other metric names (no alert rule reads them).",
      "/bin/pgbouncer_exporter is an adapter that turns PGBOUNCER_EXPORTER_CONNECTION_STRING (or --pgBouncer.connectionString) and --web.listen-address into the Debian exporter's options; any other flag stops it with a message.",
      "Debian's exporter 1.7 reads SHOW STATS' total_requests, which PgBouncer 1.8 renamed total_query_count (every scrape failed against Debian's own PgBouncer 1.18): the adapter runs it with that one column renamed.",
    ],
  }),
  prometheusProgram("redis-exporter", {
    replaces: IMAGES.redisExporter, packages: "prometheus-redis-exporter 1.45",
    layer: { user: "59000:59000", entrypoint: ["/redis_exporter"], expose: [9121] },
    binaries: ["/redis_exporter"],
    version: { argv: ["/redis_exporter", "--version"], matches: /Redis Metrics Exporter 1\.45\./ },
    differences: ["redis_exporter 1.45 (Debian bookworm) instead of 1.66.0; REDIS_ADDR, REDIS_USER and REDIS_PASSWORD work the same."],
  }),
  prometheusProgram("nginx-exporter", {
    replaces: IMAGES.nginxExporter, packages: "prometheus-nginx-exporter 0.11",
    // 0.11 gives up (exits) when nginx does not answer at its start; 1.3 starts regardless. Retrying
    // for as long as nginx takes keeps 1.3's start-up contract: the exporter never dies of it.
    layer: { user: "nobody", entrypoint: ["/usr/bin/nginx-prometheus-exporter"], expose: [9113], env: { NGINX_RETRIES: "1000000", NGINX_RETRY_INTERVAL: "5s" } },
    binaries: ["/usr/bin/nginx-prometheus-exporter"],
    version: { argv: ["/usr/bin/nginx-prometheus-exporter", "--version"], matches: /version=0\.11/ },
    differences: [
      "nginx-prometheus-exporter 0.11 (Go flag parsing: --nginx.scrape-uri and --version work as in 1.3.0) instead of 1.3.0.",
      "0.11 exits when nginx does not answer at its start, where 1.3.0 starts anyway: the image sets NGINX_RETRIES=1000000 (every 5 s), so it waits for nginx instead; until nginx answers it serves no /metrics (1.3.0 serves nginx_up 0).",
    ],
  }),
  prometheusProgram("blackbox-exporter", {
    replaces: IMAGES.blackboxExporter, packages: "prometheus-blackbox-exporter 0.23",
    layer: { user: "nobody", entrypoint: ["/bin/blackbox_exporter"], expose: [9115], cmd: ["--config.file=/etc/blackbox_exporter/config.yml"] },
    binaries: ["/bin/blackbox_exporter", "wget"],
    version: { argv: ["blackbox_exporter", "--version"], matches: /version 0\.23/ },
    differences: [
      "blackbox_exporter 0.23 (Debian bookworm) instead of 0.25.0; the program's http_2xx module is valid in 0.23.",
      "Debian's package grants the binary cap_net_raw; the image removes it (as upstream has none), so it starts with every capability dropped.",
    ],
  }),
  {
    name: "app", tag: tagOf("reference-app"), from: "python-common", source: { kind: "dockerfile", context: "reference-app", fromArg: "BASE_IMAGE" },
    replaces: [],
    packages: "python3-django 3.2, gunicorn 20.1, python3-celery and celery 5.2, python3-psycopg2, python3-redis, python3-django-redis, python3-django-prometheus",
    contract: {
      user: "appuser:appgroup", entrypoint: null, cmd: ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000"], workdir: "/app",
      accounts: [{ name: "appuser", uid: 10001, gid: 10001 }],
      binaries: ["python", "gunicorn", "celery", "msgfmt", "sh"],
      ownedPaths: [{ path: "/app/staticfiles", uid: 10001 }, { path: "/app/media", uid: 10001 }, { path: "/app/locale", uid: 10001 }],
      version: { argv: ["python", "-c", "import django; print('Django', django.get_version())"], matches: /Django 3\.2/ },
    },
    differences: ["Not an upstream image: the reference app (reference-app/) replaces the stack's appImage in the stand-up."],
  },
  {
    name: "s3-standin", tag: tagOf("s3-standin"), from: "base",
    source: {
      kind: "dockerfile", context: `${DOCKERFILES}/s3-standin`, fromArg: "BASE_IMAGE",
      bundle: { entry: "tests/standup/cloud/s3-standin-server.ts", file: "s3-standin.js" },
    },
    replaces: [],
    packages: "nodejs 18 (Debian bookworm) running s3rver 3.7.1 (npm), bundled with esbuild",
    contract: {
      user: "s3-standin", entrypoint: ["node", "/opt/s3-standin/s3-standin.js"], cmd: ["/etc/s3-standin/config.json"], workdir: "/var/lib/s3-standin",
      accounts: [{ name: "s3-standin", uid: 10002, gid: 10002 }],
      // node runs the bundle (not executable itself); the backups test reads the bucket with sh, find and head.
      binaries: ["node", "sh", "find", "head"],
      ownedPaths: [{ path: "/var/lib/s3-standin", uid: 10002 }, { path: "/etc/s3-standin", uid: 10002 }],
      version: { argv: ["node", "--version"], matches: /^v18\./ },
    },
    differences: [
      "Not an upstream image, and no cloud: one container per object-storage repository of the backup container's pgbackrest.conf (repo2 Cloudflare R2, repo3 Backblaze B2), each serving that one bucket with that one access key, read from the container's own uploads (tests/standup/cloud/s3-standins.ts).",
      "S3 is s3rver 3.7.1's (list v1/v2, put, get, head, delete, multi-delete, multipart upload) on the container's file system: no durability, versioning, object lock, lifecycle rules or R2/B2-specific behaviour, and the objects vanish at tear-down.",
      "s3rver checks no Signature V4 (and accepts unsigned requests and its built-in key S3RVER): a front checks SigV4 with the repository's key (credential scope, region, clock, canonical request) and drops S3RVER; the payload's x-amz-content-sha256 is checked as a signed value, not against the body.",
      "Host names: the endpoint (R2: `<accountId>.r2.cloudflarestorage.com`, path-style) and for B2 also `<bucket>.s3.<region>.backblazeb2.com` (host-style), as Docker network aliases on the backup container's non-internal network; s3rver's own virtual-host mode is off (it would take any host name, R2's too, for a bucket) and the front maps `<bucket>.<endpoint>` to the bucket.",
      "TLS: a certificate for exactly those names from a CA made for the run; the backup container trusts that CA through one more file in OpenSSL's default store (`/etc/ssl/certs/<subject hash>.0`, a recorded substitution), so repoN-storage-verify-tls=y stays on.",
    ],
  },
];

export const LOCAL_IMAGES: Readonly<Record<LocalImageName, LocalImage>> = Object.fromEntries(
  IMAGE_LIST.map((image) => [image.name, image]),
) as Record<LocalImageName, LocalImage>;

/** Every upstream reference the program declares: its pinned images and the images it builds. */
export function declaredReferences(): string[] {
  return [...Object.values(IMAGES), ...Object.values(PGBACKREST_IMAGES)];
}

/** The Dockerfile of a thin layer. Pure. */
export function renderThinDockerfile(fromArg: string, layer: ThinLayer): string {
  const json = (values: readonly string[]) => JSON.stringify(values);
  return [
    `ARG ${fromArg}`,
    `FROM \${${fromArg}}`,
    `USER ${layer.user}`,
    ...(layer.workdir ? [`WORKDIR ${layer.workdir}`] : []),
    ...(layer.expose?.length ? [`EXPOSE ${layer.expose.join(" ")}`] : []),
    ...Object.entries(layer.env ?? {}).map(([name, value]) => `ENV ${name}=${value}`),
    `ENTRYPOINT ${json(layer.entrypoint)}`,
    // An explicit empty CMD: the parent's CMD must not leak into a program image.
    `CMD ${json(layer.cmd ?? [])}`,
    "",
  ].join("\n");
}

/**
 * The builds that start first when a slot frees: what the stand-up, which creates each container as
 * soon as its image exists (ready-images.ts), needs first, on its two long chains. The backup
 * container starts before PostgreSQL and needs pgBackRest's image (on postgres) and the S3
 * stand-in's; the deploy jobs need the app (on python-common, on tls-common), and nginx comes after
 * them. From nothing (CI's every run), the S3 stand-in built last in catalog order held the backup
 * container, and with it everything after, until the last image was built. The others follow in
 * catalog order.
 */
const STAND_UP_NEEDS_FIRST: readonly LocalImageName[] = [
  "tls-common", "postgres", "s3-standin", "python-common", "pgbackrest", "app", "pgbouncer", "nginx", "prometheus-family", "certbot",
];

/** Where `name` waits for a build slot: lower goes first. */
export function buildRank(name: LocalImageName): number {
  const first = STAND_UP_NEEDS_FIRST.indexOf(name);
  return first !== -1 ? first : STAND_UP_NEEDS_FIRST.length + LOCAL_IMAGE_NAMES.indexOf(name);
}

/** The local images `image` is built on, its parent first (the base not included). */
export function ancestorsOf(image: LocalImage): LocalImageName[] {
  const ancestors: LocalImageName[] = [];
  for (let from = image.from; from !== "base"; from = LOCAL_IMAGES[from].from) ancestors.push(from);
  return ancestors;
}

/** Build order: every image after its parent. */
export function buildOrder(): LocalImage[] {
  const ordered: LocalImage[] = [];
  const visit = (image: LocalImage, path: string[]) => {
    if (ordered.includes(image)) return;
    if (path.includes(image.name)) throw new Error(`image parents form a cycle: ${[...path, image.name].join(" -> ")}`);
    if (image.from !== "base") visit(LOCAL_IMAGES[image.from], [...path, image.name]);
    ordered.push(image);
  };
  for (const image of IMAGE_LIST) visit(image, []);
  return ordered;
}

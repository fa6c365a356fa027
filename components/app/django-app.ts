import { createHash } from "node:crypto";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceName, ServiceSize } from "../config";
import { hardenedContainerArgs, type Healthcheck } from "../docker/hardening";
import { pullImage } from "../docker/images";
import type { AppEnvironment } from "./app-env";
import { jobsSucceeded } from "./deploy-jobs";
import { secretFilePath, secretsEntrypoint, withSecretsLoaded } from "./secret-files";

/** The app image's own user (Dockerfile: `USER appuser:appgroup`), checklist 11.3. */
export const APP_USER = "appuser:appgroup";
export const WEB_CONTAINER = "jewelry-web";
export const WEB_PORT = 8000;
/** Label on web, worker and beat: the app image whose deploy jobs all exited 0 (deploy-jobs.ts). */
export const RELEASE_LABEL = "com.jewelry-shop.release";
export const APP_PATHS = {
  static: "/app/staticfiles",
  media: "/app/media",
  locale: "/app/locale",
  caCert: "/etc/jewelry/tls/ca.crt",
} as const;

export interface DjangoAppArgs {
  /** The configured app image, pinned (validated in config). */
  readonly image: string;
  readonly sizes: Readonly<Record<Extract<ServiceName, "web" | "worker" | "beat">, ServiceSize>>;
  /** Environment for web, worker and beat (through PgBouncer). */
  readonly env: AppEnvironment;
  /** Environment for migrations: the owner role straight to PostgreSQL. */
  readonly migrationEnv: AppEnvironment;
  readonly caCertPem: pulumi.Input<string>;
  readonly networks: {
    readonly edge: docker.Network;
    readonly backend: docker.Network;
    readonly data: docker.Network;
    readonly egress: docker.Network;
  };
  readonly staticVolume: docker.Volume;
  readonly mediaVolume: docker.Volume;
  readonly gunicornWorkers?: number;
  readonly celeryConcurrency?: number;
  /** The deploy jobs wait for these (database objects, PgBouncer, Redis). */
  readonly dependsOn: pulumi.Resource[];
}

/**
 * The Django app: one-shot deploy jobs (migrate, collectstatic, compilemessages; checklist 12.1–12.3),
 * then gunicorn, the Celery worker and Celery beat. The jobs are replaced, hence re-run, whenever the
 * image changes; web, worker and beat are created only after all three exited 0: each carries the
 * release label, an output that exists only once every job's exit code was checked.
 */
export class DjangoApp extends pulumi.ComponentResource {
  readonly web: docker.Container;
  readonly worker: docker.Container;
  readonly beat: docker.Container;
  readonly jobs: Readonly<Record<"migrate" | "collectstatic" | "compilemessages", docker.Container>>;

  constructor(name: string, args: DjangoAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jewelry-shop:index:DjangoApp", name, {}, opts);
    const image = pullImage(name, args.image, this);
    const caUpload = { file: APP_PATHS.caCert, content: args.caCertPem, permissions: "0644" };
    const serviceUploads = [caUpload, ...secretUploads(args.env)];
    // Compiled translations live in a volume per image version: a new image starts from its own .po files.
    const localeVolume = new docker.Volume(`${name}-locale`, {
      name: pulumi.interpolate`jewelry-locale-${imageVersionKey(args.image)}`,
    }, { parent: this });

    const job = (id: "migrate" | "collectstatic" | "compilemessages", command: string[], extra: Partial<docker.ContainerArgs>, dependsOn: pulumi.Resource[]) =>
      new docker.Container(`${name}-${id}`, {
        ...hardenedContainerArgs({
          containerName: `jewelry-${id}`,
          image: image.name,
          size: args.sizes.web,
          user: APP_USER,
          restart: "no",
          // A one-shot job is healthy while it runs; the deploy waits for its exit code.
          healthcheck: { test: ["CMD-SHELL", "exit 0"], interval: "30s" },
        }),
        entrypoints: secretsEntrypoint(),
        command,
        // attach: the resource completes only when the job exits. A non-zero exit does not fail the
        // resource (pulumi-docker records it in exitCode): jobsSucceeded() below fails the update.
        attach: true,
        logs: true,
        mustRun: false,
        envs: args.env.env,
        uploads: serviceUploads,
        ...extra,
      }, { parent: this, dependsOn: [image, ...dependsOn], deleteBeforeReplace: true });

    const migrate = job("migrate", ["python", "manage.py", "migrate", "--noinput"], {
      envs: args.migrationEnv.env,
      uploads: [caUpload, ...secretUploads(args.migrationEnv)],
      // Migrations go straight to PostgreSQL (DDL and advisory locks do not belong in transaction pooling).
      networksAdvanced: [{ name: args.networks.data.name }, { name: args.networks.backend.name }],
    }, args.dependsOn);
    const collectstatic = job("collectstatic", ["python", "manage.py", "collectstatic", "--noinput", "--clear"], {
      networksAdvanced: [{ name: args.networks.backend.name }],
      volumes: [{ volumeName: args.staticVolume.name, containerPath: APP_PATHS.static }],
    }, args.dependsOn);
    const compilemessages = job("compilemessages", ["python", "manage.py", "compilemessages"], {
      networksAdvanced: [{ name: args.networks.backend.name }],
      volumes: [{ volumeName: localeVolume.name, containerPath: APP_PATHS.locale }],
    }, args.dependsOn);
    this.jobs = { migrate, collectstatic, compilemessages };
    const afterJobs = [image, migrate, collectstatic, compilemessages];
    const release = jobsSucceeded(
      Object.entries(this.jobs).map(([id, job]) => ({ containerName: `jewelry-${id}`, exitCode: job.exitCode })),
      image.name, this,
    );

    // Every process that renders a template reads collectstatic's manifest (staticfiles.json) to turn
    // {% static %} into hashed URLs: without it ManifestStaticFilesStorage raises and the page is a 500.
    const serviceVolumes: docker.types.input.ContainerVolume[] = [
      { volumeName: localeVolume.name, containerPath: APP_PATHS.locale, readOnly: true },
      { volumeName: args.staticVolume.name, containerPath: APP_PATHS.static, readOnly: true },
    ];
    const service = (id: "web" | "worker" | "beat", command: string[], healthcheck: Healthcheck, extra: Partial<docker.ContainerArgs>) =>
      new docker.Container(`${name}-${id}`, {
        ...hardenedContainerArgs({
          containerName: id === "web" ? WEB_CONTAINER : `jewelry-${id}`,
          image: image.name,
          size: args.sizes[id],
          user: APP_USER,
          healthcheck,
          maxProcesses: 1024,
          labels: [{ label: RELEASE_LABEL, value: release }],
        }),
        entrypoints: secretsEntrypoint(),
        command,
        envs: args.env.env,
        uploads: serviceUploads,
        volumes: serviceVolumes,
        ...extra,
      }, { parent: this, dependsOn: afterJobs });

    const workers = args.gunicornWorkers ?? Math.max(2, Math.round(args.sizes.web.cpus * 2 + 1));
    this.web = service("web",
      ["gunicorn", "config.wsgi:application", "--bind", `0.0.0.0:${WEB_PORT}`, "--workers", String(workers),
        "--timeout", "60", "--graceful-timeout", "30", "--max-requests", "2000", "--max-requests-jitter", "200",
        "--access-logfile", "-", "--forwarded-allow-ips", "*"],
      { test: ["CMD", "python", "-c", `import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:${WEB_PORT}/health/', timeout=4).status == 200 else 1)`], startPeriod: "60s" },
      {
        networksAdvanced: [
          { name: args.networks.edge.name, aliases: ["web"] },
          { name: args.networks.backend.name },
        ],
        volumes: [...serviceVolumes, { volumeName: args.mediaVolume.name, containerPath: APP_PATHS.media }],
      });
    const concurrency = args.celeryConcurrency ?? Math.max(2, Math.round(args.sizes.worker.cpus * 2));
    this.worker = service("worker",
      ["celery", "-A", "config", "worker", "--loglevel", "INFO", "--concurrency", String(concurrency), "--max-tasks-per-child", "500", "-E"],
      // A healthcheck is a new process without the entrypoint: it loads the broker credentials itself.
      {
        test: ["CMD", ...withSecretsLoaded(["/bin/sh", "-c", "celery -A config inspect ping -d celery@$HOSTNAME --timeout 10 | grep -q pong"])],
        interval: "60s", timeout: "20s", startPeriod: "60s",
      },
      { networksAdvanced: [{ name: args.networks.backend.name }, { name: args.networks.egress.name }] });
    this.beat = service("beat",
      ["celery", "-A", "config", "beat", "--loglevel", "INFO", "--schedule", "/tmp/celerybeat-schedule", "--pidfile", "/tmp/celerybeat.pid"],
      { test: ["CMD-SHELL", "kill -0 \"$(cat /tmp/celerybeat.pid)\""], interval: "60s" },
      { networksAdvanced: [{ name: args.networks.backend.name }] });

    this.registerOutputs({ web: this.web.name });
  }
}

/**
 * One upload per credential at /run/secrets/<NAME>, content a Pulumi secret. Mode 0444: uploads are
 * owned by root and the image's appuser has no uid known here, so it reads the file as "other".
 * Only the app's processes run in the container, and they can read their own env anyway.
 */
function secretUploads(environment: AppEnvironment): docker.types.input.ContainerUpload[] {
  return environment.secrets.map((secret) => ({ file: secretFilePath(secret.name), content: pulumi.secret(secret.value), permissions: "0444" }));
}

/** A volume-name-safe token for the image version (tag, or a digest prefix). */
export function imageVersionKey(image: string): string {
  return createHash("sha256").update(image).digest("hex").slice(0, 12);
}

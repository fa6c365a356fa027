// The stand-up's images, for the stand-up's test set-up and for the CLI (cli.ts).
//
// Contract of ensureStandupImages(options?): Promise<ImageMap>
//  - Makes Docker usable: installs Debian's docker.io when dockerd is missing (root; apt with a lock
//    timeout), starts dockerd when nothing answers on /var/run/docker.sock (log: DOCKERD_LOG), and
//    waits for it (bounded). A daemon that already answers is used as it is. DOCKER_HOST
//    (unix://PATH) chooses another engine, which must already answer: nothing is started for it.
//  - Builds the Debian bookworm base (mmdebstrap + docker import) and every local image of
//    catalog.ts, or reuses each one whose inputs (parent id, Dockerfile folder, build args) are
//    unchanged: a second call with nothing changed builds nothing. One build at a time per engine
//    (a lock folder in the temp dir), so parallel test files may all call it. Each build's output
//    goes to BUILD_LOG_DIR/<image>.log with timestamps.
//  - Every image it creates carries the label com.jewelry-shop.test=standup (STANDUP_LABEL).
//  - Throws DockerUnavailableError when Docker cannot run here; its message says why and that
//    JEWELRY_SHOP_SKIP_STANDUP=1 skips the stand-up on purpose (CI never sets it). A failed build
//    throws with the build's own output.
//  - It never stops dockerd: other test files and processes may be using it. `npm test`
//    (scripts/run-tests.mjs) starts dockerd before its processes and stops it at the end when it
//    was not running before.
//
// ImageMap.images maps every upstream reference the program declares (components/docker/images.ts
// and the pgBackRest images it builds) to the local image that stands in for it; `excluded` lists
// the references with no local image (Grafana, Loki, promtail, celery-exporter) and why; `app` is
// the reference app, the replacement for the stack's appImage. Use localImageFor(map, reference):
// it throws for an excluded or unknown reference instead of letting one through.
import { STANDUP_LABEL, buildImages, type BuiltImage } from "./build-images";
import { engineBuildLockDir, withBuildLock } from "./build-lock";
import { EXCLUDED_IMAGES, LOCAL_IMAGES, declaredReferences, type LocalImageName } from "./catalog";
import { DockerUnavailableError, SKIP_STANDUP_ENV, ensureDockerDaemon, type DockerDaemon } from "./docker-daemon";
import { followImages, recordReady, type ImagesInProgress } from "./ready-images";

export { DockerUnavailableError, SKIP_STANDUP_ENV, STANDUP_LABEL };
export type { BuiltImage, DockerDaemon, LocalImageName };

export interface StandupImage extends BuiltImage {
  readonly name: LocalImageName;
}

export interface ImageMap {
  /** Upstream reference -> its local stand-in. */
  readonly images: Readonly<Record<string, StandupImage>>;
  /** The reference app (reference-app/): the stand-up's appImage. */
  readonly app: StandupImage;
  /** The S3 server that stands in for the cloud object stores (R2, B2) in the stand-up. */
  readonly s3StandIn: StandupImage;
  /** Upstream reference -> why the stand-up runs without it. */
  readonly excluded: Readonly<Record<string, string>>;
  readonly base: BuiltImage;
  readonly daemon: DockerDaemon;
  /** Wall-clock seconds of this call (daemon start, base and image builds). */
  readonly totalSeconds: number;
}

export interface EnsureOptions {
  /** Progress lines (default: stderr). */
  readonly log?: (line: string) => void;
  /** Called as each image is ready (built or reused) while this call holds the build lock. */
  readonly onImage?: (name: LocalImageName, image: BuiltImage) => void;
}

const LOCK_WAIT_MS = 30 * 60_000;
const stderrLog = (line: string) => process.stderr.write(`standup-images: ${line}\n`);

/** True when the stand-up is skipped on purpose (README, "Stand-up images"). */
export function standupSkipped(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[SKIP_STANDUP_ENV] === "1";
}

export async function ensureStandupImages(options: EnsureOptions = {}): Promise<ImageMap> {
  const log = options.log ?? stderrLog;
  const started = Date.now();
  const lockDir = engineBuildLockDir();
  return withBuildLock(async () => {
    const daemon = await ensureDockerDaemon(log);
    const built = await buildImages(daemon.client, log, {
      // Recorded for the processes waiting for the lock (ready-images.ts), then told to this caller.
      onImage: (name, image) => (recordReady(lockDir, name, image), options.onImage?.(name, image)),
    });
    const images: Record<string, StandupImage> = {};
    for (const [name, image] of Object.entries(built.images) as [LocalImageName, BuiltImage][]) {
      for (const reference of LOCAL_IMAGES[name].replaces) images[reference] = { ...image, name };
    }
    return {
      images,
      app: { ...built.images.app, name: "app" },
      s3StandIn: { ...built.images["s3-standin"], name: "s3-standin" },
      excluded: EXCLUDED_IMAGES,
      base: built.base,
      daemon,
      totalSeconds: (Date.now() - started) / 1000,
    };
  }, LOCK_WAIT_MS, log, lockDir);
}

/**
 * ensureStandupImages, answering for each image as soon as it is ready: built or reused by this call,
 * or by another process that holds the build lock meanwhile (ready-images.ts). Docker is made usable
 * first, so a caller may use the engine as soon as this returns.
 */
export async function startStandupImages(options: EnsureOptions = {}): Promise<ImagesInProgress<ImageMap>> {
  await ensureDockerDaemon(options.log ?? stderrLog);
  return followImages((onImage) => ensureStandupImages({ ...options, onImage: (name, image) => (onImage(name, image), options.onImage?.(name, image)) }));
}

/** The local tag standing in for `reference`; throws for a reference the stand-up cannot run. */
export function localImageFor(map: { readonly images: Readonly<Record<string, { readonly tag: string }>>; readonly excluded: ImageMap["excluded"] }, reference: string): string {
  const local = map.images[reference];
  if (local) return local.tag;
  const reason = map.excluded[reference];
  if (reason) throw new Error(`image ${reference} has no stand-up image: ${reason}`);
  const known = declaredReferences().includes(reference);
  throw new Error(known
    ? `image ${reference} is declared by the program but catalog.ts maps it to no local image and does not exclude it`
    : `image ${reference} is not declared by the program (components/docker/images.ts) and has no stand-up image`);
}

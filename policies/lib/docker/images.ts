// What the pack knows of the images the stack runs: whether a reference pins a version, the user
// an image starts as (its Dockerfile USER) and how its entrypoint drops privileges. Facts come from
// the images' published Dockerfiles and entrypoints; an image not listed starts as root (Docker's
// default) with its own entrypoint unknown.
import { parseImageRef, type ImageRef } from "../containers";

/** A tag names a release when it carries major.minor, a commit hash or a date; anything else moves. */
const RELEASE_TAG = /\d+\.\d+|^[0-9a-f]{7,64}$|(^|\D)\d{8}(\D|$)/;

/** Why a reference does not pin one image, or undefined when a digest or a release tag pins it. */
export function imagePinProblem(reference: string): string | undefined {
  const image = parseImageRef(reference);
  if (image.digest || /^sha256:[0-9a-f]{64}$/.test(reference.trim())) return undefined;
  if (reference.trim() === "") return "names no image";
  if (!image.tag) return `image "${reference}" has neither tag nor digest (it means :latest)`;
  if (image.tag === "latest") return `image "${reference}" uses the moving tag latest`;
  if (!RELEASE_TAG.test(image.tag)) return `image "${reference}" uses the moving tag ${image.tag} (no major.minor version: it follows new releases)`;
  return undefined;
}

/** How an image's own entrypoint hands the server to an unprivileged user when started as root. */
export interface PrivilegeDrop {
  /** The entrypoint script the image runs (matched by its last path segment). */
  readonly entrypoint: string;
  /** Whether the entrypoint drops privileges for these arguments (the container's command). */
  readonly dropsFor: (args: readonly string[]) => boolean;
  readonly toUser: string;
}

export interface ImageFacts {
  /** The Dockerfile's USER; undefined is root. */
  readonly user?: string;
  readonly drop?: PrivilegeDrop;
  /** Images that must stay root by design, with the reason (the rule accepts them). */
  readonly rootBy?: string;
}

const serverArgs = (server: string) => (args: readonly string[]) => args.length === 0 || args[0] === server || args[0]!.startsWith("-");

/** By repository without "library/" (Docker Hub official images), then by last path segment. */
const FACTS: Readonly<Record<string, ImageFacts>> = {
  // docker-entrypoint.sh: `if [ "$1" = 'postgres' ] && [ "$(id -u)" = '0' ]; then … exec gosu postgres "$BASH_SOURCE" "$@"`
  postgres: { drop: { entrypoint: "docker-entrypoint.sh", dropsFor: serverArgs("postgres"), toUser: "postgres (999)" } },
  // docker-entrypoint.sh: a first argument ending in .conf or starting with - gets redis-server prepended;
  // `if [ "$1" = 'redis-server' -a "$(id -u)" = '0' ]; then … exec gosu redis "$0" "$@"`
  redis: { drop: { entrypoint: "docker-entrypoint.sh", dropsFor: (args) => args.length === 0 || args[0] === "redis-server" || args[0]!.startsWith("-") || args[0]!.endsWith(".conf"), toUser: "redis (999)" } },
  // The master binds 80/443 and reads the keys as root; workers switch to nginx.conf's `user` (the image's: nginx).
  nginx: { drop: { entrypoint: "docker-entrypoint.sh", dropsFor: () => true, toUser: "nginx.conf's user" } },
  "certbot/certbot": { rootBy: "certbot writes the root-owned /etc/letsencrypt tree it shares with nginx" },
  "prom/prometheus": { user: "nobody" },
  "prom/alertmanager": { user: "nobody" },
  "prom/node-exporter": { user: "nobody" },
  "prom/blackbox-exporter": { user: "nobody" },
  "quay.io/prometheuscommunity/postgres-exporter": { user: "nobody" },
  "prometheuscommunity/postgres-exporter": { user: "nobody" },
  "prometheuscommunity/pgbouncer-exporter": { user: "nobody" },
  "oliver006/redis_exporter": { user: "59000:59000" },
  "grafana/grafana": { user: "472" },
  "grafana/loki": { user: "10001" },
};

export function imageFacts(image: ImageRef): ImageFacts {
  const repository = image.repository.replace(/^library\//, "");
  const qualified = image.registry ? `${image.registry}/${repository}` : repository;
  return FACTS[qualified] ?? FACTS[repository] ?? FACTS[image.name] ?? {};
}

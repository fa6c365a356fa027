// Reading docker containers as the engine hands them: image references, env lists, uploaded files
// and command lines. Services are recognised by image repository and env, never by resource name,
// so a stack written by someone else is judged the same way. Each reader touches only the
// properties it needs, so an unknown elsewhere in the container cannot downgrade the rule.
import type { UnknownValueError } from "@pulumi/policy";
import { knownElements } from "./unknowns";
import { asArray, asRecord, asString, type PropRecord } from "./values";

export interface ImageRef {
  /** "registry.example.org:5000"; undefined for Docker Hub. */
  readonly registry?: string;
  /** Path without registry, e.g. "library/postgres", "edoburu/pgbouncer". */
  readonly repository: string;
  /** Last path segment: what the image is ("postgres", "pgbouncer"). */
  readonly name: string;
  readonly tag?: string;
  /** "sha256:…" */
  readonly digest?: string;
}

/** Parses "registry:port/path/name:tag@sha256:…" as docker does. */
export function parseImageRef(reference: string): ImageRef {
  let rest = reference.trim();
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const segments = rest.split("/");
  // The first segment is a registry when it looks like a host (has a dot or a port, or is localhost).
  const registry = segments.length > 1 && /[.:]|^localhost$/.test(segments[0]) ? segments.shift() : undefined;
  let last = segments.pop() ?? "";
  let tag: string | undefined;
  const colon = last.indexOf(":");
  if (colon >= 0) {
    tag = last.slice(colon + 1);
    last = last.slice(0, colon);
  }
  return { registry, repository: [...segments, last].join("/"), name: last, tag: tag || undefined, digest: digest || undefined };
}

export type ServiceKind = "postgres" | "redis" | "pgbouncer" | "nginx";

/** By the image's last path segment: postgres, library/postgres, bitnami/postgresql, edoburu/pgbouncer … */
const SERVICE_IMAGE_NAMES: Readonly<Record<string, ServiceKind>> = {
  postgres: "postgres",
  postgresql: "postgres",
  postgis: "postgres",
  timescaledb: "postgres",
  "timescaledb-ha": "postgres",
  redis: "redis",
  "redis-stack-server": "redis",
  valkey: "redis",
  pgbouncer: "pgbouncer",
  nginx: "nginx",
  "nginx-unprivileged": "nginx",
};

export const serviceOfImage = (image: ImageRef): ServiceKind | undefined => SERVICE_IMAGE_NAMES[image.name];

/** Services holding or brokering data: internal networks only, nothing published. */
export const DATA_TIER: ReadonlySet<ServiceKind> = new Set(["postgres", "redis", "pgbouncer"]);

/** Reads `image` only. */
export const containerImage = (props: PropRecord): ImageRef => parseImageRef(asString(props.image) ?? "");

export const containerService = (props: PropRecord): ServiceKind | undefined => serviceOfImage(containerImage(props));

export interface ContainerEnv {
  /** Known "KEY=value" entries by key (a repeated key: the last wins, as docker does). */
  readonly values: ReadonlyMap<string, string>;
  /** Entries unknown at preview (typically secret ones): their keys cannot be read either. */
  readonly unknown: readonly UnknownValueError[];
}

/** Reads `envs`, skipping unknown entries; `envValue` decides when that skip is not allowed. */
export function containerEnv(props: PropRecord): ContainerEnv {
  const entries = knownElements(asArray(props.envs));
  const values = new Map<string, string>();
  for (const entry of entries.known) {
    const text = asString(entry);
    if (text === undefined) continue;
    const eq = text.indexOf("=");
    if (eq > 0) values.set(text.slice(0, eq), text.slice(eq + 1));
  }
  return { values, unknown: entries.unknown };
}

/**
 * The value of `name`, or undefined when it is surely not set. When it is missing from the known
 * entries but some entry is unknown, it may hide there: that is undecidable at preview, so this
 * rethrows the unknown (the pack reports "can't run … during preview" instead of a false verdict).
 */
export function envValue(env: ContainerEnv, name: string): string | undefined {
  const value = env.values.get(name);
  if (value === undefined && env.unknown.length > 0) throw env.unknown[0];
  return value;
}

/**
 * A Django app container (web, worker, beat, one-shot jobs): its known env sets
 * DJANGO_SETTINGS_MODULE. Read as a known entry: nobody passes the settings module as a secret.
 */
export const isAppContainer = (env: ContainerEnv): boolean => env.values.has("DJANGO_SETTINGS_MODULE");

/** The known string arguments of an array input such as `command` or `entrypoints`. */
export function stringList(value: unknown): string[] {
  return asArray(value).map((v) => asString(v) ?? "");
}

/** Entrypoint then command: the process's full argv as far as the container inputs say. */
export const containerArgv = (props: PropRecord): string[] => [...stringList(props.entrypoints), ...stringList(props.command)];

/**
 * A one-shot job (migrations, collectstatic): the provider attaches to it and waits for its exit.
 * Such a container rightly has restart "no".
 */
export const isOneShot = (props: PropRecord): boolean => props.attach === true;

/**
 * The upload at `path`, reading only each upload's `file` (never a content) so an unknown secret
 * file elsewhere cannot downgrade the rule. Undecidable (rethrows) only when an upload entry is
 * itself unknown and none known matches.
 */
export function uploadAt(props: PropRecord, path: string): PropRecord | undefined {
  const uploads = knownElements(asArray(props.uploads));
  const found = uploads.known.map(asRecord).find((u) => u !== undefined && asString(u.file) === path);
  if (!found && uploads.unknown.length > 0) throw uploads.unknown[0];
  return found;
}

/** Paths of all known uploads (reads `file` only). */
export function uploadPaths(props: PropRecord): string[] {
  return knownElements(asArray(props.uploads)).known.map((u) => asString(asRecord(u)?.file) ?? "").filter((p) => p !== "");
}

/** The text of an upload (`content`, or `contentBase64` decoded). Throws if it is unknown at preview. */
export function uploadText(upload: PropRecord): string | undefined {
  const content = asString(upload.content);
  if (content !== undefined) return content;
  const base64 = asString(upload.contentBase64);
  return base64 === undefined ? undefined : Buffer.from(base64, "base64").toString("utf8");
}

/**
 * Long options of a command line: `--appendonly no --save 900 1` -> [["appendonly", ["no"]],
 * ["save", ["900", "1"]]]. Arguments before the first `--name` are not options (e.g. the config path).
 */
export function longOptions(argv: readonly string[]): Array<[name: string, values: string[]]> {
  const options: Array<[string, string[]]> = [];
  for (const arg of argv) {
    if (arg.startsWith("--") && arg.length > 2) {
      const eq = arg.indexOf("=");
      if (eq > 2) options.push([arg.slice(2, eq), [arg.slice(eq + 1)]]);
      else options.push([arg.slice(2), []]);
    } else if (options.length > 0) {
      options[options.length - 1][1].push(arg);
    }
  }
  return options;
}

/** The networks a container joins (`networksAdvanced[].name`), and its aliases there. */
export function containerNetworks(props: PropRecord): Array<{ readonly name: string; readonly aliases: string[] }> {
  return asArray(props.networksAdvanced).map((n) => {
    const network = asRecord(n) ?? {};
    return { name: asString(network.name) ?? "", aliases: asArray(network.aliases).map((a) => asString(a) ?? "") };
  });
}

/** Names this container answers to on its networks: its container name and its aliases. */
export function containerHostNames(props: PropRecord): Set<string> {
  const names = new Set<string>();
  const name = asString(props.name);
  if (name) names.add(name);
  for (const network of containerNetworks(props)) for (const alias of network.aliases) if (alias) names.add(alias);
  return names;
}

/** True when `path` equals `mount` or lies below it. */
export const isUnder = (path: string, mount: string): boolean => {
  const m = mount.replace(/\/+$/, "");
  return path === m || path.startsWith(`${m}/`);
};

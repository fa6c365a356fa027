// Reading docker containers as the engine hands them: image references, env lists, uploaded files
// and command lines. Services are recognised by image repository and env, never by resource name,
// so a stack written by someone else is judged the same way. Each reader touches only the
// properties it needs, so an unknown elsewhere in the container cannot downgrade the rule.
// Two kinds of reader, on purpose: those taking `props` rethrow an unknown they touch (the rule is
// then undecidable at preview); those taking the resource (imageOf, argvOf, uploadsOf, containerName)
// skip it, for rules whose verdict an unknown value cannot change.
import type { PolicyResource, UnknownValueError } from "@pulumi/policy";
import { manageIndex } from "./app/manage-words";
import { providerSetOrder } from "./docker/provider-sets";
import { isUnderDir } from "./paths";
import { proxyTarget } from "./props-view";
import { known, knownElements, readKnownElements, undecidable, UNKNOWN, type KnownElements, type Maybe } from "./unknowns";
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

/** The major version an image tag states ("16.6-bookworm" -> 16, "15-alpine" -> 15). */
export function imageMajorVersion(image: ImageRef): number | undefined {
  const match = /^v?(\d+)(?:[.\-_]|$)/.exec(image.tag ?? "");
  return match ? Number(match[1]) : undefined;
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

/** The image reference, or "" when it is unknown at preview. */
export function imageOf(container: PolicyResource): string {
  const image = known(() => container.props.image as string | undefined);
  return typeof image === "string" ? image : "";
}

/** The container runs this data or edge service, recognised by its image name; an unknown image is none. */
export function runsService(container: PolicyResource, service: ServiceKind): boolean {
  return serviceOfImage(parseImageRef(imageOf(container))) === service;
}

export function runsImage(container: PolicyResource, repository: RegExp): boolean {
  return repository.test(parseImageRef(imageOf(container)).repository.replace(/^library\//, ""));
}

export interface ContainerEnv {
  /** Known "KEY=value" entries by key (a repeated key: the last wins, as docker does). */
  readonly values: ReadonlyMap<string, string>;
  /** Entries unknown at preview (typically secret ones): their keys cannot be read either. */
  readonly unknown: readonly UnknownValueError[];
}

/**
 * Reads `envs`, skipping unknown entries; `envValue` decides when that skip is not allowed. Entries
 * in the order Docker receives them (the provider's set order, lib/docker/provider-sets.ts).
 */
export function containerEnv(props: PropRecord): ContainerEnv {
  const entries = knownElements(asArray(props.envs));
  const values = new Map<string, string>();
  for (const text of providerSetOrder(entries.known.map(asString).filter((t): t is string => t !== undefined))) {
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

/** The same argv with the arguments unknown at preview left out (and non-strings dropped). */
export function argvOf(container: PolicyResource): string[] {
  const entry = readKnownElements(() => container.props.entrypoints as string[] | undefined).values;
  const command = readKnownElements(() => container.props.command as string[] | undefined).values;
  return [...entry, ...command].filter((s): s is string => typeof s === "string");
}

/** The `manage.py <command>` (or django-admin, python -m django) a container runs, if it is a one-shot management job. */
export function manageCommand(container: PolicyResource): string | undefined {
  const words = argvOf(container).flatMap((arg) => arg.split(/\s+/));
  const at = manageIndex(words);
  return at >= 0 ? words[at + 1] : undefined;
}

/**
 * A one-shot job (migrations, collectstatic): the provider attaches to it and waits for its exit.
 * Such a container rightly has restart "no".
 */
export const isOneShot = (props: PropRecord): boolean => props.attach === true;

/** The known upload entries (records only) and the unknown ones; reads no entry's `file` or content. */
export function uploadEntries(props: PropRecord): KnownElements<PropRecord> {
  const entries = knownElements(asArray(props.uploads));
  return { known: entries.known.map(asRecord).filter((u): u is PropRecord => u !== undefined), unknown: entries.unknown };
}

/**
 * The upload at `path`, reading only each upload's `file` (never a content) so an unknown secret
 * file elsewhere cannot downgrade the rule. Undecidable (rethrows) only when an upload entry is
 * itself unknown and none known matches.
 */
export function uploadAt(props: PropRecord, path: string): PropRecord | undefined {
  const uploads = uploadEntries(props);
  const found = uploads.known.find((u) => asString(u.file) === path);
  if (!found && uploads.unknown.length > 0) throw uploads.unknown[0];
  return found;
}

/** Text of the upload at `path` (undefined when nothing is uploaded there), read as `uploadAt` and `uploadContent` do. */
export function uploadTextAt(props: PropRecord, path: string | undefined): string | undefined {
  if (!path) return undefined;
  const upload = uploadAt(props, path);
  return upload ? uploadContent(upload) : undefined;
}

/** Paths of all known uploads (reads `file` only). */
export function uploadPaths(props: PropRecord): string[] {
  return uploadEntries(props).known.map((u) => asString(u.file) ?? "").filter((p) => p !== "");
}

/** The text of one upload entry (`content`, or `contentBase64` decoded). Throws if it is unknown at preview. */
export function uploadContent(upload: PropRecord): string | undefined {
  const content = asString(upload.content);
  if (content !== undefined) return content;
  const base64 = asString(upload.contentBase64);
  return base64 === undefined ? undefined : Buffer.from(base64, "base64").toString("utf8");
}

export interface UploadView {
  readonly file: string;
  /** UNKNOWN when the content holds a value unknown at preview. */
  readonly content: Maybe<string>;
  /**
   * The file's owner, group and permissions as the upload sets them; absent when unset or unknown at
   * preview (the provider then writes root, root and 0644, or 0744 when `executable`).
   */
  readonly owner?: string;
  readonly group?: string;
  readonly permissions?: string;
  readonly executable?: boolean;
}

// Every policy reads the same deserialized properties (lib/shared-properties.ts): each container's
// uploads are read and decoded once and the same frozen views handed to every rule that asks.
const uploadViews = new WeakMap<object, readonly UploadView[]>();

/**
 * Every upload whose path is known, for rules that look for files by pattern: an unknown upload
 * entry or path is skipped, not rethrown (unlike `uploadAt`). The content is `content`, else
 * `contentBase64` decoded, as the provider writes the file.
 */
export function uploadsOf(container: PolicyResource): readonly UploadView[] {
  const target = proxyTarget(container.props);
  const cached = target === undefined ? undefined : uploadViews.get(target);
  if (cached) return cached;
  const views = Object.freeze(readUploadViews(container).map((view) => Object.freeze(view)));
  if (target !== undefined) uploadViews.set(target, views);
  return views;
}

function readUploadViews(container: PolicyResource): UploadView[] {
  const { values } = readKnownElements(() => container.props.uploads as Record<string, unknown>[] | undefined);
  return values.flatMap((u): UploadView[] => {
    const file = known(() => u.file);
    if (typeof file !== "string") return [];
    const text = (key: string) => {
      const value = known(() => u[key]);
      return typeof value === "string" ? { [key]: value } : {};
    };
    const attributes = { ...text("owner"), ...text("group"), ...text("permissions"), ...(known(() => u.executable) === true ? { executable: true } : {}) };
    // `content`, else `contentBase64` (decoded), as the provider writes the file.
    const content = known(() => u.content);
    if (content === UNKNOWN) return [{ file, content: UNKNOWN, ...attributes }];
    if (content !== undefined) return [{ file, content: content as string, ...attributes }];
    const base64 = known(() => u.contentBase64);
    if (base64 === UNKNOWN) return [{ file, content: UNKNOWN, ...attributes }];
    return [{ file, content: base64 === undefined ? "" : Buffer.from(base64 as string, "base64").toString("utf8"), ...attributes }];
  });
}

/** Content of the first upload at a path matching `file`; undefined if there is none; undecidable if its content is unknown. */
export function matchingUploadText(container: PolicyResource, file: string | RegExp): string | undefined {
  const upload = uploadsOf(container).find((u) => (typeof file === "string" ? u.file === file : file.test(u.file)));
  if (!upload) return undefined;
  if (upload.content === UNKNOWN) undecidable(`uploads[${upload.file}].content`);
  return upload.content;
}

/** Every upload on the container whose path matches, with known content; unknown content is skipped. */
export function knownUploads(container: PolicyResource, file: RegExp): { file: string; content: string }[] {
  return uploadsOf(container).flatMap((u) => (file.test(u.file) && u.content !== UNKNOWN ? [{ file: u.file, content: u.content }] : []));
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

/** The container's name as Docker knows it (its `name` input), else the Pulumi resource name. */
export function containerName(container: PolicyResource): string {
  const name = known(() => container.props.name as string | undefined);
  return typeof name === "string" && name !== "" ? name : container.name;
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
export const isUnder: (path: string, mount: string) => boolean = isUnderDir;

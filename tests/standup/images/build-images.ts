// Builds the catalog's images in a Docker engine, reusing every image whose inputs are unchanged.
// An image's inputs are its parent's id, its Dockerfile folder (every file, with its mode) or
// rendered thin Dockerfile, and its build args; their hash is a label on the image, so a rebuild
// happens exactly when something it is made of changed, and `docker build` reuses cached layers.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { buildSync } from "esbuild";
import { buildLogSink } from "./build-log";
import { BuildSlots } from "./build-slots";
import { BASE_IMAGE_TAG, baseInputsHash, buildBaseImage } from "./base-image";
import { buildOrder, buildRank, renderThinDockerfile, type LocalImage, type LocalImageName } from "./catalog";
import { runChecked, runCommand } from "./run-command";

export const REPOSITORY_ROOT = resolve(__dirname, "../../..");

/** Every image, container, network and volume the stand-up creates carries this label. */
export const STANDUP_LABEL = { key: "com.jewelry-shop.test", value: "standup" } as const;
const LABEL_IMAGE = "com.jewelry-shop.standup.image";
const LABEL_INPUTS = "com.jewelry-shop.standup.inputs";
const LABEL_REPLACES = "com.jewelry-shop.standup.replaces";

export interface BuiltImage {
  readonly tag: string;
  /** sha256:… */
  readonly id: string;
  readonly sizeBytes: number;
  /** Seconds this call spent building it; 0 when an image with the same inputs was reused. */
  readonly buildSeconds: number;
  readonly reused: boolean;
}

interface InspectedImage {
  readonly Id: string;
  readonly Size: number;
  readonly RepoTags?: readonly string[] | null;
  readonly Config: { readonly Labels: Record<string, string> | null };
}

export async function inspectImage(client: string, tag: string): Promise<InspectedImage | undefined> {
  const result = await runCommand([client, "image", "inspect", tag], { timeoutMs: 30_000 });
  if (result.code !== 0) return undefined;
  return (JSON.parse(result.stdout) as InspectedImage[])[0];
}

/**
 * Every tag's image, from one `docker image inspect` (each docker call costs a client start, and the
 * reuse check of every image needs its labels); a missing tag is absent from the map.
 */
export async function inspectImages(client: string, tags: readonly string[]): Promise<Map<string, InspectedImage>> {
  // Exits 1 when a tag is missing, and still prints the images it found.
  const result = await runCommand([client, "image", "inspect", ...tags], { timeoutMs: 60_000 });
  const found = result.stdout.trim() ? (JSON.parse(result.stdout) as InspectedImage[]) : [];
  if (result.code !== 0 && !/no such image/i.test(result.stderr)) throw new Error(`docker image inspect failed: ${result.stderr.trim()}`);
  const byTag = new Map<string, InspectedImage>();
  for (const image of found) for (const tag of image.RepoTags ?? []) if (tags.includes(tag)) byTag.set(tag, image);
  return byTag;
}

/** The files of a build context, in a stable order, skipping what never belongs in an image. */
export function contextFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name === "__pycache__" || entry.name.endsWith(".pyc") || entry.name === "node_modules") continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk(dir);
  return files;
}

/**
 * Writes the one-file bundles of the images' own programs into their build contexts (not committed),
 * so the inputs hash covers what the image runs: a changed source or dependency rebuilds the image.
 */
export function writeBundles(images: readonly LocalImage[]): void {
  for (const image of images) {
    if (image.source.kind !== "dockerfile" || !image.source.bundle) continue;
    const { entry, file } = image.source.bundle;
    buildSync({
      entryPoints: [join(REPOSITORY_ROOT, entry)], outfile: join(REPOSITORY_ROOT, image.source.context, file),
      bundle: true, platform: "node", target: "node18", format: "cjs", logLevel: "warning", legalComments: "inline",
    });
  }
}

/** The hash that decides whether `image` must be rebuilt on top of the parent `parentId`. */
export function imageInputsHash(image: LocalImage, parentId: string): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ name: image.name, parentId, replaces: image.replaces }));
  if (image.source.kind === "thin") {
    hash.update(renderThinDockerfile("BASE_IMAGE", image.source.layer));
  } else {
    hash.update(JSON.stringify(image.source.buildArgs ?? {}));
    const context = join(REPOSITORY_ROOT, image.source.context);
    for (const file of contextFiles(context)) {
      hash.update(`${relative(context, file)}\0${statSync(file).mode & 0o777}\0`);
      hash.update(readFileSync(file));
    }
  }
  return hash.digest("hex");
}

/**
 * One LABEL instruction for every label, appended to the Dockerfile: the legacy builder turns each
 * --label into a step of its own, each a container created and committed (about half a second under
 * load, four per image).
 */
export function withLabels(dockerfile: string, labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  return `${dockerfile.replace(/\n*$/, "\n")}LABEL ${pairs.join(" ")}\n`;
}

async function buildOne(client: string, image: LocalImage, parentTag: string, labels: Record<string, string>, log: (line: string) => void): Promise<void> {
  const common = [client, "build", "--rm", "--force-rm", "-t", image.tag];
  const env = { ...process.env, DOCKER_BUILDKIT: "0" };
  const toFile = buildLogSink(image.name);
  const onLine = (line: string) => {
    toFile(line);
    if (/^Step \d+\/\d+ :/.test(line)) log(`  ${image.name}: ${line.slice(0, 120)}`);
  };
  if (image.source.kind === "thin") {
    await runChecked([...common, "--build-arg", `BASE_IMAGE=${parentTag}`, "-"], {
      timeoutMs: 5 * 60_000, env, input: withLabels(renderThinDockerfile("BASE_IMAGE", image.source.layer), labels), onStdoutLine: onLine, onStderrLine: toFile,
    });
    return;
  }
  const buildArgs = { ...image.source.buildArgs, [image.source.fromArg]: parentTag };
  const context = join(REPOSITORY_ROOT, image.source.context);
  // The context's Dockerfile with the labels, read from stdin (`-f -`); the context is the folder.
  await runChecked([...common, ...Object.entries(buildArgs).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]), "-f", "-", context], {
    timeoutMs: 20 * 60_000, env, input: withLabels(readFileSync(join(context, "Dockerfile"), "utf8"), labels), onStdoutLine: onLine, onStderrLine: toFile,
  });
}

async function finished(client: string, tag: string, seconds: number): Promise<BuiltImage> {
  const inspected = await inspectImage(client, tag);
  if (!inspected) throw new Error(`image ${tag} is missing right after its build`);
  return { tag, id: inspected.Id, sizeBytes: inspected.Size, buildSeconds: seconds, reused: false };
}

const reusedImage = (tag: string, inspected: InspectedImage): BuiltImage => ({ tag, id: inspected.Id, sizeBytes: inspected.Size, buildSeconds: 0, reused: true });

export interface BuildResult {
  readonly base: BuiltImage;
  readonly images: Readonly<Record<LocalImageName, BuiltImage>>;
}

/**
 * Builds at once by default. Three on two cores: each build also waits (downloads, layer commits,
 * docker client starts) and a third fills those gaps; from nothing, side by side with two under the
 * same load, three finished in 1,364 s against 1,474 s with the same CPU time (README, "Stand-up images").
 */
export const DEFAULT_BUILD_SLOTS = 3;

/**
 * Ensures the base and every catalog image (or only `only` and their parents), `parallel` builds at
 * a time, each after its parent. Throws on the first failed build with the build's own output.
 */
export interface BuildOptions {
  readonly only?: readonly LocalImageName[];
  readonly parallel?: number;
  /** Called as each image is ready (built or reused), before the others are: a caller can use it at once. */
  readonly onImage?: (name: LocalImageName, image: BuiltImage) => void;
}

export async function buildImages(client: string, log: (line: string) => void, options: BuildOptions = {}): Promise<BuildResult> {
  const baseLabels = { [STANDUP_LABEL.key]: STANDUP_LABEL.value, [LABEL_IMAGE]: "debian-base", [LABEL_INPUTS]: baseInputsHash() };
  const wanted = selectWithParents(options.only);
  // What exists before this call, in one docker call: with nothing changed, the reuse checks need no other.
  const existing = await inspectImages(client, [BASE_IMAGE_TAG, ...wanted.map((image) => image.tag)]);
  const existingBase = existing.get(BASE_IMAGE_TAG);
  let base: BuiltImage;
  if (existingBase && existingBase.Config.Labels?.[LABEL_INPUTS] === baseLabels[LABEL_INPUTS]) {
    base = reusedImage(BASE_IMAGE_TAG, existingBase);
  } else {
    const started = Date.now();
    await buildBaseImage(client, baseLabels, log);
    base = await finished(client, BASE_IMAGE_TAG, (Date.now() - started) / 1000);
    log(`built ${BASE_IMAGE_TAG} in ${base.buildSeconds.toFixed(1)} s`);
  }

  writeBundles(wanted);
  const done = new Map<LocalImageName, Promise<BuiltImage>>();
  const slots = new BuildSlots(options.parallel ?? DEFAULT_BUILD_SLOTS);
  const ensure = (image: LocalImage): Promise<BuiltImage> => {
    const known = done.get(image.name);
    if (known) return known;
    const promise = (async () => {
      const parent = image.from === "base" ? base : await ensure(wanted.find((w) => w.name === image.from)!);
      const labels = {
        [STANDUP_LABEL.key]: STANDUP_LABEL.value, [LABEL_IMAGE]: image.name,
        [LABEL_INPUTS]: imageInputsHash(image, parent.id), [LABEL_REPLACES]: image.replaces.join(","),
      };
      // Only this call builds this tag (the build lock), so what existed before it is still there.
      const before = existing.get(image.tag);
      if (before && before.Config.Labels?.[LABEL_INPUTS] === labels[LABEL_INPUTS]) return reusedImage(image.tag, before);
      return slots.run(buildRank(image.name), async () => {
        log(`building ${image.tag}`);
        const started = Date.now();
        await buildOne(client, image, parent.tag, labels, log);
        const built = await finished(client, image.tag, (Date.now() - started) / 1000);
        log(`built ${image.tag} in ${built.buildSeconds.toFixed(1)} s`);
        return built;
      });
    })().then((ready) => (options.onImage?.(image.name, ready), ready));
    done.set(image.name, promise);
    return promise;
  };
  // Every build runs to its end before a failure is reported: none keeps running unobserved.
  const settled = await Promise.allSettled(wanted.map(async (image) => [image.name, await ensure(image)] as const));
  const failure = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
  if (failure) throw failure.reason;
  const results = settled.map((outcome) => (outcome as PromiseFulfilledResult<readonly [LocalImageName, BuiltImage]>).value);
  // Images a rebuild replaced are left untagged: remove those of ours that no container uses.
  await runCommand([client, "image", "prune", "--force", "--filter", `label=${STANDUP_LABEL.key}=${STANDUP_LABEL.value}`], { timeoutMs: 60_000 });
  return { base, images: Object.fromEntries(results) as Record<LocalImageName, BuiltImage> };
}

function selectWithParents(only?: readonly LocalImageName[]): LocalImage[] {
  const order = buildOrder();
  if (!only) return order;
  const wanted = new Set<LocalImageName>();
  const add = (name: LocalImageName) => {
    wanted.add(name);
    const image = order.find((i) => i.name === name)!;
    if (image.from !== "base") add(image.from);
  };
  only.forEach(add);
  return order.filter((image) => wanted.has(image.name));
}

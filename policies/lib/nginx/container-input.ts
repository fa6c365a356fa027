// What an nginx container really starts with: the nginx command line (entrypoint and command, `-c`,
// `-p`, `-g`, even inside `sh -c "…"`), the image's own files and what its entrypoint writes (templates
// rendered with the container's env, the IPv6 listen), the container's uploads, and the files other
// containers upload into a volume this one mounts. Folders mounted from the host, or volumes nobody
// declares files for, are opaque: the stack does not say what nginx would read there.
import type { PolicyResource } from "@pulumi/policy";
import { argvOf, containerEnv, imageOf, parseImageRef, uploadsOf, type UploadView } from "../containers";
import { known, readKnownElements, UNKNOWN } from "../unknowns";
import {
  IMAGE_COMMAND, IMAGE_CONF_FILE, IMAGE_DEFAULT_CONF, IMAGE_ENTRYPOINT, IMAGE_FILES, IMAGE_PREFIX, LATEST_MODELLED_VERSION, withIpv6DefaultListen,
} from "./image-files";
import { isUnderDir, resolvePath, type NginxFile, type NginxInput } from "./input";

interface Mount {
  readonly target: string;
  readonly volume?: string;
  readonly host?: string;
  readonly tmpfs?: boolean;
}

interface VolumeEntry { containerPath?: string; volumeName?: string; hostPath?: string; fromContainer?: string }
interface MountEntry { target?: string; source?: string; type?: string }

/** Where a container's filesystem comes from another source: volumes, bind mounts, tmpfs. */
export function containerMounts(container: PolicyResource): Mount[] {
  const out: Mount[] = [];
  for (const v of readKnownElements(() => container.props.volumes as VolumeEntry[] | undefined).values) {
    const target = known(() => v.containerPath);
    if (typeof target !== "string") continue;
    const volume = known(() => v.volumeName);
    const host = known(() => v.hostPath);
    out.push({ target, volume: typeof volume === "string" ? volume : undefined, host: typeof host === "string" ? host : volume === UNKNOWN ? "(unknown)" : undefined });
  }
  for (const m of readKnownElements(() => container.props.mounts as MountEntry[] | undefined).values) {
    const target = known(() => m.target);
    const type = known(() => m.type);
    const source = known(() => m.source);
    if (typeof target !== "string") continue;
    if (type === "tmpfs") out.push({ target, tmpfs: true });
    else if (type === "volume") out.push({ target, volume: typeof source === "string" ? source : undefined });
    else out.push({ target, host: typeof source === "string" ? source : "(unknown)" });
  }
  const tmpfs = known(() => container.props.tmpfs as Record<string, string> | undefined);
  if (tmpfs && tmpfs !== UNKNOWN) for (const target of Object.keys(tmpfs)) out.push({ target, tmpfs: true });
  return out;
}

/** Words of a `sh -c` script, quotes removed; `;`, `&&`, `||`, `|` and `&` become words of their own. */
export function shellWords(script: string): string[] {
  const words: string[] = [];
  let current = "";
  let quote: string | undefined;
  let started = false;
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < script.length) current += script[++i];
      else current += c;
    } else if (c === "'" || c === '"') { quote = c; started = true; }
    else if (c === "\\" && i + 1 < script.length) { current += script[++i]; started = true; }
    else if (/\s/.test(c) || ";&|".includes(c)) {
      if (started) words.push(current);
      current = "";
      started = false;
      if (";&|".includes(c)) words.push(c === script[i + 1] ? c + script[++i] : c);
    } else { current += c; started = true; }
  }
  if (started) words.push(current);
  return words;
}

export interface NginxCommandLine {
  readonly confFile?: string;
  readonly prefix?: string;
  readonly globalDirectives?: string;
}

const SEPARATORS = new Set([";", "&&", "||", "|", "&"]);
const ONE_SHOT = /^-[tTvVh?]|^-s$/;

/** nginx's options in argv (-c, -p, -g, attached or separate); the last nginx run that serves, if several. */
export function nginxCommandLine(argv: readonly string[]): NginxCommandLine | undefined {
  const runs: string[][] = [];
  const scan = (words: readonly string[]) => {
    for (let i = 0; i < words.length; i++) {
      const word = words[i]!;
      if (/(^|\/)nginx(-debug)?$/.test(word)) {
        const args: string[] = [];
        for (let j = i + 1; j < words.length && !SEPARATORS.has(words[j]!); j++) args.push(words[j]!);
        runs.push(args);
      } else if (/\s/.test(word)) scan(shellWords(word));
    }
  };
  scan(argv);
  const serving = runs.filter((args) => !args.some((a) => ONE_SHOT.test(a)));
  const args = serving[serving.length - 1];
  if (!args) return undefined;
  const options: { c?: string; p?: string; g: string[] } = { g: [] };
  for (let i = 0; i < args.length; i++) {
    const m = /^-([cpg])(.*)$/.exec(args[i]!);
    if (!m) continue;
    const value = m[2] !== "" ? m[2]! : args[++i] ?? "";
    if (m[1] === "c") options.c = value;
    else if (m[1] === "p") options.p = value;
    else options.g.push(value);
  }
  return { confFile: options.c, prefix: options.p, globalDirectives: options.g.length > 0 ? options.g.join(" ") : undefined };
}

/** envsubst "$defined_envs": only ${NAME}/$NAME of defined variables are replaced; undefined when one may hide in an unknown env entry. */
function envsubst(template: string, env: ReadonlyMap<string, string>, unknownEntries: boolean): string | undefined {
  let undecided = false;
  const out = template.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const value = env.get(name);
    if (value !== undefined) return value;
    if (unknownEntries && /^[A-Z_][A-Z0-9_]*$/.test(name)) undecided = true;
    return whole;
  });
  return undecided ? undefined : out;
}

const isOfficialImage = (image: string) => {
  const ref = parseImageRef(image);
  return (ref.registry === undefined || ref.registry === "docker.io") && /^(library\/)?nginx$/.test(ref.repository);
};

const versionOfTag = (tag: string | undefined) => /^(\d+\.\d+(?:\.\d+)?)/.exec(tag ?? "")?.[1] ?? LATEST_MODELLED_VERSION;

interface VolumeWriter {
  readonly container: PolicyResource;
  /** Where the volume is mounted in that container. */
  readonly target: string;
  readonly uploads: readonly UploadView[];
}

// Containers by the named volumes they mount, per list of resources a policy is handed (the server
// builds a fresh list for each policy): every nginx container's every mount looks its volume up here
// instead of reading every container's mounts and uploads again.
const writersByStack = new WeakMap<readonly PolicyResource[], Map<string, Map<string, VolumeWriter[]>>>();

function volumeWriters(resources: readonly PolicyResource[], type: string, volume: string): readonly VolumeWriter[] {
  let byType = writersByStack.get(resources);
  if (!byType) writersByStack.set(resources, (byType = new Map()));
  let byVolume = byType.get(type);
  if (!byVolume) {
    byType.set(type, (byVolume = new Map()));
    for (const container of resources.filter((r) => r.type === type)) {
      const mounts = containerMounts(container).filter((m) => m.volume !== undefined);
      if (mounts.length === 0) continue;
      const uploads = uploadsOf(container);
      for (const m of mounts) {
        const writers = byVolume.get(m.volume!) ?? [];
        writers.push({ container, target: m.target, uploads });
        byVolume.set(m.volume!, writers);
      }
    }
  }
  return byVolume.get(volume) ?? [];
}

/** A file other containers' uploads put into the named volume mounted at `mount`. */
function sharedVolumeFiles(mount: Mount, container: PolicyResource, resources: readonly PolicyResource[]): [string, NginxFile][] {
  if (!mount.volume) return [];
  return volumeWriters(resources, container.type, mount.volume).filter((w) => w.container !== container).flatMap(({ container: other, target, uploads }) =>
    uploads.filter((u) => isUnderDir(u.file, target)).map((u): [string, NginxFile] => [
      resolvePath(mount.target, u.file.slice(target.replace(/\/+$/, "").length).replace(/^\//, "")),
      { content: u.content === UNKNOWN ? undefined : u.content, origin: `volume ${mount.volume} (uploaded by ${other.name})` },
    ]));
}

/**
 * The start-up input of the nginx in `container`, or undefined when the container's nginx reads a
 * configuration the stack does not hold (an image other than the official one, and no uploaded main file).
 */
export function nginxInputOf(container: PolicyResource, resources: readonly PolicyResource[]): NginxInput | undefined {
  const image = imageOf(container);
  const official = isOfficialImage(image);
  const entry = readKnownElements(() => container.props.entrypoints as string[] | undefined).values;
  const command = readKnownElements(() => container.props.command as string[] | undefined).values;
  // Docker keeps the image's CMD only when neither entrypoint nor command is given.
  const effectiveEntry = entry.length > 0 ? entry : official ? IMAGE_ENTRYPOINT : [];
  const effectiveCommand = command.length > 0 ? command : entry.length === 0 && official ? IMAGE_COMMAND : [];
  const argv = [...effectiveEntry, ...effectiveCommand].filter((a): a is string => typeof a === "string");
  const cli = nginxCommandLine(argv.length > 0 ? argv : argvOf(container)) ?? {};
  const prefix = `${resolvePath("/", cli.prefix ?? IMAGE_PREFIX)}/`.replace(/\/+$/, "/");
  const confFile = resolvePath(prefix, cli.confFile ?? IMAGE_CONF_FILE);

  const mounts = containerMounts(container);
  const files = new Map<string, NginxFile>();
  const hiddenByMount = (path: string) => mounts.some((m) => (m.host !== undefined || m.tmpfs) && isUnderDir(path, m.target));
  if (official) for (const [path, content] of IMAGE_FILES) if (!hiddenByMount(path)) files.set(path, { content, origin: "the nginx image" });
  for (const mount of mounts) for (const [path, file] of sharedVolumeFiles(mount, container, resources)) files.set(path, file);
  for (const upload of uploadsOf(container)) {
    files.set(resolvePath("/", upload.file), { content: upload.content === UNKNOWN ? undefined : upload.content, origin: "upload" });
  }

  // The image's entrypoint runs its scripts only when the command starts with nginx or nginx-debug.
  const entrypointRuns = official && effectiveEntry.join(" ") === IMAGE_ENTRYPOINT.join(" ") && /^nginx(-debug)?$/.test(String(effectiveCommand[0] ?? ""));
  if (entrypointRuns) applyEntrypoint(container, files, mounts);

  if (!files.has(confFile) && !mounts.some((m) => isUnderDir(confFile, m.target))) return undefined;
  return {
    prefix, confFile, commandLine: cli.globalDirectives, files,
    opaqueDirs: mounts.filter((m) => m.host !== undefined || m.volume !== undefined).map((m) => m.target),
    version: official ? versionOfTag(parseImageRef(image).tag) : LATEST_MODELLED_VERSION,
  };
}

/** 10-listen-on-ipv6-by-default.sh and 20-envsubst-on-templates.sh, as they change the files. */
function applyEntrypoint(container: PolicyResource, files: Map<string, NginxFile>, mounts: readonly Mount[]): void {
  const readOnlyRoot = known(() => container.props.readOnly as boolean | undefined) === true;
  const writable = (path: string) => !readOnlyRoot || mounts.some((m) => isUnderDir(path, m.target));
  const read = known(() => containerEnv(container.props));
  const env = read === UNKNOWN ? { values: new Map<string, string>(), unknown: [undefined] } : read;
  const setting = (name: string, fallback: string) => env.values.get(name) ?? fallback;

  const defaultConf = files.get(IMAGE_DEFAULT_CONF);
  if (defaultConf?.origin === "the nginx image" && defaultConf.content !== undefined && writable(IMAGE_DEFAULT_CONF)) {
    files.set(IMAGE_DEFAULT_CONF, { content: withIpv6DefaultListen(defaultConf.content), origin: "the nginx image (IPv6 listen added by its entrypoint)" });
  }

  const templateDir = setting("NGINX_ENVSUBST_TEMPLATE_DIR", "/etc/nginx/templates");
  const suffix = setting("NGINX_ENVSUBST_TEMPLATE_SUFFIX", ".template");
  const outputDir = setting("NGINX_ENVSUBST_OUTPUT_DIR", "/etc/nginx/conf.d");
  if (!writable(outputDir)) return;
  for (const [path, file] of [...files]) {
    if (!isUnderDir(path, templateDir) || !path.endsWith(suffix) || path === templateDir) continue;
    const relative = path.slice(templateDir.replace(/\/+$/, "").length + 1, -suffix.length);
    const content = file.content === undefined ? undefined : envsubst(file.content, env.values, env.unknown.length > 0);
    files.set(resolvePath(outputDir, relative), { content, origin: `template ${path} rendered by the image's entrypoint` });
  }
}

// What a server process in a container starts from, read once from the container's inputs for the
// server models (Redis, Prometheus, Alertmanager, Loki, promtail, Grafana): its argv parts, its env,
// the files the stack puts there (uploads; content unknown at preview kept as undefined), its volume
// mount points and memory limit. Unknown entries are counted, not thrown: each model decides
// whether they could change its answer.
import { known, readKnownElements, UNKNOWN } from "./unknowns";
import { asNumber, asRecord, asString, type PropRecord } from "./values";

export interface ContainerInputs {
  readonly image: string;
  /** undefined: the input is not set (the image's ENTRYPOINT/CMD apply). */
  readonly entrypoints?: readonly string[];
  readonly command?: readonly string[];
  /** Whether entrypoints/command hold an element unknown at preview. */
  readonly unknownArgv: boolean;
  /** Known env entries (last wins, as Docker does). */
  readonly env: ReadonlyMap<string, string>;
  readonly unknownEnv: number;
  /** Uploaded files: path -> content (undefined when unknown at preview). */
  readonly files: ReadonlyMap<string, string | undefined>;
  /** Upload entries unknown as a whole (their path is unknown too). */
  readonly unknownUploads: number;
  /** Container paths where volumes or mounts are attached (persistent or host storage). */
  readonly mountPoints: readonly string[];
  /** Those of mountPoints attached read-only (`readOnly: true`): the process cannot write under them. */
  readonly readOnlyMountPoints: readonly string[];
  readonly workingDir?: string;
  /** Memory limit in MiB (the docker provider's `memory`); undefined when not set. */
  readonly memoryMb?: number;
  /** The log driver (`logDriver`), undefined for Docker's default (json-file). */
  readonly logDriver?: string;
}

type HasProps = { readonly props: PropRecord };

function stringArray(read: () => unknown): { values?: string[]; unknown: boolean } {
  const whole = known(read);
  if (whole === UNKNOWN) return { unknown: true };
  if (!Array.isArray(whole)) return { unknown: false };
  const elements = readKnownElements(() => whole as unknown[]);
  return { values: elements.values.map((v) => asString(v) ?? ""), unknown: elements.unknown > 0 };
}

const knownString = (read: () => unknown): string | undefined => {
  const value = known(read);
  return typeof value === "string" ? value : undefined;
};

export function containerInputs(container: HasProps): ContainerInputs {
  const props = container.props;
  const entrypoints = stringArray(() => props.entrypoints);
  const command = stringArray(() => props.command);
  const envs = readKnownElements(() => props.envs as unknown[] | undefined);
  const env = new Map<string, string>();
  for (const entry of envs.values) {
    const text = asString(entry);
    const eq = text?.indexOf("=") ?? -1;
    if (text !== undefined && eq > 0) env.set(text.slice(0, eq), text.slice(eq + 1));
  }
  const uploads = readKnownElements(() => props.uploads as unknown[] | undefined);
  const files = new Map<string, string | undefined>();
  let unknownUploads = uploads.unknown;
  for (const raw of uploads.values) {
    const upload = asRecord(raw) ?? {};
    const file = knownString(() => upload.file);
    if (file === undefined) {
      unknownUploads++;
      continue;
    }
    const content = known(() => upload.content);
    if (content === UNKNOWN) files.set(file, undefined);
    else if (typeof content === "string") files.set(file, content);
    else {
      const base64 = known(() => upload.contentBase64);
      files.set(file, base64 === UNKNOWN ? undefined : typeof base64 === "string" ? Buffer.from(base64, "base64").toString("utf8") : "");
    }
  }
  const mounts = ["volumes", "mounts"].flatMap((key) =>
    readKnownElements(() => props[key] as unknown[] | undefined).values.flatMap((v) => {
      const record = asRecord(v) ?? {};
      const path = knownString(() => record.containerPath ?? record.target);
      return path ? [{ path, readOnly: known(() => record.readOnly) === true }] : [];
    }));
  const mountPoints = mounts.map((m) => m.path);
  const readOnlyMountPoints = mounts.filter((m) => m.readOnly).map((m) => m.path);
  const memory = known(() => props.memory);
  return {
    image: knownString(() => props.image) ?? "",
    ...(entrypoints.values ? { entrypoints: entrypoints.values } : {}),
    ...(command.values ? { command: command.values } : {}),
    unknownArgv: entrypoints.unknown || command.unknown,
    env,
    unknownEnv: envs.unknown,
    files,
    unknownUploads,
    mountPoints,
    readOnlyMountPoints,
    ...(knownString(() => props.workingDir) ? { workingDir: knownString(() => props.workingDir) } : {}),
    ...(memory !== UNKNOWN && asNumber(memory) ? { memoryMb: asNumber(memory) } : {}),
    ...(knownString(() => props.logDriver) ? { logDriver: knownString(() => props.logDriver) } : {}),
  };
}

/** A stable text of the inputs, to key a model cache. */
export const inputsKey = (inputs: ContainerInputs): string =>
  JSON.stringify(inputs, (_key, value: unknown) => (value instanceof Map ? [...value.entries()].map(([k, v]) => [k, v ?? null]) : value));

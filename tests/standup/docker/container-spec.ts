// A docker.Container's declared inputs turned into the Docker Engine API calls pulumi-docker makes
// for them (terraform-provider-docker's resourceDockerContainerCreate): the create body, the
// networks it connects after disconnecting the default bridge, the uploads it copies in before the
// start, and the lifecycle settings (wait, attach, mustRun). Every input the program sets must be
// listed here; any other fails the stand-up with its name, so nothing is silently dropped.
import type Dockerode from "dockerode";
import { knownInputs, type Inputs } from "../program/inputs";

export interface NetworkAttachment {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly ipv4Address?: string;
}

export interface Upload {
  readonly file: string;
  readonly content: Buffer;
  /** Octal mode as the provider derives it: permissions, else 0744 when executable, else 0644. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

export interface Lifecycle {
  readonly start: boolean;
  /** Wait for the healthcheck to report healthy, for waitTimeout seconds. */
  readonly wait: boolean;
  readonly waitTimeoutSeconds: number;
  /** Wait for the container to exit (one-shot jobs). */
  readonly attach: boolean;
  readonly logs: boolean;
  /** The container must be running after the create. */
  readonly mustRun: boolean;
}

export interface ContainerPlan {
  readonly name: string;
  readonly create: Dockerode.ContainerCreateOptions;
  readonly networks: readonly NetworkAttachment[];
  readonly uploads: readonly Upload[];
  /** Mutable: the stand-up may relax `wait` for a documented reason. */
  lifecycle: Lifecycle;
}

/** The inputs the stand-up applies, by pulumi-docker name (see the mapping below). */
const CONTAINER_INPUTS = [
  "name", "image", "command", "entrypoints", "envs", "user", "labels", "healthcheck", "stopTimeout", "ports", "volumes", "mounts",
  "restart", "readOnly", "logDriver", "logOpts", "tmpfs", "ulimits", "capabilities", "securityOpts", "memory", "memorySwap",
  "shmSize", "cpus", "init", "networksAdvanced", "uploads", "start", "wait", "waitTimeout", "attach", "logs", "mustRun",
] as const;

type Json = Record<string, unknown>;
const list = <T = Json>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);

/** Go's time.ParseDuration for the forms healthchecks use ("30s", "1m30s", "500ms", "1h"), in nanoseconds. */
export function durationNanos(duration: string): number {
  const units: Record<string, number> = { h: 3600e9, m: 60e9, s: 1e9, ms: 1e6, us: 1e3, "µs": 1e3, ns: 1 };
  if (duration === "" || duration === "0") return 0;
  const parts = [...duration.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)];
  if (parts.map((p) => p[0]).join("") !== duration) throw new Error(`"${duration}" is not a Go duration`);
  return Math.round(parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * units[unit], 0));
}

const MiB = 1024 * 1024;

function numericId(what: string, value: unknown): number {
  if (value === undefined || value === "") return 0;
  if (!/^\d+$/.test(String(value))) {
    throw new Error(`${what} "${String(value)}": the stand-up applies numeric ids only (pulumi-docker resolves names on the deploying host)`);
  }
  return Number(value);
}

function uploadsOf(container: string, inputs: Inputs): Upload[] {
  return list(inputs.uploads).map((u, i) => {
    const what = `${container} uploads[${i}] (${String(u.file)})`;
    knownInputs(what, u, ["file", "content", "contentBase64", "permissions", "executable", "owner", "group"]);
    const sources = [u.content, u.contentBase64].filter((v) => v !== undefined && v !== "");
    if (sources.length !== 1) throw new Error(`${what}: exactly one of content or contentBase64 must be set`);
    const content = u.content !== undefined && u.content !== "" ? Buffer.from(String(u.content), "utf8") : Buffer.from(String(u.contentBase64), "base64");
    const mode = u.permissions ? parseInt(String(u.permissions), 8) : u.executable === true ? 0o744 : 0o644;
    if (Number.isNaN(mode)) throw new Error(`${what}: permissions "${String(u.permissions)}" is not octal`);
    return { file: String(u.file), content, mode, uid: numericId(`${what} owner`, u.owner), gid: numericId(`${what} group`, u.group) };
  });
}

function healthcheckOf(container: string, value: unknown): Dockerode.HealthConfig | undefined {
  if (value === undefined) return undefined;
  const h = knownInputs(`${container} healthcheck`, value as Json, ["tests", "interval", "timeout", "startPeriod", "startInterval", "retries"]);
  return {
    Test: list<string>(h.tests),
    Interval: durationNanos(String(h.interval ?? "0s")),
    Timeout: durationNanos(String(h.timeout ?? "0s")),
    StartPeriod: durationNanos(String(h.startPeriod ?? "0s")),
    ...(h.startInterval !== undefined ? { StartInterval: durationNanos(String(h.startInterval)) } : {}),
    Retries: Number(h.retries ?? 0),
  } as Dockerode.HealthConfig;
}

/** `volumes`: named volumes and host paths become binds "<source>:<path>:rw|ro" (and Config.Volumes), as the provider does. */
function volumesOf(container: string, inputs: Inputs): { binds: string[]; paths: Record<string, object> } {
  const binds: string[] = [];
  const paths: Record<string, object> = {};
  list(inputs.volumes).forEach((v, i) => {
    knownInputs(`${container} volumes[${i}]`, v, ["volumeName", "hostPath", "containerPath", "readOnly"]);
    const source = String(v.hostPath ?? v.volumeName ?? "");
    if (!v.containerPath) throw new Error(`${container} volumes[${i}]: no containerPath`);
    paths[String(v.containerPath)] = {};
    if (source) binds.push(`${source}:${String(v.containerPath)}:${v.readOnly === true ? "ro" : "rw"}`);
  });
  return { binds, paths };
}

function mountsOf(container: string, inputs: Inputs): Dockerode.MountSettings[] {
  return list(inputs.mounts).map((m, i) => {
    const what = `${container} mounts[${i}]`;
    knownInputs(what, m, ["type", "source", "target", "readOnly", "bindOptions"]);
    const mount: Dockerode.MountSettings = { Type: m.type as Dockerode.MountType, Source: String(m.source ?? ""), Target: String(m.target), ReadOnly: m.readOnly === true };
    if (m.bindOptions !== undefined) {
      const b = knownInputs(`${what} bindOptions`, m.bindOptions as Json, ["propagation"]);
      mount.BindOptions = { Propagation: b.propagation as Dockerode.MountPropagation };
    }
    return mount;
  });
}

function portsOf(container: string, inputs: Inputs): { exposed: Record<string, object>; bindings: Dockerode.PortMap } {
  const exposed: Record<string, object> = {};
  const bindings: Dockerode.PortMap = {};
  list(inputs.ports).forEach((p, i) => {
    knownInputs(`${container} ports[${i}]`, p, ["internal", "external", "ip", "protocol"]);
    // The provider's schema defaults: ip 0.0.0.0, protocol tcp.
    const port = `${Number(p.internal)}/${String(p.protocol ?? "tcp")}`;
    exposed[port] = {};
    (bindings[port] ??= []).push({ HostIp: String(p.ip ?? "0.0.0.0"), HostPort: p.external === undefined ? "" : String(p.external) });
  });
  return { exposed, bindings };
}

/** "systempaths=unconfined" is the provider's client-side option; the program must not need it. */
function securityOptsOf(container: string, inputs: Inputs): string[] {
  const opts = list<string>(inputs.securityOpts);
  if (opts.includes("systempaths=unconfined")) throw new Error(`${container} securityOpts: systempaths=unconfined is not applied by the stand-up`);
  return opts;
}

export interface PlanOptions {
  /** The image the container runs here (the declared one, or its local counterpart). */
  readonly image: string;
  /** Labels added to the declared ones (the stand-up's own). */
  readonly extraLabels: Readonly<Record<string, string>>;
}

export function containerPlan(resourceName: string, declared: Inputs, options: PlanOptions): ContainerPlan {
  const inputs = knownInputs(`container ${resourceName}`, declared, CONTAINER_INPUTS);
  const name = String(inputs.name ?? resourceName);
  const command = list<string>(inputs.command);
  if (command.some((c) => c === "")) throw new Error(`${name} command: values for command may not be empty`);
  const labels = Object.fromEntries(list(inputs.labels).map((l) => [String(l.label), String(l.value)]));
  const { binds, paths } = volumesOf(name, inputs);
  const { exposed, bindings } = portsOf(name, inputs);
  const caps = knownInputs(`${name} capabilities`, (inputs.capabilities ?? {}) as Json, ["adds", "drops"]);
  const ulimits = list(inputs.ulimits).map((u, i) => {
    knownInputs(`${name} ulimits[${i}]`, u, ["name", "soft", "hard"]);
    return { Name: String(u.name), Soft: Number(u.soft), Hard: Number(u.hard) };
  });
  const networks = list(inputs.networksAdvanced).map((n, i) => {
    knownInputs(`${name} networksAdvanced[${i}]`, n, ["name", "aliases", "ipv4Address"]);
    return { name: String(n.name), aliases: list<string>(n.aliases), ...(n.ipv4Address ? { ipv4Address: String(n.ipv4Address) } : {}) };
  });
  const memorySwap = inputs.memorySwap === undefined ? undefined : Number(inputs.memorySwap);

  const create: Dockerode.ContainerCreateOptions = {
    name,
    Image: options.image,
    Tty: false,
    OpenStdin: false,
    ...(command.length ? { Cmd: command } : {}),
    ...(inputs.entrypoints !== undefined ? { Entrypoint: list<string>(inputs.entrypoints) } : {}),
    ...(inputs.envs !== undefined ? { Env: list<string>(inputs.envs) } : {}),
    ...(inputs.user ? { User: String(inputs.user) } : {}),
    ...(Object.keys(exposed).length ? { ExposedPorts: exposed } : {}),
    ...(Object.keys(paths).length ? { Volumes: paths } : {}),
    ...(inputs.stopTimeout !== undefined ? { StopTimeout: Number(inputs.stopTimeout) } : {}),
    Labels: { ...labels, ...options.extraLabels },
    ...(inputs.healthcheck !== undefined ? { Healthcheck: healthcheckOf(name, inputs.healthcheck) } : {}),
    HostConfig: {
      Privileged: false,
      PublishAllPorts: false,
      RestartPolicy: { Name: String(inputs.restart ?? "no"), MaximumRetryCount: 0 },
      Mounts: mountsOf(name, inputs),
      AutoRemove: false,
      ReadonlyRootfs: inputs.readOnly === true,
      LogConfig: { Type: String(inputs.logDriver ?? ""), Config: Object.fromEntries(Object.entries((inputs.logOpts ?? {}) as Json).map(([k, v]) => [k, String(v)])) },
      ...(inputs.tmpfs !== undefined ? { Tmpfs: Object.fromEntries(Object.entries(inputs.tmpfs as Json).map(([k, v]) => [k, String(v)])) } : {}),
      ...(Object.keys(bindings).length ? { PortBindings: bindings } : {}),
      ...(binds.length ? { Binds: binds } : {}),
      ...(ulimits.length ? { Ulimits: ulimits } : {}),
      CapAdd: list<string>(caps.adds),
      CapDrop: list<string>(caps.drops),
      SecurityOpt: securityOptsOf(name, inputs),
      ...(inputs.memory !== undefined ? { Memory: Number(inputs.memory) * MiB } : {}),
      ...(memorySwap !== undefined ? { MemorySwap: memorySwap > 0 ? memorySwap * MiB : memorySwap } : {}),
      ...(inputs.shmSize !== undefined ? { ShmSize: Number(inputs.shmSize) * MiB } : {}),
      ...(inputs.cpus !== undefined ? { NanoCpus: Math.round(Number(inputs.cpus) * 1e9) } : {}),
      // The provider's schema default for network_mode; it then swaps the bridge for networksAdvanced.
      NetworkMode: "bridge",
      Init: inputs.init === true,
    },
  };
  return {
    name,
    create,
    networks,
    uploads: uploadsOf(name, inputs),
    lifecycle: {
      start: inputs.start !== false,
      wait: inputs.wait === true,
      waitTimeoutSeconds: Number(inputs.waitTimeout ?? 60),
      attach: inputs.attach === true,
      logs: inputs.logs === true,
      mustRun: inputs.mustRun !== false,
    },
  };
}

// The effective runtime of one docker.Container: the Docker create request the provider builds
// from its inputs (resource_docker_container_funcs.go of kreuzwerker/terraform-provider-docker
// v4.5, which pulumi-docker 5 bridges), with the provider's defaults and set ordering, then what
// Docker makes of it (capabilities, security options, env merge, networks, published ports).
// Built once per container (keyed by its inputs) and shared by every rule.
import { parseImageRef, type ImageRef } from "../containers";
import { innermostMount } from "../paths";
import { memoizedForInputs } from "../model-cache";
import { healthcheckEffect, type HealthcheckEffect } from "./healthcheck";
import { imageFacts, type ImageFacts } from "./images";
import { followLaunch, type Launch } from "./launch";
import { providerSetOrder } from "./provider-sets";
import {
  bool, isUnknownInput, list, num, rec, snapshotOf, snapshotText, str, stringsOf, UnknownInput, type Snapshot, type SnapshotRecord,
} from "./snapshot";

export type Known<T> = T | UnknownInput;

/** Docker 20.10's default capability set (oci/caps/defaults.go). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE",
  "SYS_CHROOT", "KILL", "AUDIT_WRITE",
];
/** Every capability the kernel knows (capability.h, Linux 5.x), as Docker grants them to a privileged container. */
export const ALL_CAPABILITIES: readonly string[] = [
  ...DEFAULT_CAPABILITIES, "DAC_READ_SEARCH", "LINUX_IMMUTABLE", "NET_BROADCAST", "NET_ADMIN", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE",
  "SYS_RAWIO", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "LEASE",
  "AUDIT_CONTROL", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
];

export interface EffectiveUser {
  /** The `user` input, else the image's USER, else "" (Docker's default: root). */
  readonly start: string;
  readonly startSource: "user input" | "image USER" | "Docker's default";
  readonly startsAsRoot: boolean;
  /** Who runs the program once wrappers and the image's entrypoint have switched users. */
  readonly runs: string;
  readonly runsAsRoot: boolean;
  /** How `runs` came about, for messages. */
  readonly how: string;
}

export interface SecurityOptions {
  /** Docker keeps the last no-new-privileges option (provider order); undefined: none given. */
  readonly noNewPrivileges?: boolean;
  /** All values given for no-new-privileges, in the order Docker applies them. */
  readonly noNewPrivilegesValues: readonly boolean[];
  readonly seccompUnconfined: boolean;
  readonly apparmorUnconfined: boolean;
  readonly labelDisabled: boolean;
  /** systempaths=unconfined: /proc and /sys paths unmasked and writable. */
  readonly systemPathsUnconfined: boolean;
  /** Options Docker refuses at create (the deployment fails there). */
  readonly invalid: readonly string[];
}

export interface Mount {
  readonly kind: "volume" | "bind" | "tmpfs" | "anonymous" | "volumes-from";
  /** Volume name or host path. */
  readonly source?: string;
  readonly target: string;
  readonly readOnly: boolean;
  readonly via: "volumes" | "mounts" | "tmpfs";
}

export interface Limits {
  /** Bytes; undefined: no limit (unset or 0). */
  readonly memoryBytes?: number;
  /** memory + swap in bytes; "unlimited" for -1; undefined: Docker's default (twice the memory). */
  readonly memorySwap?: number | "unlimited";
  /** CPUs the container may use, from cpus, else cpuQuota/cpuPeriod, else the cpuSet size; undefined: no limit. */
  readonly cpus?: number;
  readonly cpuLimitSource?: string;
  readonly cpuShares?: number;
  /** RLIMIT_NPROC; -1 unlimited. */
  readonly nproc?: { readonly soft: number; readonly hard: number };
}

export interface PublishedPort {
  readonly internal?: number;
  /** undefined: Docker picks a random host port. */
  readonly external?: number;
  /** The provider's default is 0.0.0.0; "" is every address too. */
  readonly ip: string;
  readonly protocol: string;
}

export interface NetworkAttachment {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly via: "networkMode" | "networksAdvanced";
}

export interface ContainerRuntime {
  readonly urn: string;
  /** The Docker name (`name` input), else the Pulumi name. */
  readonly name: string;
  readonly imageReference: Known<string>;
  readonly image: ImageRef;
  readonly facts: ImageFacts;
  readonly entrypoint?: readonly string[];
  readonly command?: readonly string[];
  readonly argvUnknown: boolean;
  readonly launch: Launch;
  readonly user: Known<EffectiveUser>;
  readonly privileged: Known<boolean>;
  /** Effective capability set (Docker's TweakCapabilities), upper case without CAP_. */
  readonly capabilities: Known<ReadonlySet<string>>;
  readonly security: Known<SecurityOptions>;
  readonly devices: Known<readonly string[]>;
  readonly namespaces: { readonly pid?: string; readonly ipc?: string; readonly userns?: string; readonly cgroupns?: string };
  readonly mounts: Known<readonly Mount[]>;
  readonly readOnlyRootfs: boolean;
  readonly limits: Known<Limits>;
  readonly restart: Known<{ readonly policy: string; readonly maxRetries: number }>;
  /** One-shot job: the provider attaches and waits for its exit (attach true). */
  readonly oneShot: boolean;
  readonly healthcheck: Known<HealthcheckEffect>;
  readonly logging: Known<{ readonly driver: string; readonly options: ReadonlyMap<string, string> }>;
  readonly ports: Known<readonly PublishedPort[]>;
  readonly publishAllPorts: Known<boolean>;
  readonly networkMode: Known<string>;
  readonly networks: Known<readonly NetworkAttachment[]>;
  /** Names this container answers to: its name, hostname and network aliases. */
  readonly ownNames: ReadonlySet<string>;
  /** Env as Docker sets it: entries in provider order, the last of a repeated name winning. */
  readonly env: EffectiveEnv;
}

export interface EffectiveEnv {
  readonly values: ReadonlyMap<string, string>;
  /** Names given more than once, with every value in the order Docker applies them. */
  readonly repeated: ReadonlyMap<string, readonly string[]>;
  readonly unknown: readonly UnknownInput[];
}

const capName = (c: string) => c.trim().toUpperCase().replace(/^CAP_/, "");

/** Docker's TweakCapabilities: privileged = all; add ALL = all but drops; drop ALL = adds; else defaults - drops + adds. */
export function effectiveCapabilities(privileged: boolean, adds: readonly string[], drops: readonly string[]): Set<string> {
  if (privileged) return new Set(ALL_CAPABILITIES);
  const add = adds.map(capName);
  const drop = drops.map(capName);
  if (add.includes("ALL")) return new Set(ALL_CAPABILITIES.filter((c) => !drop.includes(c)));
  if (drop.includes("ALL")) return new Set(add);
  return new Set([...DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c)), ...add]);
}

/** Go's strconv.ParseBool. */
const parseGoBool = (text: string): boolean | undefined =>
  ["1", "t", "T", "TRUE", "true", "True"].includes(text) ? true : ["0", "f", "F", "FALSE", "false", "False"].includes(text) ? false : undefined;

/** Docker's parseSecurityOpt over the options in provider order. */
export function securityOptions(options: readonly string[]): SecurityOptions {
  const noNewPrivilegesValues: boolean[] = [];
  const invalid: string[] = [];
  let seccompUnconfined = false;
  let apparmorUnconfined = false;
  let labelDisabled = false;
  let systemPathsUnconfined = false;
  for (const option of providerSetOrder(options)) {
    if (option === "no-new-privileges") { noNewPrivilegesValues.push(true); continue; }
    if (option === "systempaths=unconfined") { systemPathsUnconfined = true; continue; }
    if (option === "disable") { labelDisabled = true; continue; }
    const sep = option.includes("=") ? option.indexOf("=") : option.indexOf(":");
    if (sep < 0) { invalid.push(option); continue; }
    const [key, value] = [option.slice(0, sep), option.slice(sep + 1)];
    if (key === "no-new-privileges") {
      const parsed = parseGoBool(value);
      if (parsed === undefined) invalid.push(option);
      else noNewPrivilegesValues.push(parsed);
    } else if (key === "seccomp") seccompUnconfined ||= value === "unconfined";
    else if (key === "apparmor") apparmorUnconfined ||= value === "unconfined";
    else if (key === "label") labelDisabled ||= value === "disable";
    else invalid.push(option);
  }
  return {
    noNewPrivileges: noNewPrivilegesValues.length > 0 ? noNewPrivilegesValues[noNewPrivilegesValues.length - 1] : undefined,
    noNewPrivilegesValues, seccompUnconfined, apparmorUnconfined, labelDisabled, systemPathsUnconfined, invalid,
  };
}

/** A user spec whose uid is 0: "root", "0", "00", "root:…", "0:…". */
export const isRootUser = (spec: string): boolean => {
  const uid = spec.trim().split(":")[0]!;
  return uid === "root" || /^0+$/.test(uid);
};

function effectiveUser(userInput: string | undefined, facts: ImageFacts, launch: Launch): EffectiveUser {
  const given = userInput !== undefined && userInput.trim() !== "";
  const start = given ? userInput!.trim() : facts.user ?? "";
  const startSource = given ? "user input" : facts.user !== undefined ? "image USER" : "Docker's default";
  const startsAsRoot = start === "" || isRootUser(start);
  if (!startsAsRoot) return { start, startSource, startsAsRoot, runs: start, runsAsRoot: false, how: `starts as ${start} (${startSource})` };
  // Root can switch users; the last switch wins, then the image's entrypoint drops if it still is root.
  let runs = start === "" ? "root" : start;
  let how = `starts as root (${startSource})`;
  for (const target of launch.switches) {
    runs = target;
    how += `, then switches to ${target}`;
  }
  if (isRootUser(runs) && launch.imageDrop) {
    runs = launch.imageDrop;
    how += `, then the image's entrypoint drops to ${launch.imageDrop}`;
  }
  return { start, startSource, startsAsRoot, runs, runsAsRoot: isRootUser(runs), how };
}

/** Config.Env as Docker applies it: provider set order, later entries replacing earlier ones. */
export function effectiveEnv(entries: Snapshot): EffectiveEnv {
  const { values: known, unknown } = stringsOf(entries);
  const values = new Map<string, string>();
  const all = new Map<string, string[]>();
  for (const entry of providerSetOrder(known)) {
    const eq = entry.indexOf("=");
    if (eq <= 0) continue;
    const [name, value] = [entry.slice(0, eq), entry.slice(eq + 1)];
    values.set(name, value);
    all.set(name, [...(all.get(name) ?? []), value]);
  }
  return { values, repeated: new Map([...all].filter(([, v]) => v.length > 1)), unknown };
}

/** A field is unknown when the value itself or any element the model needs is. */
function firstUnknown(...values: Snapshot[]): UnknownInput | undefined {
  for (const value of values) {
    if (isUnknownInput(value)) return value;
    if (Array.isArray(value)) {
      const inner = firstUnknown(...value);
      if (inner) return inner;
    } else if (rec(value)) {
      const inner = firstUnknown(...Object.values(rec(value)!));
      if (inner) return inner;
    }
  }
  return undefined;
}

/** Builds `compute()` unless one of `inputs` is unknown, which is returned instead. */
const whenKnown = <T>(inputs: Snapshot[], compute: () => T): Known<T> => firstUnknown(...inputs) ?? compute();

function mountsOf(p: SnapshotRecord): Mount[] {
  const mounts: Mount[] = [];
  for (const v of list(p.volumes).map(rec)) {
    if (!v) continue;
    const hostPath = str(v.hostPath);
    const volumeName = str(v.volumeName);
    const target = str(v.containerPath) ?? "";
    const readOnly = bool(v.readOnly) === true;
    if (str(v.fromContainer)) mounts.push({ kind: "volumes-from", source: str(v.fromContainer), target, readOnly, via: "volumes" });
    else if (hostPath) mounts.push({ kind: "bind", source: hostPath, target, readOnly, via: "volumes" });
    else if (volumeName) mounts.push({ kind: "volume", source: volumeName, target, readOnly, via: "volumes" });
    else mounts.push({ kind: "anonymous", target, readOnly, via: "volumes" });
  }
  for (const m of list(p.mounts).map(rec)) {
    if (!m) continue;
    const type = str(m.type) ?? "volume";
    const kind = type === "bind" ? "bind" : type === "tmpfs" ? "tmpfs" : str(m.source) ? "volume" : "anonymous";
    mounts.push({ kind, source: str(m.source), target: str(m.target) ?? "", readOnly: bool(m.readOnly) === true, via: "mounts" });
  }
  for (const target of Object.keys(rec(p.tmpfs) ?? {})) mounts.push({ kind: "tmpfs", target, readOnly: false, via: "tmpfs" });
  return mounts;
}

/** opts.ParseCPUs: a decimal number of CPUs ("0.5"); 0 means no limit. */
function limitsOf(p: SnapshotRecord): Limits {
  const memory = num(p.memory) ?? 0;
  const swap = num(p.memorySwap);
  const cpus = num(p.cpus) ?? 0;
  const quota = num(p.cpuQuota) ?? 0;
  const period = num(p.cpuPeriod) || 100_000;
  const cpuSet = str(p.cpuSet);
  const setSize = cpuSet ? cpuSet.split(",").reduce((n, part) => {
    const [a, b] = part.split("-").map(Number);
    return n + (b === undefined ? 1 : b! - a! + 1);
  }, 0) : undefined;
  // The provider uses cpu_period/cpu_quota only when cpus is unset.
  const cpuLimit = p.cpus !== undefined && str(p.cpus) !== undefined && str(p.cpus) !== ""
    ? (cpus > 0 ? { cpus, cpuLimitSource: `cpus ${str(p.cpus)}` } : setSize ? { cpus: setSize, cpuLimitSource: `cpuSet ${cpuSet}` } : {})
    : quota > 0 ? { cpus: quota / period, cpuLimitSource: `cpuQuota ${quota}/cpuPeriod ${period}` }
      : setSize ? { cpus: setSize, cpuLimitSource: `cpuSet ${cpuSet}` } : {};
  const nproc = list(p.ulimits).map(rec).find((u) => str(u?.name) === "nproc");
  return {
    memoryBytes: memory > 0 ? memory * 1024 * 1024 : undefined,
    memorySwap: swap === -1 ? "unlimited" : swap !== undefined && swap > 0 ? swap * 1024 * 1024 : undefined,
    ...cpuLimit,
    cpuShares: num(p.cpuShares),
    nproc: nproc ? { soft: num(nproc.soft) ?? 0, hard: num(nproc.hard) ?? 0 } : undefined,
  };
}

function networksOf(p: SnapshotRecord): NetworkAttachment[] {
  const mode = str(p.networkMode) ?? "bridge";
  const advanced = list(p.networksAdvanced).map(rec).filter((n): n is SnapshotRecord => n !== undefined).map((n): NetworkAttachment => ({
    name: str(n.name) ?? "", aliases: stringsOf(n.aliases).values, via: "networksAdvanced",
  }));
  // Created on network_mode, then (with networks_advanced) disconnected from "bridge" only and connected to each.
  const special = mode === "host" || mode === "none" || mode.startsWith("container:");
  const onMode = special ? [] : mode === "default" ? ["bridge"] : [mode];
  const kept = advanced.length > 0 ? onMode.filter((n) => n !== "bridge") : onMode;
  return [...kept.map((name): NetworkAttachment => ({ name, aliases: [], via: "networkMode" })), ...advanced];
}

function buildRuntime(urn: string, resourceName: string, p: SnapshotRecord): ContainerRuntime {
  const imageReference: Known<string> = isUnknownInput(p.image) ? p.image : str(p.image) ?? "";
  const image = parseImageRef(typeof imageReference === "string" ? imageReference : "");
  const facts = imageFacts(image);
  const entry = p.entrypoints === undefined ? undefined : stringsOf(p.entrypoints);
  const cmd = p.command === undefined ? undefined : stringsOf(p.command);
  const launch = followLaunch(entry?.values, cmd?.values, facts);
  const capabilities = rec(p.capabilities);
  const health = rec(list(p.healthcheck)[0] ?? p.healthcheck);
  const ownNames = new Set<string>([str(p.name), str(p.hostname), ...list(p.networksAdvanced).flatMap((n) => stringsOf(rec(n)?.aliases).values)]
    .filter((n): n is string => !!n).map((n) => n.toLowerCase()));
  const privileged = isUnknownInput(p.privileged) ? p.privileged : bool(p.privileged) === true;
  return {
    urn,
    name: str(p.name) || resourceName,
    imageReference,
    image,
    facts,
    entrypoint: entry?.values,
    command: cmd?.values,
    argvUnknown: (entry?.unknown.length ?? 0) + (cmd?.unknown.length ?? 0) > 0,
    launch,
    user: whenKnown([p.user, p.entrypoints, p.command], () => effectiveUser(str(p.user), facts, launch)),
    privileged,
    capabilities: whenKnown([p.privileged, p.capabilities], () =>
      effectiveCapabilities(privileged === true, stringsOf(capabilities?.adds).values, stringsOf(capabilities?.drops).values)),
    security: whenKnown([p.securityOpts], () => securityOptions(stringsOf(p.securityOpts).values)),
    devices: whenKnown([p.devices], () => list(p.devices).map((d) => str(rec(d)?.hostPath) ?? "")),
    namespaces: { pid: str(p.pidMode), ipc: str(p.ipcMode), userns: str(p.usernsMode), cgroupns: str(p.cgroupnsMode) },
    mounts: whenKnown([p.volumes, p.mounts, p.tmpfs], () => mountsOf(p)),
    readOnlyRootfs: bool(p.readOnly) === true,
    limits: whenKnown([p.memory, p.memorySwap, p.cpus, p.cpuQuota, p.cpuPeriod, p.cpuSet, p.cpuShares, p.ulimits], () => limitsOf(p)),
    restart: whenKnown([p.restart, p.maxRetryCount], () => ({ policy: str(p.restart) ?? "no", maxRetries: num(p.maxRetryCount) ?? 0 })),
    oneShot: bool(p.attach) === true,
    healthcheck: whenKnown([p.healthcheck], () => healthcheckEffect(health && {
      test: stringsOf(health.tests ?? health.test).values, interval: str(health.interval), timeout: str(health.timeout),
      startPeriod: str(health.startPeriod), retries: num(health.retries),
    }, ownNames)),
    logging: whenKnown([p.logDriver, p.logOpts], () => ({
      driver: str(p.logDriver) || "json-file",
      options: new Map(Object.entries(rec(p.logOpts) ?? {}).map(([k, v]) => [k, str(v) ?? String(v)])),
    })),
    ports: whenKnown([p.ports], () => list(p.ports).map(rec).filter((x): x is SnapshotRecord => x !== undefined).map((x) => ({
      internal: num(x.internal), external: num(x.external), ip: str(x.ip) ?? "0.0.0.0", protocol: str(x.protocol) ?? "tcp",
    }))),
    publishAllPorts: isUnknownInput(p.publishAllPorts) ? p.publishAllPorts : bool(p.publishAllPorts) === true,
    networkMode: isUnknownInput(p.networkMode) ? p.networkMode : str(p.networkMode) ?? "bridge",
    networks: whenKnown([p.networkMode, p.networksAdvanced], () => networksOf(p)),
    ownNames,
    env: effectiveEnv(p.envs),
  };
}

/** A resource as policies see it (resource policy args or a stack resource). */
export interface ContainerResource {
  readonly urn: string;
  readonly name: string;
  readonly props: unknown;
}

/** The container's runtime model, built once per distinct inputs. */
export function containerRuntime(container: ContainerResource): ContainerRuntime {
  const props = snapshotOf(container.props);
  return memoizedForInputs("docker-runtime", container.urn, props, () => props, (p) => `${container.urn}\u0000${snapshotText(p)}`, (p) => buildRuntime(container.urn, container.name, p));
}

/** The value of a model field a rule needs: an unknown one makes the rule undecidable at preview. */
export function need<T>(value: Known<T>): T {
  if (isUnknownInput(value)) throw value.error;
  return value;
}

/** The mount that holds `path`: the deepest one covering it (a deeper mount shadows a shallower one). */
export const mountHolding = (mounts: readonly Mount[], path: string): Mount | undefined => innermostMount(mounts, (m) => m.target, path);

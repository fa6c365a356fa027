// The real Docker engine for differential tests of the container runtime model: the Engine API over
// the local socket, a probe image made with `docker import` from Debian's static busybox (no
// registry is reachable), and the create request the docker provider builds from a container's
// inputs (kreuzwerker/terraform-provider-docker v4.5, resource_docker_container_funcs.go, which
// pulumi-docker 5 bridges), for the fields the model reads. Everything made is labelled and removed.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { providerSetOrder } from "../../policies/lib/docker/provider-sets";
import { goDurationSeconds } from "../../policies/lib/docker/healthcheck";
import { ensureDockerDaemon } from "../standup/images/docker-daemon";

export const TEST_LABEL = "com.jewelry-shop.test";
export const LABEL_VALUE = "h9-docker-runtime";
export const PROBE_IMAGE = "jewelry-h9-probe:busybox";
const SOCKET = "/var/run/docker.sock";

export interface ApiAnswer { readonly status: number; readonly body: unknown }

/** One Engine API call (API 1.41, Docker 20.10 as Debian ships it). */
export function dockerApi(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ socketPath: SOCKET, method, path: `/v1.41${path}`, headers: payload ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed: unknown = text;
        try { parsed = text ? JSON.parse(text) : undefined; } catch { /* plain text (logs) */ }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`docker ${method} ${path} timed out`)));
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/**
 * Docker answering: the stand-up's ensureDockerDaemon (installs docker.io, starts dockerd unless one
 * answers). The daemon is never stopped here: the stand-up's process may be using it (npm test stops
 * what it started, at the end of the run).
 */
export async function ensureDocker(): Promise<void> {
  await ensureDockerDaemon((line) => process.stderr.write(`docker-runtime: ${line}\n`));
}

/** A root filesystem with busybox's applets and the users the stack's images know, imported as an image. */
export function ensureProbeImage(): void {
  if (spawnSync("docker", ["image", "inspect", PROBE_IMAGE], { stdio: "ignore" }).status === 0) return;
  const root = mkdtempSync(join(tmpdir(), "h9-probe-"));
  try {
    for (const dir of ["bin", "etc", "tmp", "proc", "sys", "dev", "data"]) mkdirSync(join(root, dir), { recursive: true });
    copyFileSync("/bin/busybox", join(root, "bin", "busybox"));
    for (const applet of execFileSync("/bin/busybox", ["--list"]).toString().split("\n").filter((a) => a && a !== "busybox")) {
      symlinkSync("busybox", join(root, "bin", applet));
    }
    writeFileSync(join(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999::/var/lib/postgresql:/bin/sh\nappuser:x:1000:1000::/app:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/false\n");
    writeFileSync(join(root, "etc", "group"), "root:x:0:\npostgres:x:999:\nappgroup:x:1000:\nnogroup:x:65534:\n");
    const tar = spawnSync("sh", ["-c", `tar -C '${root}' -c . | docker import --change 'LABEL ${TEST_LABEL}=${LABEL_VALUE}' --change 'ENV PATH=/bin' - ${PROBE_IMAGE}`], { stdio: "pipe" });
    if (tar.status !== 0) throw new Error(`docker import failed: ${tar.stderr.toString()}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

type Props = Record<string, unknown>;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const rec = (v: unknown): Props => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Props) : {});
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const ns = (d: unknown) => Math.round((goDurationSeconds(str(d)) ?? 0) * 1e9);

/**
 * The create request (Config + HostConfig) the provider sends for `props`, as resourceDockerContainerCreate
 * builds it: sets in hash order (schema.Set.List), ports with ip 0.0.0.0 by default, memory in MiB,
 * memory_swap -1 kept, cpus as NanoCPUs (cpu_quota/cpu_period only without cpus), log_driver "" when unset.
 */
export function providerCreateRequest(props: Props): { Config: Props; HostConfig: Props } {
  const envs = arr(props.envs).filter((e): e is string => typeof e === "string");
  const caps = rec(props.capabilities);
  const exposed: Props = {};
  const bindings: Record<string, Props[]> = {};
  for (const port of arr(props.ports).map(rec)) {
    const key = `${port.internal}/${str(port.protocol) ?? "tcp"}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: str(port.ip) ?? "0.0.0.0", HostPort: port.external === undefined ? "" : String(port.external) });
  }
  const binds: string[] = [];
  const volumes: Props = {};
  for (const v of arr(props.volumes).map(rec)) {
    const source = str(v.hostPath) || str(v.volumeName);
    volumes[String(v.containerPath)] = {};
    if (source) binds.push(`${source}:${v.containerPath}:${v.readOnly === true ? "ro" : "rw"}`);
  }
  const health = rec(props.healthcheck);
  const securityOpts = providerSetOrder(arr(props.securityOpts).filter((o): o is string => typeof o === "string")).filter((o) => o !== "systempaths=unconfined");
  const cpus = str(props.cpus);
  const memory = typeof props.memory === "number" ? props.memory : 0;
  const swap = typeof props.memorySwap === "number" ? props.memorySwap : 0;
  return {
    Config: {
      ...(envs.length > 0 ? { Env: providerSetOrder(envs) } : {}),
      ...(props.user ? { User: props.user } : {}),
      ...(Object.keys(exposed).length > 0 ? { ExposedPorts: exposed } : {}),
      ...(Object.keys(volumes).length > 0 ? { Volumes: volumes } : {}),
      ...(arr(health.tests).length > 0 ? {
        Healthcheck: { Test: health.tests, Interval: ns(health.interval), Timeout: ns(health.timeout), StartPeriod: ns(health.startPeriod), Retries: health.retries ?? 0 },
      } : {}),
    },
    HostConfig: {
      Privileged: props.privileged === true,
      PublishAllPorts: props.publishAllPorts === true,
      RestartPolicy: { Name: str(props.restart) ?? "no", MaximumRetryCount: props.maxRetryCount ?? 0 },
      ReadonlyRootfs: props.readOnly === true,
      LogConfig: { Type: str(props.logDriver) ?? "", Config: rec(props.logOpts) },
      ...(props.tmpfs ? { Tmpfs: props.tmpfs } : {}),
      ...(Object.keys(bindings).length > 0 ? { PortBindings: bindings } : {}),
      ...(binds.length > 0 ? { Binds: binds } : {}),
      Mounts: arr(props.mounts).map(rec).map((m) => ({ Type: m.type, Target: m.target, Source: m.source ?? "", ReadOnly: m.readOnly === true })),
      ...(props.capabilities ? { CapAdd: providerSetOrder(arr(caps.adds) as string[]), CapDrop: providerSetOrder(arr(caps.drops) as string[]) } : {}),
      ...(props.devices ? { Devices: arr(props.devices).map(rec).map((d) => ({ PathOnHost: d.hostPath, PathInContainer: d.containerPath ?? d.hostPath, CgroupPermissions: d.permissions ?? "rwm" })) } : {}),
      ...(securityOpts.length > 0 ? { SecurityOpt: securityOpts } : {}),
      ...(memory > 0 ? { Memory: memory * 1024 * 1024 } : {}),
      ...(swap !== 0 ? { MemorySwap: swap > 0 ? swap * 1024 * 1024 : swap } : {}),
      ...(cpus ? { NanoCpus: Math.round(Number(cpus) * 1e9) } : { ...(props.cpuQuota ? { CpuQuota: props.cpuQuota } : {}), ...(props.cpuPeriod ? { CpuPeriod: props.cpuPeriod } : {}) }),
      ...(props.cpuShares ? { CpuShares: props.cpuShares } : {}),
      ...(props.cpuSet ? { CpusetCpus: props.cpuSet } : {}),
      ...(props.ulimits ? { Ulimits: arr(props.ulimits).map(rec).map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })) } : {}),
      NetworkMode: str(props.networkMode) ?? "bridge",
      ...(props.pidMode ? { PidMode: props.pidMode } : {}),
      ...(props.ipcMode ? { IpcMode: props.ipcMode } : {}),
      Init: props.init === true,
    },
  };
}

/** Linux capability numbers (include/uapi/linux/capability.h). */
export const CAPABILITY_BITS: Readonly<Record<string, number>> = {
  CHOWN: 0, DAC_OVERRIDE: 1, DAC_READ_SEARCH: 2, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7, SETPCAP: 8, LINUX_IMMUTABLE: 9,
  NET_BIND_SERVICE: 10, NET_BROADCAST: 11, NET_ADMIN: 12, NET_RAW: 13, IPC_LOCK: 14, IPC_OWNER: 15, SYS_MODULE: 16, SYS_RAWIO: 17,
  SYS_CHROOT: 18, SYS_PTRACE: 19, SYS_PACCT: 20, SYS_ADMIN: 21, SYS_BOOT: 22, SYS_NICE: 23, SYS_RESOURCE: 24, SYS_TIME: 25,
  SYS_TTY_CONFIG: 26, MKNOD: 27, LEASE: 28, AUDIT_WRITE: 29, AUDIT_CONTROL: 30, SETFCAP: 31, MAC_OVERRIDE: 32, MAC_ADMIN: 33,
  SYSLOG: 34, WAKE_ALARM: 35, BLOCK_SUSPEND: 36, AUDIT_READ: 37, PERFMON: 38, BPF: 39, CHECKPOINT_RESTORE: 40,
};

/** Capability names in a /proc/<pid>/status hex mask. */
export function capabilityNames(hex: string): Set<string> {
  const mask = BigInt(`0x${hex}`);
  return new Set(Object.entries(CAPABILITY_BITS).filter(([, bit]) => (mask >> BigInt(bit)) & 1n).map(([name]) => name));
}

/**
 * Removes every container, network, volume and image the test labelled (never anything else); run
 * before the tests too, so what a killed run left behind goes on the next run.
 */
export function removeLabelled(): void {
  const filter = `label=${TEST_LABEL}=${LABEL_VALUE}`;
  const ids = (kind: string, args: string[]) => execFileSync("docker", [kind, "ls", ...args, "-q", "--filter", filter]).toString().split("\n").filter(Boolean);
  for (const id of ids("container", ["-a"])) spawnSync("docker", ["rm", "-f", "-v", id], { stdio: "ignore" });
  for (const id of ids("network", [])) spawnSync("docker", ["network", "rm", id], { stdio: "ignore" });
  for (const id of ids("volume", [])) spawnSync("docker", ["volume", "rm", id], { stdio: "ignore" });
  for (const id of new Set(ids("image", []))) spawnSync("docker", ["image", "rm", "-f", id], { stdio: "ignore" });
}

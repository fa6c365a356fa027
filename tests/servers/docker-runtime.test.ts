// The container runtime model (policies/lib/docker/runtime.ts) against Docker's own view: the
// production stack's containers and realistic variants go through the create request the docker
// provider builds (set order, defaults), Docker creates and runs each from a local busybox image, and
// what the process then has (uid, capability sets, no_new_privs, env, process limit), what Docker
// applies (memory, CPUs, mounts), publishes and connects, and how it judges a healthcheck must equal
// what the model says. Docker 20.10 (Debian bookworm's docker.io). The variants run concurrently.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonValue } from "../../check/json";
import { publicSockets } from "../../policies/lib/docker/published";
import { containerRuntime, mountHolding, need, type ContainerRuntime } from "../../policies/lib/docker/runtime";
import { containers } from "../program/production-run";
import { containerInputs, productionRunWithSecrets, revealed } from "../program/production-run-with-secrets";
import {
  capabilityNames, dockerApi, ensureDocker, ensureProbeImage, LABEL_VALUE, PROBE_IMAGE, providerCreateRequest, removeLabelled, TEST_LABEL,
} from "./docker-engine";
import { freePort, waitFor } from "./fixtures";

type Props = Record<string, unknown>;
const LABELS = { [TEST_LABEL]: LABEL_VALUE };
const DONE = "probe-done";
/** Between polls of dockerd: a dozen containers polled every 50 ms keep it busier than their start-ups. */
const POLL_MS = 250;

/** What the probe prints from inside the container, then it stays up so Docker shows its published ports. */
const PROBE = [
  "echo uid=$(id -u)",
  "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status",
  "echo nproc=$(ulimit -u)",
  "env | sed 's/^/env /'",
  "awk '$2 ~ /^\\/data/ {print \"mount \" $2 \" \" $3}' /proc/mounts",
  `echo ${DONE}`,
  "exec sleep 60",
].join("; ");

interface Inspected {
  readonly HostConfig: { Memory: number; MemorySwap: number; NanoCpus: number; CpuQuota: number; CpuPeriod: number };
  readonly NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[] | null>; Networks: Record<string, unknown> };
  readonly Mounts: { Destination: string; RW: boolean }[];
  readonly Config: { Healthcheck?: { Test: string[] } };
  readonly State: { Running: boolean; Health?: { Status: string } };
}

interface Observed {
  /** Docker's refusal to create or start the container (undefined: it ran). */
  readonly refused?: string;
  readonly lines: ReadonlyMap<string, string>;
  readonly env: ReadonlyMap<string, string>;
  readonly mounts: ReadonlyMap<string, string>;
  readonly inspect?: Inspected;
}

const runtimeOf = (props: Props): ContainerRuntime => containerRuntime({ urn: `urn:test::${JSON.stringify(props)}`, name: "variant", props });

let stack: Array<[string, Props]>;
let hostBounding: Set<string>;
let dataDir: string;

beforeAll(async () => {
  await ensureDocker();
  removeLabelled();
  ensureProbeImage();
  dataDir = mkdtempSync(join(tmpdir(), "h9-docker-data-"));
  // The tmpfs test mounts under a read-only bind: its mount point must exist in the bound folder.
  mkdirSync(join(dataDir, "deep"));
  // Docker cannot grant more than its own bounding set (this machine may itself be a container).
  hostBounding = capabilityNames(/CapBnd:\s*([0-9a-f]+)/.exec(readFileSync("/proc/self/status", "utf8"))![1]!);
  // The program run loads index.ts synchronously: done before the tests, so it stalls no Docker call in flight.
  stack = await stackContainers();
}, 120_000);

afterAll(() => {
  removeLabelled();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function logsOf(id: string): Promise<string> {
  // With a TTY Docker returns the output as written (no multiplexed frame headers).
  const out = await dockerApi("GET", `/containers/${id}/logs?stdout=1&stderr=1`);
  return String(out.body ?? "").replace(/\r/g, "");
}

/** Creates the container the provider would create for `props` (the probe as its program), runs it, inspects it, removes it. */
async function observe(props: Props, options: { run?: boolean; command?: string; afterCreate?: (id: string) => Promise<void> } = {}): Promise<Observed> {
  const { Config, HostConfig } = providerCreateRequest(props);
  const created = await dockerApi("POST", "/containers/create", {
    ...Config, Image: PROBE_IMAGE, Entrypoint: ["/bin/sh", "-c", options.command ?? PROBE], Tty: true, Labels: LABELS, HostConfig,
  });
  const id = (created.body as { Id?: string }).Id;
  const empty = { lines: new Map(), env: new Map(), mounts: new Map() };
  if (!id) return { ...empty, refused: (created.body as { message?: string }).message ?? `status ${created.status}` };
  try {
    await options.afterCreate?.(id);
    let logs = "";
    if (options.run !== false) {
      const started = await dockerApi("POST", `/containers/${id}/start`);
      if (started.status >= 300) return { ...empty, refused: (started.body as { message?: string }).message ?? `status ${started.status}` };
      if (!options.command) {
        await waitFor("the probe's output", async () => (logs = await logsOf(id)).includes(DONE), 20_000, POLL_MS);
      }
    }
    const inspect = (await dockerApi("GET", `/containers/${id}/json`)).body as Inspected;
    const lines = new Map<string, string>();
    const env = new Map<string, string>();
    const mounts = new Map<string, string>();
    for (const line of logs.split("\n")) {
      const mount = /^mount (\S+) (\S+)$/.exec(line);
      const entry = /^env ([^=]+)=(.*)$/.exec(line);
      const kv = /^(uid|CapEff|CapBnd|NoNewPrivs|nproc)[=:]\s*(.*)$/.exec(line);
      if (mount) mounts.set(mount[1]!, mount[2]!);
      else if (entry) env.set(entry[1]!, entry[2]!);
      else if (kv) lines.set(kv[1]!, kv[2]!);
    }
    return { lines, env, mounts, inspect };
  } finally {
    await dockerApi("DELETE", `/containers/${id}?force=true&v=true`);
  }
}

const sorted = (set: Iterable<string>) => [...set].sort();

/**
 * The model's capability set is what Docker gives the container (its bounding set, and a root
 * process's effective set); a set Docker cannot grant on this host makes it refuse to start.
 */
function expectCapabilities(o: Observed, model: ContainerRuntime): void {
  const caps = need(model.capabilities);
  if (![...caps].every((c) => hostBounding.has(c))) {
    expect(o.refused).toMatch(/apply caps|operation not permitted/);
    return;
  }
  expect(o.refused).toBeUndefined();
  expect(sorted(capabilityNames(o.lines.get("CapBnd") ?? "0"))).toEqual(sorted(caps));
  if (o.lines.get("uid") === "0") expect(sorted(capabilityNames(o.lines.get("CapEff") ?? "0"))).toEqual(sorted(caps));
}

/** Internal ports Docker publishes on every address (0.0.0.0 or ::). */
const publicPorts = (o: Observed) =>
  Object.entries(o.inspect!.NetworkSettings.Ports ?? {})
    .filter(([, v]) => (v ?? []).some((x) => x.HostIp === "0.0.0.0" || x.HostIp === "::"))
    .map(([k]) => Number(k.split("/")[0])).sort((a, b) => a - b);
const modelPublicPorts = (model: ContainerRuntime) => publicSockets(model).map((s) => s.port!.internal!).sort((a, b) => a - b);

/** Memory and CPU limits as Docker applied them, in the model's terms. */
function expectLimits(o: Observed, model: ContainerRuntime): void {
  const limits = need(model.limits);
  const host = o.inspect!.HostConfig;
  expect(host.Memory > 0 ? host.Memory : undefined).toBe(limits.memoryBytes);
  expect(host.MemorySwap === -1 ? "unlimited" : host.MemorySwap > 0 ? host.MemorySwap : undefined).toBe(limits.memorySwap);
  const cpus = host.NanoCpus > 0 ? host.NanoCpus / 1e9 : host.CpuQuota > 0 ? host.CpuQuota / (host.CpuPeriod || 100000) : undefined;
  expect(cpus).toBe(limits.cpus);
}

/**
 * The container's inputs the model and Docker both read, known at preview; volumes, mounts and
 * networks are left out (they would touch the host's and other tests' objects).
 */
const STACK_INPUTS = [
  "name", "image", "user", "capabilities", "securityOpts", "privileged", "memory", "memorySwap", "cpus", "cpuQuota", "cpuPeriod",
  "ulimits", "ports", "tmpfs", "readOnly", "restart", "logDriver", "logOpts", "init", "entrypoints", "command",
];

/** The production stack's containers with the inputs compared, host ports moved to free ones (the stack's 80 and 443 belong to the host). */
async function stackContainers(): Promise<Array<[string, Props]>> {
  const program = await productionRunWithSecrets();
  return Promise.all(containers(program).map(async (container): Promise<[string, Props]> => {
    const object = container.object as Record<string, JsonValue>;
    const props: Props = {};
    for (const key of STACK_INPUTS) if (object[key] !== undefined) props[key] = revealed(object[key], `${container.name}.${key}`);
    props.envs = [...containerInputs(program, container.name).env].map(([name, value]) => `${name}=${value}`);
    const ports = (props.ports as { internal: number; external?: number; ip?: string; protocol?: string }[] | undefined) ?? [];
    props.ports = await Promise.all(ports.map(async (p) => ({ ...p, external: await freePort() })));
    // The stack's networks are left out; a container that publishes nothing starts faster with none.
    if (ports.length === 0) props.networkMode = "none";
    return [container.name, props];
  }));
}

/** One container per distinct set of the inputs that shape the process (the others differ only in limits, image or program). */
const PROCESS_INPUTS = ["user", "capabilities", "securityOpts", "privileged", "ulimits", "tmpfs", "readOnly", "init", "networkMode"];
function distinctProcesses(all: Array<[string, Props]>): Array<[string, Props]> {
  const seen = new Map<string, [string, Props]>();
  for (const [name, props] of all) {
    const key = JSON.stringify(PROCESS_INPUTS.map((k) => props[k]));
    if (!seen.has(key)) seen.set(key, [name, props]);
  }
  return [...seen.values()];
}

/** Runs `task` over `items`, at most `limit` at a time (Docker on two cores stalls on many parallel starts). */
async function inBatches<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += limit) await Promise.all(items.slice(i, i + limit).map(task));
}

const HARDENED: Props = {
  name: "jewelry-web", image: "registry.example.org/jewelry-shop/web:v1.0.0", user: "appuser:appgroup", restart: "unless-stopped",
  memory: 64, memorySwap: 64, cpus: "0.5", securityOpts: ["no-new-privileges:true"], capabilities: { drops: ["ALL"], adds: [] },
  ulimits: [{ name: "nproc", soft: 1024, hard: 1024 }], logDriver: "json-file", logOpts: { "max-size": "10m", "max-file": "5" },
  envs: ["DJANGO_SETTINGS_MODULE=config.settings.production", "DEBUG=False", "SITE_URL=https://shop.example.org"],
  // No network unless a variant is about one: Docker starts such a container much faster.
  networkMode: "none",
};
const variant = (change: Props) => ({ ...HARDENED, ...change });

describe.concurrent("the runtime model equals what Docker runs", () => {
  it("the production stack's containers: the user, capabilities, no_new_privs, process limit, env and public ports of each distinct process, the memory and CPU of each", async () => {
    const all = stack;
    expect(all.length).toBeGreaterThan(10);
    await inBatches(all, 6, async ([name, props]) => {
      const o = await observe(props, { run: false });
      expect(o.refused, name).toBeUndefined();
      expectLimits(o, runtimeOf(props));
    });
    await inBatches(distinctProcesses(all), 4, async ([name, props]) => {
      const model = runtimeOf(props);
      const o = await observe(props);
      expect(o.refused, name).toBeUndefined();
      expect(o.lines.get("uid") === "0", `${name} starts as root`).toBe(need(model.user).startsAsRoot);
      if (/^\d+(:\d+)?$/.test(String(props.user ?? ""))) expect(o.lines.get("uid"), name).toBe(String(props.user).split(":")[0]);
      expectCapabilities(o, model);
      expect(o.lines.get("NoNewPrivs"), name).toBe(need(model.security).noNewPrivileges ? "1" : "0");
      expect(Number(o.lines.get("nproc")), name).toBe(need(model.limits).nproc?.soft);
      for (const [key, value] of model.env.values) expect(o.env.get(key), `${name} env ${key}`).toBe(value);
      expect(publicPorts(o), name).toEqual(modelPublicPorts(model));
    });
    // Some 40 containers on an engine that, at the start of `npm test`, also builds or starts the
    // stand-up and the image-build test's probes: 60 s ran out there once (load 8-10).
  }, 240_000);

  it.each(["0:0", "root", "00", "0:1000", "appuser", "65534"])("user %s: uid 0 exactly when the model says root", async (user) => {
    const props = variant({ user, capabilities: undefined });
    const o = await observe(props);
    expect(o.lines.get("uid") === "0").toBe(need(runtimeOf(props).user).startsAsRoot);
  });

  it.each<[string, Props]>([
    ["Docker's defaults (no capabilities input)", { user: "0", capabilities: undefined }],
    ["drop ALL, add ALL", { user: "0", capabilities: { drops: ["ALL"], adds: ["ALL"] } }],
    ["privileged", { user: "0", privileged: true }],
    ["drop ALL, add two, spelled cap_chown and NET_BIND_SERVICE", { user: "0", capabilities: { drops: ["ALL"], adds: ["cap_chown", "NET_BIND_SERVICE"] } }],
    ["defaults minus NET_RAW and MKNOD", { user: "0", capabilities: { drops: ["NET_RAW", "MKNOD"], adds: [] } }],
    ["a non-root user with defaults keeps them in its bounding set", { user: "65534", capabilities: undefined }],
  ])("capabilities, %s", async (_what, change) => {
    const props = variant(change);
    expectCapabilities(await observe(props), runtimeOf(props));
  });

  it.each<[string, string[]]>([
    ["true then false", ["no-new-privileges:true", "no-new-privileges=false"]],
    ["false then true (program order does not matter: the provider orders the set by hash)", ["no-new-privileges=false", "no-new-privileges:true"]],
    ["bare option", ["no-new-privileges"]],
    ["TRUE with =", ["no-new-privileges=TRUE"]],
  ])("no-new-privileges %s", async (_what, securityOpts) => {
    const props = variant({ securityOpts });
    const o = await observe(props);
    expect(o.lines.get("NoNewPrivs")).toBe(need(runtimeOf(props).security).noNewPrivileges ? "1" : "0");
  });

  it("refuses at create exactly the security options the model calls invalid", async () => {
    const props = variant({ securityOpts: ["no-new-privileges:yes"] });
    const o = await observe(props, { run: false });
    expect(need(runtimeOf(props).security).invalid).toEqual(["no-new-privileges:yes"]);
    expect(o.refused).toBeDefined();
  });

  it.each<[string, string[]]>([
    ["False then True", ["DEBUG=False", "DEBUG=True"]],
    ["True then False", ["DEBUG=True", "DEBUG=False"]],
    ["three values", ["DEBUG=0", "DEBUG=yes", "DEBUG=off"]],
  ])("a repeated env name keeps the value the model names (%s)", async (_what, envs) => {
    const props = variant({ envs });
    const o = await observe(props);
    expect(o.env.get("DEBUG")).toBe(runtimeOf(props).env.values.get("DEBUG"));
  });

  it("publishes on every address exactly the ports the model calls public", async () => {
    const [a, b] = [await freePort(), await freePort()];
    const props = variant({ networkMode: undefined, ports: [{ internal: 7001, external: a }, { internal: 7002, external: b, ip: "127.0.0.1" }] });
    const o = await observe(props);
    expect(publicPorts(o)).toEqual(modelPublicPorts(runtimeOf(props)));
    expect(publicPorts(o)).toEqual([7001]);
  });

  it.each<Props>([{ memory: 64, memorySwap: -1 }, { memory: 0, memorySwap: 0 }, { cpus: undefined, cpuQuota: 50000, cpuPeriod: 100000 }, { cpus: "0" }])(
    "memory, swap and CPU limits as the model reads them: %j",
    async (change) => {
      const props = variant(change);
      expectLimits(await observe(props, { run: false }), runtimeOf(props));
    },
  );

  it("the mount that holds a path is the deepest one, as the model picks it", async () => {
    const props = variant({
      volumes: [{ hostPath: dataDir, containerPath: "/data", readOnly: true }],
      mounts: [{ type: "tmpfs", target: "/data/deep" }],
    });
    const o = await observe(props);
    const mounts = need(runtimeOf(props).mounts);
    expect(o.mounts.get("/data/deep")).toBe("tmpfs");
    expect(mountHolding(mounts, "/data/deep/pgdata")?.kind).toBe("tmpfs");
    expect(mountHolding(mounts, "/data/other")?.kind).toBe("bind");
    const bound = o.inspect!.Mounts.find((m) => m.Destination === "/data");
    expect(bound?.RW).toBe(!mountHolding(mounts, "/data/x")!.readOnly);
  });

  it("networkMode plus networksAdvanced: the provider leaves only the default bridge, as the model says", async () => {
    const suffix = `${process.pid}-${Math.random().toString(16).slice(2, 6)}`;
    const names = [`h9-internal-${suffix}`, `h9-edge-${suffix}`];
    try {
      for (const [i, name] of names.entries()) {
        const made = await dockerApi("POST", "/networks/create", { Name: name, Internal: i === 0, Labels: LABELS });
        expect(made.status).toBe(201);
      }
      const connectAsProvider = (props: Props) => async (id: string) => {
        // resourceDockerContainerCreate: disconnect "bridge" (ignoring "not connected"), then connect each networks_advanced entry.
        await dockerApi("POST", "/networks/bridge/disconnect", { Container: id, Force: false });
        for (const n of props.networksAdvanced as { name: string }[]) await dockerApi("POST", `/networks/${n.name}/connect`, { Container: id });
      };
      for (const props of [variant({ networkMode: undefined, networksAdvanced: [{ name: names[0] }] }), variant({ networkMode: names[1], networksAdvanced: [{ name: names[0] }] })]) {
        const o = await observe(props, { run: false, afterCreate: connectAsProvider(props) });
        expect(Object.keys(o.inspect!.NetworkSettings.Networks).sort()).toEqual(need(runtimeOf(props).networks).map((n) => n.name).sort());
      }
    } finally {
      for (const name of names) await dockerApi("DELETE", `/networks/${name}`);
    }
  });

  it.each<[string, string[], boolean]>([
    ["exit 0", ["CMD-SHELL", "exit 0"], true],
    ["|| true over a dead port", ["CMD-SHELL", "nc -z 127.0.0.1 9 || true"], true],
    ["; exit 0 after a dead port", ["CMD-SHELL", "nc -z 127.0.0.1 9; exit 0"], true],
    ["a real probe of a dead port", ["CMD-SHELL", "nc -z 127.0.0.1 9 || exit 1"], false],
  ])("healthcheck %s: healthy with nothing listening exactly when the model says it always passes", async (_what, tests, expected) => {
    const props = variant({ healthcheck: { tests, interval: "1s", timeout: "10s", retries: 1 } });
    let status = "";
    await observe(props, {
      command: "exec sleep 30",
      afterCreate: async (id) => {
        await dockerApi("POST", `/containers/${id}/start`);
        await waitFor("a health verdict", async () => {
          status = ((await dockerApi("GET", `/containers/${id}/json`)).body as Inspected).State.Health?.Status ?? "";
          return status === "healthy" || status === "unhealthy";
        }, 20_000, POLL_MS);
      },
      run: false,
    });
    expect(status === "healthy").toBe(need(runtimeOf(props).healthcheck).alwaysPasses !== undefined);
    expect(status === "healthy").toBe(expected);
  });

  it("NONE leaves Docker without a health state, as the model's 'disabled'", async () => {
    const props = variant({ healthcheck: { tests: ["NONE"] } });
    const o = await observe(props, { run: false });
    expect(need(runtimeOf(props).healthcheck).kind).toBe("disabled");
    expect(o.inspect!.Config.Healthcheck?.Test).toEqual(["NONE"]);
  });

  it("logDriver none keeps no logs the model could rotate", async () => {
    const props = variant({ logDriver: "none", logOpts: {} });
    let logStatus = 0;
    await observe(props, {
      command: "echo hello",
      run: false,
      afterCreate: async (id) => {
        await dockerApi("POST", `/containers/${id}/start`);
        await dockerApi("POST", `/containers/${id}/wait`);
        logStatus = (await dockerApi("GET", `/containers/${id}/logs?stdout=1`)).status;
      },
    });
    expect(logStatus).toBeGreaterThanOrEqual(400);
    expect(need(runtimeOf(props).logging).driver).toBe("none");
  });
});

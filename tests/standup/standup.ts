// Stand-up of the stack the program declares, in the local Docker engine: the program's own
// networks, volumes, containers and database objects, created through the Docker Engine API and
// PostgreSQL as `pulumi up` would create them, then inspected and exercised by tests/standup/*.
//
// API
//   standUp(options: StandUpOptions): Promise<StandUp>
//     Runs the real program (index.ts, the stack's own config; `secure:` keys get fresh test values,
//     `appImage` the reference app) under Pulumi's mocks as an update, the mocks playing the engine:
//     each resource is created for real when the SDK registers it (after everything it depends on)
//     and the program gets its real outputs (a deploy job's exit code). A declared input the stand-up
//     cannot apply fails before that resource is created. Waits for a running stand-up to end
//     (standup-lock.ts), then sweeps leftovers of crashed runs; on
//     any failure removes what it created and rethrows. Needs root and a running dockerd.
//   StandUp
//     runId                      labels every object: com.jewelry-shop.test=standup, com.jewelry-shop.test.run=<runId>
//     declared                   DeclaredStack: every resource the program registered (inputs, dependencies, state)
//     containers                 by container name: id, resource name, image run, exit code of one-shot jobs
//     skipped                    declared containers left out, each with the reason (no local image, or depends on one)
//     substitutions              every way the stand-up departs from a real `pulumi up`, one line each
//     cloudStandIns              the S3 servers of the run that stand in for R2 and B2 (tests/standup/cloud),
//                                started before the container that writes to them, with its CA trusted there
//     timings                    seconds: the whole run (resources) and each container's create
//     tearDown()                 removes every container, network and volume of the run, the egress guard
//                                and the host folders it created; safe to call twice
//   The database providers reach PostgreSQL through a stand-in of the administrators' SSH tunnel
//   (127.0.0.1:<postgres.adminPort> -> PostgreSQL's fixed address), open only while resources are created.
//   standUpInfo(standUp)         the JSON-serialisable part (what vitest hands the test files)
//   sweepStandUps()              removes leftovers of every earlier run (by label)
//   SKIP_ENV                     JEWELRY_SHOP_SKIP_STANDUP=1 skips the stand-up on purpose (CI never sets it)
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import type Dockerode from "dockerode";
import { startS3StandIns, type CloudStandIn } from "./cloud/s3-standins";
import { containerPlan, type ContainerPlan } from "./docker/container-spec";
import { connectDocker, foreignNameClashes, removeLabelled, runLabels } from "./docker/docker-engine";
import { guardEgress, releaseEgress } from "./docker/egress-guard";
import { runContainer } from "./docker/run-container";
import { openAdminTunnel, type AdminTunnel } from "./postgres/admin-tunnel";
import { applyPostgresqlResource, isPostgresqlResource, providerConnection, type ProviderConnection } from "./postgres/applier";
import { knownInputs } from "./program/inputs";
import { CLOUD_STANDINS } from "./program/mock-outputs";
import { declaredStack, inputsOf, type DeclaredResource, type DeclaredStack } from "./program/declared-stack";
import type { ResourceState } from "./program/mock-outputs";
import { dynamicProviders } from "./dynamic-resource";
import { acquireStandUpLock } from "./standup-lock";
import { providerUrn, ResourceGraph } from "./resource-graph";

export { SKIP_ENV } from "./docker/docker-engine";

/** Where the stand-up's images come from (tests/standup/images). */
export interface StandUpImages {
  /** The reference app image: becomes the stack's `appImage`. */
  readonly appImage: string;
  /** The S3 server that stands in for the cloud object stores (tests/standup/cloud). */
  readonly s3StandInImage: string;
  /** The local image that stands in for a declared reference, or why there is none. */
  resolve(reference: string): { readonly image: string } | { readonly excluded: string };
  /** Resolves once the local image `tag` exists (the build runs alongside the stand-up); rejects when its build failed. */
  ready(tag: string): Promise<void>;
}

export interface StandUpOptions {
  readonly images: StandUpImages;
  readonly stack?: string;
  readonly log?: (line: string) => void;
}

export interface StandUpContainer {
  readonly name: string;
  readonly id: string;
  readonly resource: string;
  /** The image it runs here. */
  readonly image: string;
  readonly exitCode?: number;
}

export interface StandUpInfo {
  readonly runId: string;
  readonly declared: DeclaredStack;
  readonly containers: Readonly<Record<string, StandUpContainer>>;
  readonly skipped: readonly { readonly resource: string; readonly reason: string }[];
  readonly substitutions: readonly string[];
  readonly timings: Readonly<Record<string, number>>;
  /** The S3 stand-ins of the cloud object stores (R2, B2) a declared container writes to. */
  readonly cloudStandIns: readonly CloudStandIn[];
}

export interface StandUp extends StandUpInfo {
  tearDown(): Promise<void>;
}

const CONTAINER = "docker:index/container:Container";
const NETWORK = "docker:index/network:Network";
const VOLUME = "docker:index/volume:Volume";
const ATTACH_TIMEOUT_SECONDS = 600;
/** How long a failed stand-up waits for creates in flight before it tears down (a healthy-wait takes up to 180 s). */
const IN_FLIGHT_TIMEOUT_MS = 240_000;
/** How long a stand-up waits for a running one to end before it fails (it never sweeps a live one). */
const STANDUP_LOCK_WAIT_MS = 15 * 60_000;

export function standUpInfo(standUp: StandUp): StandUpInfo {
  const { tearDown: _tearDown, ...info } = standUp;
  return JSON.parse(JSON.stringify(info)) as StandUpInfo;
}

export async function sweepStandUps(docker?: Dockerode): Promise<number> {
  const client = docker ?? (await connectDocker());
  return (await removeLabelled(client)) + releaseEgress();
}

/** Mount propagation of the host mount holding `path` (findmnt). */
function propagationOf(path: string): string {
  return execFileSync("findmnt", ["-n", "-o", "PROPAGATION", "--target", path], { encoding: "utf8" }).trim();
}

/**
 * A bind with slave/shared propagation needs a shared or slave host mount; on a host whose mount is
 * private (this machine's / is), Docker refuses it. The stand-up then binds without propagation.
 */
function adaptPropagation(plan: ContainerPlan, substitutions: string[]): void {
  for (const mount of plan.create.HostConfig?.Mounts ?? []) {
    const propagation = mount.BindOptions?.Propagation;
    if (mount.Type !== "bind" || !propagation || !/slave|shared/.test(propagation)) continue;
    const host = propagationOf(mount.Source);
    if (host !== "private") continue;
    delete mount.BindOptions;
    substitutions.push(`${plan.name}: bind ${mount.Source} -> ${mount.Target} without ${propagation} propagation (the host mount is private here)`);
  }
}

function assertPortFree(port: number, host: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => reject(new Error(`${what}: port ${host}:${port} is taken (${error.code}); the stand-up needs it free`)));
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** A `wait` whose first health probe comes after waitTimeout can never succeed: say so before it starts. */
function assertWaitCanSucceed(plan: ContainerPlan): void {
  const health = plan.create.Healthcheck;
  if (!plan.lifecycle.wait || !health) return;
  const firstProbeSeconds = (health.Interval ?? 0) / 1e9;
  if (firstProbeSeconds > plan.lifecycle.waitTimeoutSeconds) {
    throw new Error(
      `${plan.name}: wait is set with waitTimeout ${plan.lifecycle.waitTimeoutSeconds} s, but its healthcheck interval is ${firstProbeSeconds} s ` +
        "and Docker runs the first probe only after one interval: `pulumi up` would fail on it. Shorten the interval or drop wait.",
    );
  }
}

export async function standUp(options: StandUpOptions): Promise<StandUp> {
  const log = options.log ?? (() => undefined);
  const runId = `${new Date().toISOString().replace(/[-:.TZ]/g, "").slice(0, 14)}-${randomBytes(3).toString("hex")}`;
  const labels = runLabels(runId);
  const timings: Record<string, number> = {};

  const docker = await connectDocker();
  const releaseLock = await acquireStandUpLock(STANDUP_LOCK_WAIT_MS, log);
  try {
    const swept = await sweepStandUps(docker);
    if (swept > 0) log(`removed ${swept} leftovers of an earlier stand-up`);
  } catch (error) {
    // Nothing of this run exists yet: the lock is all there is to give back.
    releaseLock();
    throw error;
  }

  const graph = new ResourceGraph();
  const containers: Record<string, StandUpContainer> = {};
  const skipped: { resource: string; reason: string }[] = [];
  const skippedUrns = new Set<string>();
  const cloudStandIns: CloudStandIn[] = [];
  const substitutions = [
    `appImage ${JSON.stringify(options.images.appImage)}: the reference app (tests/standup/images) replaces the stack's app image`,
    "docker provider host: the local engine at /var/run/docker.sock instead of the stack's dockerHost",
    "secure: config values: fresh test values generated for the run (tests/standup/program/run-secrets.ts)",
    "admin SSH tunnel: a TCP forwarder from 127.0.0.1:<postgres.adminPort> to PostgreSQL's fixed address, open only while the resources are created",
    "egress: DOCKER-USER rules reject traffic from each declared network to anything outside it (no ACME, DNS, mail, probes of the public URL)",
  ];
  const createdHostPaths: string[] = [];
  let tunnel: Promise<AdminTunnel> | undefined;
  const postgresProviders = new Map<string, ProviderConnection>();
  const dynamic = dynamicProviders();
  let tornDown = false;

  const tearDown = async () => {
    if (tornDown) return;
    tornDown = true;
    await (await tunnel?.catch(() => undefined))?.close();
    await dynamic.stop();
    const removed = await removeLabelled(docker, runId);
    const rules = releaseEgress(runId);
    for (const path of createdHostPaths) rmSync(path, { recursive: true, force: true });
    releaseLock();
    log(`tore down run ${runId}: ${removed} Docker objects, ${rules} egress rules, ${createdHostPaths.length} host folders`);
  };

  /** Checks a container's declared inputs and the host before anything of it exists. */
  const planContainer = async (resource: DeclaredResource, image: string): Promise<ContainerPlan> => {
    const plan = containerPlan(resource.name, inputsOf(resource), { image, extraLabels: labels });
    assertWaitCanSucceed(plan);
    adaptPropagation(plan, substitutions);
    const clashes = await foreignNameClashes(docker, { containers: [plan.name], networks: [], volumes: [] });
    if (clashes.length > 0) throw new Error(`an object outside any stand-up holds a declared name (remove it yourself): ${clashes.join(", ")}`);
    for (const [port, bindings] of Object.entries(plan.create.HostConfig?.PortBindings ?? {}) as [string, { HostIp?: string; HostPort?: string }[]][]) {
      for (const b of bindings) await assertPortFree(Number(b.HostPort), b.HostIp ?? "0.0.0.0", `${plan.name} publishes ${port}`);
    }
    for (const bind of plan.create.HostConfig?.Binds ?? []) {
      const source = bind.split(":")[0];
      if (source.startsWith("/") && !existsSync(source)) createdHostPaths.push(source);
    }
    return plan;
  };

  // After a failure the program's run goes on in the background: nothing new is created, and the
  // tear-down waits for the creates in flight, so nothing appears after it.
  let failed = false;
  const inFlight = new Set<Promise<ResourceState>>();
  const create = (resource: DeclaredResource, state: ResourceState): Promise<ResourceState> => {
    if (failed) return Promise.reject(new Error(`${resource.name}: not created, the stand-up failed`));
    const creating = createResource(resource, state);
    inFlight.add(creating);
    void creating.catch(() => undefined).finally(() => inFlight.delete(creating));
    return creating;
  };

  /** Creates one resource the way its provider would, once the SDK registers it; returns its state. */
  const createResource = async (resource: DeclaredResource, state: ResourceState): Promise<ResourceState> => {
    graph.add(resource);
    const { type } = resource;
    if (!resource.custom || type === "pulumi:providers:docker" || /^(random|tls):/.test(type)) return state;
    if (CLOUD_STANDINS[type]) {
      const line = `${type}: stand-in outputs, nothing created (${CLOUD_STANDINS[type].why})`;
      if (!substitutions.includes(line)) substitutions.push(line);
      return state;
    }
    const blocker = graph.dependenciesOf(resource).find((urn) => skippedUrns.has(urn));
    if (blocker) {
      skippedUrns.add(resource.urn);
      skipped.push({ resource: resource.name, reason: `depends on ${graph.byUrn.get(blocker)?.name}, which is left out` });
      return state;
    }
    const inputs = inputsOf(resource);
    if (type === "pulumi:providers:postgresql") {
      postgresProviders.set(resource.urn, providerConnection(inputs));
      return state;
    }
    if (type === NETWORK) {
      await createNetwork(docker, resource.name, inputs, labels);
      const subnets = ((inputs.ipamConfigs ?? []) as { subnet?: string }[]).map((c) => String(c.subnet));
      guardEgress(runId, subnets);
      return state;
    }
    if (type === VOLUME) return (await createVolume(docker, resource.name, inputs, labels), state);
    if (type === "docker:index/remoteImage:RemoteImage" || type === "docker:index/image:Image") {
      await resolveImage(docker, options.images, resource.name, String(inputs.name ?? inputs.imageName), substitutions);
      return state;
    }
    if (type === CONTAINER) {
      const reference = String(inputs.image);
      const local = options.images.resolve(reference);
      if ("excluded" in local) {
        skipped.push({ resource: resource.name, reason: `${reference}: ${local.excluded}` });
        skippedUrns.add(resource.urn);
        return state;
      }
      await options.images.ready(local.image);
      let plan = await planContainer(resource, local.image);
      const cloud = await startS3StandIns(docker, plan, {
        image: options.images.s3StandInImage, imageReady: () => options.images.ready(options.images.s3StandInImage), runId, labels,
      });
      if (cloud) {
        log(`${plan.name}: started S3 stand-ins ${cloud.standIns.map((s) => s.container).join(", ")}`);
        cloudStandIns.push(...cloud.standIns);
        substitutions.push(...cloud.substitutions);
        plan = { ...plan, uploads: [...plan.uploads, cloud.trust] };
      }
      log(`creating ${plan.name}`);
      const started = Date.now();
      const result = await runContainer(docker, plan, ATTACH_TIMEOUT_SECONDS);
      timings[`container ${plan.name}`] = (Date.now() - started) / 1000;
      containers[plan.name] = { name: plan.name, id: result.id, resource: resource.name, image: local.image, ...(result.exitCode !== undefined ? { exitCode: result.exitCode } : {}) };
      // pulumi-docker's outputs: the container id, and the exit code of an attached job.
      return { ...state, ...(result.exitCode !== undefined ? { exitCode: result.exitCode } : {}), ...(result.logs !== undefined ? { containerLogs: result.logs } : {}) };
    }
    if (isPostgresqlResource(type)) {
      const provider = resource.providerRef && providerUrn(resource.providerRef);
      const connection = provider && postgresProviders.get(provider);
      if (!connection) throw new Error(`${resource.name}: no postgresql provider (the stand-up applies only explicit providers)`);
      tunnel ??= openAdminTunnel({ host: connection.host, port: connection.port }, { host: postgresAddress(graph, resource), port: connection.port });
      await tunnel;
      log(`creating ${resource.name}`);
      await applyPostgresqlResource(resource, connection);
      return state;
    }
    if (type.startsWith("pulumi-nodejs:dynamic/")) {
      log(`creating ${resource.name} through the dynamic-provider host`);
      return { ...state, ...(await dynamic.create(resource)) };
    }
    throw new Error(`${resource.name}: the stand-up cannot create resources of type ${type}`);
  };

  let declared: DeclaredStack;
  const started = Date.now();
  try {
    declared = await declaredStack({ stack: options.stack, appImage: options.images.appImage, create });
    timings.resources = (Date.now() - started) / 1000;
    // The tunnel is the deploy's: nothing reaches PostgreSQL from the host once the stack is up.
    await (await tunnel)?.close();
    tunnel = undefined;
    await dynamic.stop();
  } catch (error) {
    failed = true;
    const settled = Promise.allSettled([...inFlight]);
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, IN_FLIGHT_TIMEOUT_MS).unref())]);
    await tearDown().catch((cleanup: Error) => log(`tear-down after the failure also failed: ${cleanup.message}`));
    throw error;
  }
  return { runId, declared, containers, skipped, substitutions, timings, cloudStandIns, tearDown };
}

/**
 * The far end of the administrators' tunnel: the fixed address of the container the first database
 * resource waits for (README: the tunnel ends at PostgreSQL's address on the data network).
 */
function postgresAddress(graph: ResourceGraph, resource: DeclaredResource): string {
  const servers = graph.dependenciesOf(resource).filter((urn) => graph.byUrn.get(urn)?.type === CONTAINER);
  const addresses = servers.flatMap((urn) => ((inputsOf(graph.byUrn.get(urn)!).networksAdvanced ?? []) as { ipv4Address?: string }[]).map((n) => n.ipv4Address).filter(Boolean));
  if (addresses.length !== 1) throw new Error(`cannot tell PostgreSQL's address for the admin tunnel: ${resource.name} waits for containers with fixed addresses ${addresses.join(", ") || "none"}`);
  return String(addresses[0]);
}

async function createNetwork(docker: Dockerode, name: string, inputs: Record<string, unknown>, labels: Record<string, string>): Promise<void> {
  const n = knownInputs(`network ${name}`, inputs, ["name", "driver", "internal", "attachable", "ipamConfigs", "labels"]);
  const ipam = ((n.ipamConfigs ?? []) as Record<string, unknown>[]).map((c, i) => {
    knownInputs(`network ${name} ipamConfigs[${i}]`, c, ["subnet", "gateway", "ipRange"]);
    return { Subnet: c.subnet as string, ...(c.gateway ? { Gateway: String(c.gateway) } : {}), ...(c.ipRange ? { IPRange: String(c.ipRange) } : {}) };
  });
  const declaredLabels = Object.fromEntries(((n.labels ?? []) as { label: string; value: string }[]).map((l) => [l.label, l.value]));
  await docker.createNetwork({
    Name: String(n.name ?? name), Driver: String(n.driver ?? "bridge"), Internal: n.internal === true, Attachable: n.attachable === true,
    CheckDuplicate: true, IPAM: { Driver: "default", Config: ipam }, Labels: { ...declaredLabels, ...labels },
  });
}

async function createVolume(docker: Dockerode, name: string, inputs: Record<string, unknown>, labels: Record<string, string>): Promise<void> {
  const v = knownInputs(`volume ${name}`, inputs, ["name", "driver", "labels"]);
  const declaredLabels = Object.fromEntries(((v.labels ?? []) as { label: string; value: string }[]).map((l) => [l.label, l.value]));
  await docker.createVolume({ Name: String(v.name ?? name), Driver: String(v.driver ?? "local"), Labels: { ...declaredLabels, ...labels } });
}

async function resolveImage(docker: Dockerode, images: StandUpImages, name: string, reference: string, substitutions: string[]): Promise<void> {
  const local = images.resolve(reference);
  if ("excluded" in local) return;
  await images.ready(local.image);
  try {
    // A busy engine sometimes drops the connection ("socket hang up"): an inspect is safe to repeat.
    for (let attempt = 1; ; attempt++) {
      try {
        await docker.getImage(local.image).inspect();
        break;
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode !== undefined || attempt >= 3) throw error;
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) throw new Error(`${name}: the local image ${local.image} for ${reference} is not built (tests/standup/images builds it)`);
    throw new Error(`${name}: cannot inspect the local image ${local.image}: ${(error as Error).message}`);
  }
  if (local.image !== reference) substitutions.push(`image ${reference}: the local ${local.image}`);
}

// Checklist section 11, Docker Configuration: pinned images, non-root users, healthchecks, limits,
// restart policies, volumes for data, network isolation and runtime hardening. Every rule asks the
// container's runtime model (lib/docker/runtime.ts): what Docker runs once the provider has applied
// its defaults and set ordering, from every input that carries an option (user, entrypoint wrappers,
// security options, capabilities, mounts of each kind, ports, network mode, log options …).
import type { PolicyResource, ReportViolation } from "@pulumi/policy";
import { containerEnv, containerService, DATA_TIER, uploadsOf, type ServiceKind } from "./lib/containers";
import { isDjangoApp } from "./lib/app/django-app";
import { imagePinProblem } from "./lib/docker/images";
import { isWebPort, publicSockets } from "./lib/docker/published";
import { socketProxyAccess } from "./lib/docker/socket-proxy";
import { containerRuntime, mountHolding, need, type ContainerRuntime } from "./lib/docker/runtime";
import { isUnknownInput, rec, snapshotOf, str, type Snapshot } from "./lib/docker/snapshot";
import { checklistFramework, resourcePolicy, stackPolicy } from "./lib/framework";
import { nginxModel } from "./lib/nginx";
import { nginxInputOf } from "./lib/nginx/container-input";
import { CONTAINER, NETWORK, REMOTE_IMAGE } from "./lib/resource-types";
import { redisModelOf } from "./lib/redis";
import { containers, ofType } from "./lib/stack-resources";
import { configValue, type StackContext } from "./lib/stack-context";
import { asBoolean, asNumber, asRecord, asString, type PropRecord } from "./lib/values";

export { imagePinProblem };

/** pulumi-docker's build resource (v4) and the docker-build provider's. */
export const DOCKER_IMAGE = "docker:index/image:Image";
export const DOCKER_BUILD_IMAGE = "docker-build:index:Image";

const knownText = (value: Snapshot): string | undefined => (isUnknownInput(value) ? undefined : str(value));

/** Build args that name a base image: a value shaped like an image reference under a name that says so. */
function baseImageArgs(args: Snapshot): Array<[string, string]> {
  return Object.entries(rec(args) ?? {}).flatMap(([name, value]): Array<[string, string]> => {
    const text = knownText(value);
    return text !== undefined && /(IMAGE|BASE|FROM)/i.test(name) && /^[a-z0-9][\w./-]*(:[\w.-]+)?(@sha256:[0-9a-f]{64})?$/.test(text) ? [[name, text]] : [];
  });
}

export const imagePinned = resourcePolicy({
  name: "image-pinned",
  description:
    "Every container, pulled image and built image names one release: a digest or a tag with a major.minor version (never latest, an " +
    "untagged reference, or a moving tag such as 16, alpine or bookworm), including the base images a build takes as arguments.",
  severity: "high",
  remediationSteps:
    "Pin each image to an exact version tag (postgres:16.6-bookworm) or a digest (…@sha256:…), the same for build args that name a base " +
    "image (POSTGRES_IMAGE=postgres:16.6-bookworm) and for the name a build is tagged with; bump them deliberately and preview.",
  framework: checklistFramework("11.2"),
  alwaysMandatory: true,
  resourceTypes: [CONTAINER, REMOTE_IMAGE, DOCKER_IMAGE, DOCKER_BUILD_IMAGE],
  validateResource: (args, report) => {
    const p = snapshotOf(args.props);
    const references: Array<[string, Snapshot]> =
      args.type === CONTAINER ? [["image", p.image]]
        : args.type === REMOTE_IMAGE ? [["name", p.name]]
          : args.type === DOCKER_IMAGE ? [["imageName", p.imageName]]
            : (Array.isArray(p.tags) ? p.tags : []).map((t, i): [string, Snapshot] => [`tags[${i}]`, t]);
    for (const [field, value] of references) {
      if (isUnknownInput(value)) throw value.error;
      const problem = imagePinProblem(str(value) ?? "");
      if (problem) report(`${field}: ${problem}.`);
    }
    const buildArgs = args.type === DOCKER_IMAGE ? rec(p.build)?.args : args.type === DOCKER_BUILD_IMAGE ? p.buildArgs : undefined;
    for (const [name, value] of baseImageArgs(buildArgs)) {
      const problem = imagePinProblem(value);
      if (problem) report(`build arg ${name}: ${problem}; the image is built FROM it.`);
    }
  },
});

/**
 * nginx workers run as the main context's `user` after includes (the official image's default: nginx),
 * read from the nginx model; a resource rule sees no other container, so shared volumes are not read.
 */
function nginxWorkerUser(container: PolicyResource): string {
  const input = nginxInputOf(container, []);
  const user = input === undefined ? undefined : nginxModel(input).loaded.main.find((d) => d.name === "user")?.args[0];
  return user ?? "nginx";
}

export const nonRootUser = resourcePolicy({
  name: "non-root-user",
  description:
    "No container's program runs as root: the user it starts as (its user input, else the image's USER, else root) after every switch on the " +
    "way (gosu, su-exec, setpriv, the image's entrypoint dropping to its service user, nginx.conf's worker user); app containers as appuser " +
    "or another non-root uid. Only images that must stay root by design (certbot) are accepted.",
  severity: "high",
  remediationSteps:
    "Set `user` on the container (appuser:appgroup for the app, the image's service uid otherwise), never \"0\", \"root\" or \"0:…\"; do not " +
    "wrap the command in gosu/su-exec root; keep postgres and redis started through their image's entrypoint so it drops to its user.",
  framework: checklistFramework("11.3"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    const runtime = containerRuntime(args);
    const user = need(runtime.user);
    if (isDjangoApp(args)) {
      if (user.runsAsRoot || user.startsAsRoot) report(`the app container runs as root (${user.how}); set user to appuser:appgroup or a non-root uid.`);
      return;
    }
    if (!user.runsAsRoot) {
      if (user.runs === "nginx.conf's user") {
        const worker = nginxWorkerUser({ ...args, dependencies: [], propertyDependencies: {} });
        if (/^(root|0+)$/.test(worker)) report(`nginx's workers run as ${worker} (nginx.conf's user directive); use the nginx user.`);
      }
      return;
    }
    if (runtime.facts.rootBy) return;
    report(`runs as root: ${user.how}; set a non-root user.`);
  },
});

/** A hang must be seen within this many seconds: (interval + timeout) × retries, and the start period. */
export const HEALTHCHECK_MAX_DETECTION_SECONDS = 1800;

export const healthcheckConfigured = resourcePolicy({
  name: "healthcheck-configured",
  description:
    "Every long-running container has a healthcheck that can fail: a test of its own service (not NONE, not exit 0/true/`|| true`, not " +
    "another container, not an HTTP probe whose curl lacks --fail and so passes on a 500/503 answer), that marks a hung service unhealthy " +
    `within ${HEALTHCHECK_MAX_DETECTION_SECONDS / 60} minutes.`,
  severity: "medium",
  remediationSteps:
    "Give each container a `healthcheck: { tests: [\"CMD\", …] }` that probes the service on 127.0.0.1 or its socket and fails when it does " +
    `not answer or answers with an error (curl -f, wget), with (interval + timeout) × retries and startPeriod at most ${HEALTHCHECK_MAX_DETECTION_SECONDS} s (Docker's defaults: 30 s, 30 s, 3, 0).`,
  framework: checklistFramework("11.4"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    const runtime = containerRuntime(args);
    const health = need(runtime.healthcheck);
    if (health.kind === "none") return report("no healthcheck: docker cannot tell a hung service from a healthy one.");
    if (health.kind === "disabled") return report("the healthcheck is NONE: docker never checks the service.");
    if (health.kind === "invalid") return report("the healthcheck test does not start with CMD or CMD-SHELL, so Docker cannot run it.");
    // A one-shot job is judged by its exit code, which the deployment waits for.
    if (runtime.oneShot) return;
    if (health.alwaysPasses) report(`the healthcheck always passes: ${health.alwaysPasses}.`);
    if (health.ignoresHttpStatus) report(`the healthcheck ignores the HTTP status: ${health.ignoresHttpStatus}; the service stays healthy while its health endpoint reports it broken.`);
    if (health.otherHosts.length > 0) report(`the healthcheck probes ${health.otherHosts.join(", ")}, not this container: it stays healthy while this service hangs.`);
    const detection = (health.intervalSeconds + health.timeoutSeconds) * health.retries;
    if (detection > HEALTHCHECK_MAX_DETECTION_SECONDS) report(`a hung service is marked unhealthy only after ${detection} s ((interval ${health.intervalSeconds} s + timeout ${health.timeoutSeconds} s) × ${health.retries} retries); keep it within ${HEALTHCHECK_MAX_DETECTION_SECONDS} s.`);
    if (health.startPeriodSeconds > HEALTHCHECK_MAX_DETECTION_SECONDS) report(`failures are ignored for a start period of ${health.startPeriodSeconds} s; keep it within ${HEALTHCHECK_MAX_DETECTION_SECONDS} s.`);
  },
});

/** The host the stack runs on (config jewelry-shop:hostSize), when the stack declares it. */
function hostSize(stack: StackContext): { memoryMb?: number; cpus?: number } {
  const host = asRecord(configValue(stack, "hostSize"));
  return { memoryMb: asNumber(host?.memoryMb), cpus: asNumber(host?.cpus) };
}

const MIB = 1024 * 1024;

export const resourceLimits = resourcePolicy({
  name: "resource-limits",
  description:
    "Every container has a memory limit with bounded swap, a CPU limit (cpus, else cpuQuota/cpuPeriod or cpuSet) and a process limit (nproc ulimit), " +
    "within what the host has (jewelry-shop:hostSize): a cgroup limit at or above the host's memory, or above its CPUs, never binds.",
  severity: "medium",
  remediationSteps:
    "Set `memory` (MiB, above 0 and below the host's memory: the provider multiplies it by 1 MiB, it is not bytes) with `memorySwap` equal to it " +
    "(never -1, which lifts the swap limit), `cpus` above 0 and at most the host's CPUs (cpuShares is only a weight), and ulimits " +
    "[{ name: \"nproc\", soft, hard }] above 0 (config key jewelry-shop:sizes).",
  framework: checklistFramework("11.5"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report, stack) => {
    const limits = need(containerRuntime(args).limits);
    const host = hostSize(stack);
    if (limits.memoryBytes === undefined) report("no memory limit: one container can exhaust the host.");
    else if (limits.memorySwap === "unlimited") report("memorySwap -1: swap is unlimited, so the memory limit no longer bounds what the container takes from the host.");
    // The provider sends memory × 1 MiB as HostConfig.Memory; Docker sets no upper bound, and a cgroup
    // limit above the host's RAM never binds: the host's OOM killer picks among all containers instead.
    else if (host.memoryMb !== undefined && limits.memoryBytes >= host.memoryMb * MIB) {
      report(`memory ${limits.memoryBytes / MIB} MiB is not below the host's ${host.memoryMb} MiB (jewelry-shop:hostSize): the limit never binds (memory is in MiB, not bytes).`);
    }
    // Docker refuses cpus above the host's CPUs but not a cpuQuota/cpuPeriod or cpuSet that says more;
    // equal is what the program's own config rule (components/config) still accepts on a small host.
    if (limits.cpus !== undefined && host.cpus !== undefined && limits.cpus > host.cpus) {
      report(`the CPU limit (${limits.cpuLimitSource}: ${limits.cpus} CPUs) is above the host's ${host.cpus} CPUs: it never binds.`);
    }
    if (limits.cpus === undefined) report(`no cpus limit: one container can starve the others${limits.cpuShares ? ` (cpuShares ${limits.cpuShares} is a relative weight, not a limit)` : ""}.`);
    if (!limits.nproc || limits.nproc.soft <= 0 || limits.nproc.hard <= 0) report("no process limit (nproc ulimit): a fork bomb in the container reaches the host's process table.");
  },
});

/**
 * Docker decides every restart, at a container's exit and when the daemon starts again after a stop (a host
 * reboot, a Docker upgrade), with one rule (moby restartmanager.ShouldRestart, called from
 * daemon.restore through Container.ShouldRestart): always restarts, unless-stopped unless stopped by
 * hand, on-failure only when the last exit code is not 0. A daemon that stops cleanly stops each
 * container with its stop signal, and every server here exits 0 on SIGTERM (postgres, redis,
 * pgbouncer, gunicorn, celery, nginx, the Go exporters): on-failure leaves them down after a reboot.
 * (Only a crash of the host brings them back: restore records exit 255 for a container that was
 * running, moby issue 47846.)
 */
export const restartPolicy = resourcePolicy({
  name: "restart-policy",
  description:
    "Every long-running container restarts automatically without giving up, after a crash and after the Docker daemon restarts (a host " +
    "reboot): unless-stopped or always. on-failure does not start a container that exited 0, as a server stopped by a clean daemon " +
    "shutdown does, and with a retry limit gives up; one-shot jobs the deployment attaches to are exempt.",
  severity: "medium",
  remediationSteps: "Set `restart: \"unless-stopped\"` on the container (docker's default is \"no\"; on-failure leaves it down after a reboot); do not set maxRetryCount.",
  framework: checklistFramework("11.6"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    const runtime = containerRuntime(args);
    if (runtime.oneShot) return;
    const { policy, maxRetries } = need(runtime.restart);
    if (policy === "on-failure" && maxRetries > 0) report(`restart is "on-failure" with maxRetryCount ${maxRetries}: Docker gives up after ${maxRetries} crashes and the service stays down.`);
    else if (policy === "on-failure") report("restart is \"on-failure\": a host reboot stops the service cleanly (exit 0), and Docker starts again only containers whose last exit failed, so it stays down.");
    else if (!["unless-stopped", "always"].includes(policy)) report(`restart is "${policy}": the service stays down after a crash or a reboot.`);
  },
});

/** Where a data service keeps its data inside the container. */
function dataPath(props: PropRecord, service: ServiceKind | undefined, image: ContainerRuntime["image"]): string | undefined {
  const bitnami = image.repository.startsWith("bitnami/");
  switch (service) {
    case "postgres":
      return containerEnv(props).values.get("PGDATA") ?? (bitnami ? "/bitnami/postgresql" : "/var/lib/postgresql/data");
    case "redis": {
      if (bitnami) return "/bitnami/redis/data";
      // Where redis-server writes after reading every config file and option (its last `dir`).
      return redisModelOf({ props }).dataDir;
    }
    default:
      return undefined;
  }
}

export const persistentVolumes = resourcePolicy({
  name: "persistent-volumes",
  description: "PostgreSQL and Redis containers keep their data directory on a named volume (or a host directory), not on an anonymous volume, a tmpfs or the container's own layer.",
  severity: "critical",
  remediationSteps: "Mount a docker.Volume (volumeName) at the data directory: PGDATA or its parent for postgres, redis.conf's dir for redis; mount nothing else over it.",
  framework: checklistFramework("11.7"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    const runtime = containerRuntime(args);
    const path = dataPath(args.props as PropRecord, containerService(args.props as PropRecord), runtime.image);
    if (path === undefined) return;
    const holder = mountHolding(need(runtime.mounts), path);
    if (!holder) report(`no named volume holds ${path}: the data is lost with the container.`);
    else if (holder.kind === "tmpfs") report(`${path} is on a tmpfs at ${holder.target} (${holder.via}): the data lives in memory and is lost on every restart.`);
    else if (holder.kind === "anonymous" || holder.kind === "volumes-from") report(`${path} is on an anonymous volume at ${holder.target}: it is removed with the container when it is replaced.`);
  },
});

/** Whether a container mounts the Docker socket into a socket proxy image (it serves the API on its networks). */
const isSocketProxy = (runtime: ContainerRuntime): boolean =>
  SOCKET_PROXY_IMAGES.test(runtime.image.repository) &&
  need(runtime.mounts).some((m) => m.kind === "bind" && m.source !== undefined && DOCKER_SOCKET.test(m.source.replace(/\/+$/, "")));

/** The text a container is configured by: env values, entrypoint and command words, uploaded files. */
function configurationText(c: PolicyResource, runtime: ContainerRuntime): string {
  const uploads = uploadsOf(c).map((u) => (typeof u.content === "string" ? u.content : ""));
  return [...runtime.env.values.values(), ...(runtime.entrypoint ?? []), ...(runtime.command ?? []), ...uploads].join("\n");
}

/** Whether `text` names one of `hosts` as a host (tcp://docker-socket-proxy:2375, DOCKER_HOST=…). */
const namesHost = (text: string, hosts: ReadonlySet<string>): boolean =>
  [...hosts].some((h) => new RegExp(`(^|[^A-Za-z0-9.-])${h.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}([^A-Za-z0-9.-]|$)`, "i").test(text));

/**
 * Who reaches a socket proxy reaches what it passes: even read-only, a proxy with CONTAINERS=1 answers
 * GET /containers/{id}/json (every container's env) and GET /containers/{id}/archive (any file of any
 * container, /run/secrets included), both GET requests its haproxy.cfg allows. So its networks may
 * hold only the containers configured to use it (their env, command or config files name it).
 */
function socketProxyNeighbours(all: ReadonlyArray<{ c: PolicyResource; runtime: ContainerRuntime }>): Array<{ c: PolicyResource; message: string }> {
  const found: Array<{ c: PolicyResource; message: string }> = [];
  for (const proxy of all.filter((x) => isSocketProxy(x.runtime))) {
    const proxyNetworks = new Set(need(proxy.runtime.networks).map((n) => n.name));
    for (const other of all.filter((x) => x !== proxy)) {
      const shared = need(other.runtime.networks).map((n) => n.name).filter((n) => proxyNetworks.has(n));
      if (shared.length === 0 || namesHost(configurationText(other.c, other.runtime), proxy.runtime.ownNames)) continue;
      found.push({
        c: other.c,
        message: `"${other.c.name}" shares ${shared.join(", ")} with the Docker socket proxy "${proxy.runtime.name}" without being configured to use it: through the proxy it can read every container's env and files (GET /containers/{id}/json and /archive); give the proxy a network of its own with only its clients.`,
      });
    }
  }
  return found;
}

export const networkIsolation = stackPolicy({
  name: "network-isolation",
  description:
    "PostgreSQL, PgBouncer and Redis containers join only internal docker networks declared in the stack, through every attachment (networksAdvanced and networkMode), never the default bridge or the host network; " +
    "a Docker socket proxy shares its networks only with the containers configured to use it.",
  severity: "high",
  remediationSteps:
    "Attach data-tier containers only to docker.Networks with `internal: true` through networksAdvanced, leave networkMode at its default; reach them from the app over those networks. " +
    "Put the Docker socket proxy on an internal network of its own, joined only by the containers whose config names it (promtail's docker_sd host).",
  framework: checklistFramework("11.8"),
  validateStack: (args, report) => {
    const internal = new Map(ofType(args.resources, NETWORK).map((n) => [asString(n.props.name) ?? n.name, asBoolean(n.props.internal) === true]));
    for (const c of containers(args.resources)) {
      const service = containerService(c.props);
      if (!service || !DATA_TIER.has(service)) continue;
      const runtime = containerRuntime(c);
      const mode = need(runtime.networkMode);
      if (mode === "host") report(`${service} container "${c.name}" uses the host network.`, c.urn);
      else if (mode.startsWith("container:")) report(`${service} container "${c.name}" shares the network of ${mode.slice(10)} (networkMode ${mode}).`, c.urn);
      const networks = need(runtime.networks);
      if (networks.length === 0 && mode !== "host" && mode !== "none" && !mode.startsWith("container:")) report(`${service} container "${c.name}" joins no declared network: it lands on the default bridge.`, c.urn);
      for (const network of networks) {
        if (internal.get(network.name) !== true) report(`${service} container "${c.name}" joins "${network.name}" (${network.via}), which is not an internal network of this stack.`, c.urn);
      }
    }
    const all = containers(args.resources).map((c) => ({ c, runtime: containerRuntime(c) }));
    for (const { c, message } of socketProxyNeighbours(all)) report(message, c.urn);
  },
});

export const noPublicPorts = resourcePolicy({
  name: "no-public-ports",
  description: "No container publishes a port on a non-loopback address (an unset ip means 0.0.0.0, [::] is every IPv6 address), through ports, publishAllPorts or the host network, except nginx on 80 and 443.",
  severity: "critical",
  remediationSteps: "Remove the `ports` entry, publishAllPorts and networkMode host (reach the service over an internal network), or bind it to 127.0.0.1 for SSH-tunnel access; only nginx publishes 80/443.",
  framework: checklistFramework("11.8"),
  alwaysMandatory: true,
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    const runtime = containerRuntime(args);
    const isNginx = containerService(args.props as PropRecord) === "nginx";
    for (const { port, problem } of publicSockets(runtime)) {
      if (isNginx && isWebPort(port)) continue;
      report(`${problem}: reachable from outside the host.`);
    }
  },
});

/** Capabilities a service may keep: what entrypoints need to own files, switch users and bind low ports. */
export const ALLOWED_CAPABILITIES: ReadonlySet<string> = new Set(["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID", "NET_BIND_SERVICE", "KILL"]);
/** Host paths a container must not write (or, for the Docker socket, reach at all). */
const SENSITIVE_HOST_PATHS = ["/", "/etc", "/root", "/home", "/boot", "/dev", "/proc", "/sys", "/run", "/var/run", "/var/lib/docker", "/usr", "/bin", "/sbin", "/lib", "/var/lib/kubelet"];
const DOCKER_SOCKET = /(^|\/)docker\.sock$/;
/** Images whose purpose is to hold the Docker socket and expose a filtered, read-only API. */
const SOCKET_PROXY_IMAGES = /(^|\/)(docker-socket-proxy|socket-proxy)$/;

/**
 * A socket proxy is read-only only while it refuses every request but GET (POST off): a read-only
 * mount does not restrict the API, the proxy's env does (lib/docker/socket-proxy.ts).
 */
function proxyWriteProblem(runtime: ContainerRuntime): string | undefined {
  if (runtime.env.unknown.length > 0) throw runtime.env.unknown[0]!.error;
  const access = socketProxyAccess(runtime.env.values);
  if (!access.writes) return undefined;
  const opened = access.sections.length > 0 ? access.sections.join(", ") : "no section beyond the defaults";
  return `the socket proxy passes write requests (POST=${runtime.env.values.get("POST")}) to the Docker API sections it opens (${opened}): whoever reaches it can create a privileged container, which is root on the host`;
}

function mountProblems(runtime: ContainerRuntime): string[] {
  const problems: string[] = [];
  for (const m of need(runtime.mounts).filter((x) => x.kind === "bind" && x.source)) {
    const source = m.source!.replace(/\/+$/, "") || "/";
    if (DOCKER_SOCKET.test(source)) {
      const proxy = SOCKET_PROXY_IMAGES.test(runtime.image.repository);
      if (!m.readOnly || !proxy) problems.push(`mounts the Docker socket ${source}${m.readOnly ? " (read-only does not restrict the API)" : " read-write"} at ${m.target}: that is root on the host`);
      else {
        const writes = proxyWriteProblem(runtime);
        if (writes) problems.push(writes);
      }
    } else if (!m.readOnly && SENSITIVE_HOST_PATHS.includes(source)) {
      problems.push(`mounts the host's ${source} read-write at ${m.target} (${m.via})`);
    }
  }
  // volumes[].fromContainer becomes HostConfig.VolumesFrom (kreuzwerker volumeSetToDockerVolumes):
  // Docker gives the container every mount of the other one, its host binds and a Docker socket
  // included, in their modes. One container's inputs do not show those mounts, so none is accepted.
  for (const m of need(runtime.mounts).filter((x) => x.kind === "volumes-from")) {
    problems.push(`takes every mount of container ${m.source} (volumes fromContainer), its host binds and any Docker socket included, which cannot be judged from this container; mount the named volumes it needs instead`);
  }
  return problems;
}

function loggingProblem(runtime: ContainerRuntime): string | undefined {
  const { driver, options } = need(runtime.logging);
  if (driver === "none") return "logDriver none: the container's output is thrown away";
  if (driver !== "json-file") return undefined;
  const maxSize = options.get("max-size");
  if (!maxSize || /^-/.test(maxSize.trim()) || /^0+[kmg]?$/i.test(maxSize.trim())) return `json-file logs have no max-size${maxSize ? ` (${maxSize})` : ""}: they grow until the disk is full`;
  return undefined;
}

export const containerHardening = resourcePolicy({
  name: "container-hardening",
  description:
    "Every container runs unprivileged: no privileged mode, effective capabilities limited to CHOWN, DAC_OVERRIDE, FOWNER, SETUID, SETGID, " +
    "NET_BIND_SERVICE and KILL (Docker's defaults dropped), no-new-privileges in force, seccomp/AppArmor confinement kept, no host " +
    "devices or host PID/IPC/user namespaces, no Docker socket or writable system path of the host mounted (but in a socket proxy that " +
    "refuses every request but GET), directly or through another container's mounts (volumes fromContainer), and rotated logs.",
  severity: "high",
  remediationSteps:
    "Set privileged false, securityOpts [\"no-new-privileges:true\"] (no later no-new-privileges:false), capabilities { drops: [\"ALL\"], adds: " +
    "[only what the entrypoint needs] } (never adds ALL), no seccomp/apparmor unconfined, no devices, pidMode/ipcMode/usernsMode unset; " +
    "no volumes fromContainer (mount named volumes); reach Docker through a read-only socket proxy (POST=0, its default; only the GET sections it needs, e.g. CONTAINERS=1); logOpts { max-size, max-file } for the json-file driver (or the local driver).",
  framework: checklistFramework("11.2", "11.3"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report: ReportViolation) => {
    const runtime = containerRuntime(args);
    if (need(runtime.privileged)) report("runs privileged: full access to the host's devices and kernel.");
    const extra = [...need(runtime.capabilities)].filter((c) => !ALLOWED_CAPABILITIES.has(c)).sort();
    if (extra.length > 0) report(`keeps capabilities ${extra.join(", ")}${runtime.privileged === true ? "" : " (Docker's defaults stay unless capabilities drop ALL; adds ALL grants every one)"}.`);
    const security = need(runtime.security);
    if (security.noNewPrivilegesValues.includes(false)) report(`securityOpts turns no-new-privileges off (values in the order Docker applies them: ${security.noNewPrivilegesValues.join(", ")}): setuid binaries can escalate.`);
    else if (security.noNewPrivileges !== true) report("securityOpts lacks no-new-privileges:true (setuid binaries can escalate).");
    if (security.invalid.length > 0) report(`securityOpts has options Docker refuses: ${security.invalid.join(", ")}.`);
    if (security.seccompUnconfined) report("seccomp=unconfined: every system call is open to the container.");
    if (security.apparmorUnconfined) report("apparmor=unconfined: the AppArmor profile is off.");
    if (security.labelDisabled) report("label=disable: SELinux separation is off.");
    if (security.systemPathsUnconfined) report("systempaths=unconfined: /proc and /sys are unmasked and writable.");
    const devices = need(runtime.devices);
    if (devices.length > 0) report(`gets host devices: ${devices.join(", ")}.`);
    for (const [what, mode] of Object.entries(runtime.namespaces)) {
      if (mode === "host" || mode?.startsWith("container:")) report(`${what}Mode is ${mode}: the container shares ${mode === "host" ? "the host's" : "another container's"} ${what} namespace.`);
    }
    for (const problem of mountProblems(runtime)) report(`${problem}.`);
    const logging = loggingProblem(runtime);
    if (logging) report(`${logging}.`);
  },
});

// Checklist section 11, Docker Configuration: pinned images, non-root users, healthchecks, limits,
// restart policies, volumes for data, network isolation and runtime hardening. A missing optional
// input is read as the docker provider's default (restart "no", ports[].ip 0.0.0.0, json-file logs).
import {
  containerEnv, containerImage, containerNetworks, containerService, DATA_TIER, isAppContainer, isOneShot, isUnder, parseImageRef,
  type ImageRef,
} from "./lib/containers";
import { checklistFramework, resourcePolicy, stackPolicy } from "./lib/framework";
import { CONTAINER, NETWORK, REMOTE_IMAGE } from "./lib/resource-types";
import { redisModelOf } from "./lib/redis";
import { containers, ofType } from "./lib/stack-resources";
import { asArray, asBoolean, asNumber, asRecord, asString, type PropRecord } from "./lib/values";

/** Why an image reference is not pinned, or undefined when a version tag or a digest pins it. */
export function imagePinProblem(image: ImageRef, reference: string): string | undefined {
  if (image.digest || /^sha256:[0-9a-f]{64}$/.test(reference)) return undefined;
  if (!image.tag) return `image "${reference}" has neither tag nor digest (it means :latest)`;
  if (image.tag === "latest") return `image "${reference}" uses the moving tag latest`;
  return undefined;
}

export const imagePinned = resourcePolicy({
  name: "image-pinned",
  description: "Every container and pulled image names a version tag or a digest, never latest or an untagged reference.",
  severity: "high",
  remediationSteps: "Pin each image to an exact version tag (postgres:16.6-bookworm) or a digest (…@sha256:…); bump it deliberately and preview.",
  framework: checklistFramework("11.2"),
  alwaysMandatory: true,
  resourceTypes: [CONTAINER, REMOTE_IMAGE],
  validateResource: (args, report) => {
    const reference = asString(args.type === CONTAINER ? args.props.image : args.props.name) ?? "";
    const problem = imagePinProblem(parseImageRef(reference), reference);
    if (problem) report(`${problem}.`);
  },
});

/**
 * Images whose entrypoint must start as root and drops privileges itself. The exception is only
 * for the start: container-hardening still requires capabilities dropped to what the drop needs.
 */
export const ROOT_START_IMAGES: Readonly<Record<string, string>> = {
  postgres: "the official postgres entrypoint owns its volumes as root, then runs the server as postgres (gosu)",
  nginx: "the nginx master binds 80/443 and runs its workers as the nginx user",
  certbot: "certbot writes the root-owned /etc/letsencrypt tree shared with nginx",
};

const isRootUser = (user: string | undefined) => user === undefined || user.trim() === "" || /^(root|0)(:.*)?$/.test(user.trim());

export const nonRootUser = resourcePolicy({
  name: "non-root-user",
  description: "Containers run as a non-root user: app containers as appuser (or another non-root uid), others as their service user, except images that drop privileges themselves (postgres, nginx, certbot).",
  severity: "high",
  remediationSteps: "Set `user` on the container (appuser:appgroup for the app, the image's service uid otherwise).",
  framework: checklistFramework("11.3"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    const user = asString(args.props.user);
    if (!isRootUser(user)) return;
    if (isAppContainer(containerEnv(args.props))) {
      report(`the app container runs as ${user ?? "the image's default user"}; set user to appuser:appgroup or a non-root uid.`);
      return;
    }
    const image = containerImage(args.props);
    if (ROOT_START_IMAGES[image.name] === undefined) report(`runs as ${user ?? "the image's default user (root unless the image says otherwise)"}; set a non-root user.`);
  },
});

export const healthcheckConfigured = resourcePolicy({
  name: "healthcheck-configured",
  description: "Every container declares a healthcheck test.",
  severity: "medium",
  remediationSteps: "Add `healthcheck: { tests: [\"CMD\", …] }` with an interval, timeout and retries to the container.",
  framework: checklistFramework("11.4"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    const tests = asArray(asRecord(args.props.healthcheck)?.tests).map((t) => asString(t) ?? "");
    if (tests.length === 0 || tests[0] === "NONE") report("no healthcheck: docker cannot tell a hung service from a healthy one.");
  },
});

export const resourceLimits = resourcePolicy({
  name: "resource-limits",
  description: "Every container has a memory limit and a CPU limit.",
  severity: "medium",
  remediationSteps: "Set `memory` (MiB) and `cpus` on the container (config key jewelry-shop:sizes).",
  framework: checklistFramework("11.5"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    if (!((asNumber(args.props.memory) ?? 0) > 0)) report("no memory limit: one container can exhaust the host.");
    if (!((asNumber(args.props.cpus) ?? 0) > 0)) report("no cpus limit: one container can starve the others.");
  },
});

const RESTART_POLICIES: ReadonlySet<string> = new Set(["unless-stopped", "always", "on-failure"]);

export const restartPolicy = resourcePolicy({
  name: "restart-policy",
  description: "Every long-running container restarts automatically (unless-stopped, always or on-failure); one-shot jobs the deployment attaches to are exempt.",
  severity: "medium",
  remediationSteps: "Set `restart: \"unless-stopped\"` on the container (docker's default is \"no\").",
  framework: checklistFramework("11.6"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    if (isOneShot(args.props)) return;
    const restart = asString(args.props.restart) ?? "no";
    if (!RESTART_POLICIES.has(restart)) report(`restart is "${restart}": the service stays down after a crash or a reboot.`);
  },
});

/** Where a data service keeps its data inside the container. */
function dataPath(props: PropRecord): string | undefined {
  const image = containerImage(props);
  const bitnami = image.repository.startsWith("bitnami/");
  switch (containerService(props)) {
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
  description: "PostgreSQL and Redis containers keep their data directory on a named volume.",
  severity: "critical",
  remediationSteps: "Mount a docker.Volume (volumeName) at the data directory: PGDATA or its parent for postgres, redis.conf's dir for redis.",
  framework: checklistFramework("11.7"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    const path = dataPath(args.props);
    if (path === undefined) return;
    const mounted = asArray(args.props.volumes).map(asRecord).some((v) => {
      const containerPath = asString(v?.containerPath);
      return asString(v?.volumeName) !== undefined && containerPath !== undefined && isUnder(path, containerPath);
    });
    if (!mounted) report(`no named volume holds ${path}: the data is lost with the container.`);
  },
});

export const networkIsolation = stackPolicy({
  name: "network-isolation",
  description: "PostgreSQL, PgBouncer and Redis containers join only internal docker networks declared in the stack (no default bridge, no host network).",
  severity: "high",
  remediationSteps: "Attach data-tier containers only to docker.Networks with `internal: true` through networksAdvanced; reach them from the app over those networks.",
  framework: checklistFramework("11.8"),
  validateStack: (args, report) => {
    const internal = new Map(ofType(args.resources, NETWORK).map((n) => [asString(n.props.name) ?? n.name, asBoolean(n.props.internal) === true]));
    for (const c of containers(args.resources)) {
      const service = containerService(c.props);
      if (!service || !DATA_TIER.has(service)) continue;
      const mode = asString(c.props.networkMode);
      if (mode === "host") report(`${service} container "${c.name}" uses the host network.`, c.urn);
      const networks = containerNetworks(c.props);
      if (networks.length === 0) report(`${service} container "${c.name}" joins no declared network: it lands on the default bridge.`, c.urn);
      for (const network of networks) {
        if (internal.get(network.name) !== true) report(`${service} container "${c.name}" joins "${network.name}", which is not an internal network of this stack.`, c.urn);
      }
    }
  },
});

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;
const WEB_PORTS: ReadonlySet<number> = new Set([80, 443]);

export const noPublicPorts = resourcePolicy({
  name: "no-public-ports",
  description: "No container publishes a port on a non-loopback address (an unset ip means 0.0.0.0), except nginx on 80 and 443.",
  severity: "critical",
  remediationSteps: "Remove the `ports` entry (reach the service over an internal network), or bind it to 127.0.0.1 for SSH-tunnel access; only nginx publishes 80/443.",
  framework: checklistFramework("11.8"),
  alwaysMandatory: true,
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    const ports = asArray(args.props.ports).map((p) => asRecord(p) ?? {});
    if (ports.length === 0) return;
    const isNginx = containerService(args.props) === "nginx";
    for (const port of ports) {
      const ip = asString(port.ip) ?? "0.0.0.0";
      if (LOOPBACK.test(ip)) continue;
      const internalPort = asNumber(port.internal);
      const external = asNumber(port.external);
      if (isNginx && WEB_PORTS.has(internalPort ?? -1) && (external === undefined || WEB_PORTS.has(external))) continue;
      report(`port ${internalPort} is published on ${ip}:${external ?? "(random)"}: reachable from outside the host.`);
    }
  },
});

const DANGEROUS_CAPABILITIES: ReadonlySet<string> = new Set(["ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "SYS_RAWIO"]);
const capName = (c: string) => c.toUpperCase().replace(/^CAP_/, "");

export const containerHardening = resourcePolicy({
  name: "container-hardening",
  description: "Every container runs unprivileged with no-new-privileges, drops ALL capabilities (adding back only harmless ones), and rotates its json-file logs.",
  severity: "high",
  remediationSteps: "Set securityOpts [\"no-new-privileges:true\"], capabilities { drops: [\"ALL\"], adds: [only what the entrypoint needs] }, privileged false, and logOpts { max-size, max-file } for the json-file driver.",
  framework: checklistFramework("11.2", "11.3"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    const props = args.props;
    if (asBoolean(props.privileged) === true) report("runs privileged: full access to the host's devices and kernel.");
    const securityOpts = asArray(props.securityOpts).map((o) => asString(o) ?? "");
    if (!securityOpts.some((o) => /^no-new-privileges(:true)?$/.test(o))) report("securityOpts lacks no-new-privileges:true (setuid binaries can escalate).");
    const capabilities = asRecord(props.capabilities);
    const drops = asArray(capabilities?.drops).map((c) => capName(asString(c) ?? ""));
    if (!drops.includes("ALL")) report("capabilities do not drop ALL.");
    const dangerous = asArray(capabilities?.adds).map((c) => capName(asString(c) ?? "")).filter((c) => DANGEROUS_CAPABILITIES.has(c));
    if (dangerous.length > 0) report(`adds dangerous capabilities: ${dangerous.join(", ")}.`);
    const driver = asString(props.logDriver) ?? "json-file";
    const maxSize = asString(asRecord(props.logOpts)?.["max-size"]);
    if (driver === "json-file" && !maxSize) report("json-file logs have no max-size: they grow until the disk is full.");
  },
});

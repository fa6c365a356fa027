// The nginx containers of a stack with their effective configuration, for the rules of sections 9, 10
// and 14. Every rule asks this; none reads nginx text itself.
import type { PolicyResource } from "@pulumi/policy";
import { containerName } from "../containers";
import { NETWORK } from "../resource-types";
import { nginxContainers, reportMissingService } from "../stack-resources";
import { known, readKnownElements, undecidable, UNKNOWN } from "../unknowns";
import { nginxInputOf } from "./container-input";
import { nginxModel } from "./index";
import { shortFile, type ListenSocket, type NginxModel } from "./model";
import { publicSockets, type ReachablePorts } from "./sites";

export interface NginxSite {
  readonly container: PolicyResource;
  /** The container's name, for messages. */
  readonly name: string;
  readonly model: NginxModel;
  /** The listen sockets clients outside the container reach (published ports, not loopback). */
  readonly sockets: readonly ListenSocket[];
  /** The container port a client reaches through a host port (80 -> 80 on the host network). */
  readonly containerPortOf: (hostPort: number) => number | undefined;
  /** The host port that leads to a container port, as clients write it in URLs. */
  readonly hostPortOf: (containerPort: number) => number | undefined;
}

interface Published {
  readonly reachable: ReachablePorts;
  readonly containerPortOf: (hostPort: number) => number | undefined;
  readonly hostPortOf: (containerPort: number) => number | undefined;
}

/**
 * Internal ports the container publishes; "all" on the host network or when it publishes none
 * (then it is reached over Docker networks).
 */
function publishedPorts(container: PolicyResource): Published {
  if (known(() => container.props.networkMode as string | undefined) === "host") return { reachable: "all", containerPortOf: (port) => port, hostPortOf: (port) => port };
  const ports = readKnownElements(() => container.props.ports as { internal?: number; external?: number }[] | undefined);
  if (ports.unknown > 0) undecidable("ports");
  const pairs = ports.values.map((p) => [known(() => p.external), known(() => p.internal)] as const);
  if (pairs.some(([e, i]) => e === UNKNOWN || i === UNKNOWN)) undecidable("ports");
  const internal = pairs.map(([, i]) => i).filter((p): p is number => typeof p === "number");
  return {
    reachable: internal.length === 0 ? "all" : new Set(internal),
    containerPortOf: (port) => pairs.find(([e]) => e === port)?.[1] as number | undefined,
    hostPortOf: (port) => pairs.find(([, i]) => i === port)?.[0] as number | undefined,
  };
}

/** Whether IPv6 clients reach the container's own IPv6 sockets: host network, or a Docker network with IPv6. */
function ipv6Reaches(container: PolicyResource, resources: readonly PolicyResource[]): boolean {
  if (known(() => container.props.networkMode as string | undefined) === "host") return true;
  const networks = readKnownElements(() => container.props.networksAdvanced as { name?: string }[] | undefined);
  const names = networks.values.map((n) => known(() => n.name));
  if (networks.unknown > 0 || names.some((n) => n === UNKNOWN)) return true;
  return resources.some((r) => {
    if (r.type !== NETWORK || !names.includes(known(() => r.props.name as string | undefined) as string)) return false;
    const ipv6 = known(() => r.props.ipv6);
    return ipv6 === true || ipv6 === UNKNOWN;
  });
}

export interface RequireNginxOptions {
  /** Report why nginx would refuse the configuration (one rule does, so a broken file is reported once). */
  readonly reportStartupErrors?: boolean;
}

/**
 * The stack's nginx containers with their model. Reports a stack without nginx, a container whose
 * configuration the stack does not hold, and files nginx would read that the stack does not declare;
 * rethrows (undecidable) when a file nginx reads is unknown at preview. A container whose nginx would
 * refuse to start is left out (tls-nginx reports it): nothing is served there to judge.
 */
export function requireNginx(resources: readonly PolicyResource[], report: (message: string, urn?: string) => void, options: RequireNginxOptions = {}): NginxSite[] {
  const found = nginxContainers(resources);
  if (found.length === 0) reportMissingService(resources, report, "No nginx container (image nginx or an /etc/nginx/nginx.conf upload) is in the stack.");
  const sites: NginxSite[] = [];
  for (const container of found) {
    const name = containerName(container);
    const input = nginxInputOf(container, resources);
    if (!input) {
      report(`nginx container ${name} receives no nginx.conf to judge.`, container.urn);
      continue;
    }
    const model = nginxModel(input);
    const unknown = model.loaded.unknownContent[0];
    if (unknown !== undefined) undecidable(`uploads[${unknown}].content`);
    for (const path of model.loaded.opaque) {
      report(`nginx ${name} reads ${path}, which comes from a host folder or volume whose files the stack does not declare: its settings cannot be judged.`, container.urn);
    }
    if (model.errors.length > 0) {
      if (options.reportStartupErrors) {
        for (const e of model.errors) report(`nginx ${name} would refuse to start: ${e.message} (${shortFile(e.file)}:${e.line}).`, container.urn);
      }
      continue;
    }
    const published = publishedPorts(container);
    sites.push({ container, name, model, sockets: publicSockets(model, published.reachable, ipv6Reaches(container, resources)), containerPortOf: published.containerPortOf, hostPortOf: published.hostPortOf });
  }
  return sites;
}

// One monitoring container the way every container here is built: pinned image pulled as a child,
// the hardened baseline, no published ports, and a DNS alias on the monitoring network that matches
// the host names the renderers use (e.g. "postgres-exporter:9187").
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceSize } from "../config";
import { hardenedContainerArgs, type Healthcheck } from "../docker/hardening";
import { IMAGES, pullImage, type ImageName } from "../docker/images";

export interface ServiceContainerSpec {
  /** Short id: resource `${name}-${id}`, container `jewelry-${id}`, alias `${id}` on `network`. */
  readonly id: string;
  readonly image: ImageName;
  readonly size: ServiceSize;
  readonly healthcheck: Healthcheck;
  readonly user?: string;
  readonly readOnlyRootFs?: boolean;
  /** Where the service is scraped or called: the monitoring network for all but the Docker API proxy. */
  readonly network: docker.Network;
  /** Further networks, only where the service must reach something off `network`. */
  readonly otherNetworks?: readonly docker.Network[];
  /** What it must start after (beside its image): the service an exporter reads at its start. */
  readonly after?: readonly pulumi.Resource[];
  /** command, envs, uploads, volumes, mounts, tmpfs…; never ports. */
  readonly settings: Omit<docker.ContainerArgs, "name" | "image" | "ports" | "networksAdvanced" | "networkMode">;
}

export function createServiceContainer(name: string, spec: ServiceContainerSpec, parent: pulumi.Resource): docker.Container {
  const image = pullImage(`${name}-${spec.id}`, IMAGES[spec.image], parent);
  return new docker.Container(`${name}-${spec.id}`, {
    ...hardenedContainerArgs({
      containerName: `jewelry-${spec.id}`,
      image: image.name,
      size: spec.size,
      user: spec.user,
      healthcheck: spec.healthcheck,
      readOnlyRootFs: spec.readOnlyRootFs,
    }),
    ...spec.settings,
    networksAdvanced: [
      { name: spec.network.name, aliases: [spec.id] },
      ...(spec.otherNetworks ?? []).map((network) => ({ name: network.name })),
    ],
  }, { parent, dependsOn: [image, ...(spec.after ?? [])] });
}

/** Healthcheck for busybox-based images (prom/*, prometheus-community): an HTTP GET on loopback. */
export function httpHealthcheck(url: string, wget = "wget"): Healthcheck {
  return { test: ["CMD", wget, "-q", "-O", "/dev/null", url], interval: "30s" };
}

/** Secret env entry: the whole "NAME=value" is a Pulumi secret, so the value never shows in plain text. */
export function secretEnv(name: string, value: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.secret(pulumi.interpolate`${name}=${value}`);
}

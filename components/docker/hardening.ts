// The baseline every container gets (checklist 11.3–11.8): limits, restart policy, healthcheck,
// no privilege escalation, dropped capabilities, a process cap and rotated logs.
import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import type { ServiceSize } from "../config";

export interface Healthcheck {
  /** Docker form: ["CMD", ...] or ["CMD-SHELL", "..."]. */
  readonly test: readonly string[];
  readonly interval?: string;
  readonly timeout?: string;
  readonly retries?: number;
  readonly startPeriod?: string;
}

export interface HardenedContainerSpec {
  /** Container name on the host (stable; DNS name on the networks). */
  readonly containerName: string;
  readonly image: pulumi.Input<string>;
  readonly size: ServiceSize;
  readonly healthcheck: Healthcheck;
  /** "uid:gid" or a user name; omitted only where the image drops privileges itself. */
  readonly user?: string;
  /** Capabilities to keep; everything else is dropped. */
  readonly capAdd?: readonly string[];
  /** Upper bound on processes/threads (docker has no pids-limit input; RLIMIT_NPROC is the closest). */
  readonly maxProcesses?: number;
  readonly readOnlyRootFs?: boolean;
  /** "unless-stopped" for services; "no" for one-shot jobs. */
  readonly restart?: "unless-stopped" | "always" | "on-failure" | "no";
}

/** Log rotation: 5 files of 10 MiB per container, so logs can never fill the disk. */
export const LOG_OPTIONS = { "max-size": "10m", "max-file": "5" } as const;

export function hardenedContainerArgs(spec: HardenedContainerSpec): docker.ContainerArgs {
  const processes = spec.maxProcesses ?? 512;
  return {
    name: spec.containerName,
    image: spec.image,
    user: spec.user,
    restart: spec.restart ?? "unless-stopped",
    memory: spec.size.memoryMb,
    // Equal to memory: no swap, so the limit is real.
    memorySwap: spec.size.memoryMb,
    cpus: String(spec.size.cpus),
    securityOpts: ["no-new-privileges:true"],
    capabilities: { drops: ["ALL"], adds: [...(spec.capAdd ?? [])] },
    ulimits: [{ name: "nproc", soft: processes, hard: processes }],
    readOnly: spec.readOnlyRootFs ?? false,
    init: true,
    logDriver: "json-file",
    logOpts: { ...LOG_OPTIONS },
    healthcheck: {
      tests: [...spec.healthcheck.test],
      interval: spec.healthcheck.interval ?? "30s",
      timeout: spec.healthcheck.timeout ?? "5s",
      retries: spec.healthcheck.retries ?? 3,
      startPeriod: spec.healthcheck.startPeriod ?? "30s",
    },
    labels: [
      { label: "com.jewelry-shop.service", value: spec.containerName },
      // promtail turns this label into the Loki `service` label the dashboards query ({service="web"}).
      { label: "jewelry.service", value: spec.containerName.replace(/^jewelry-/, "") },
    ],
    // Wait for the healthcheck on create/update so dependants start on a healthy service.
    wait: spec.restart === "no" ? false : true,
    waitTimeout: 180,
  };
}

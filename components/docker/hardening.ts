// The baseline every container gets (checklist 11.3–11.8): limits, restart policy, healthcheck,
// no privilege escalation, dropped capabilities, a process cap and rotated logs.
import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import type { ServiceSize } from "../config";

export interface Healthcheck {
  /** Docker form: ["CMD", ...] or ["CMD-SHELL", "..."]. */
  readonly test: readonly string[];
  /**
   * Default 10s. Docker (before 25, which has start_interval) runs the first probe one interval after
   * the start, so a service that is waited for is healthy no sooner than this: keep it short where
   * the probe is cheap.
   */
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
  /**
   * Default true for services: create/update waits (waitTimeout) until the healthcheck passes, so
   * dependants start on a healthy service. false where health depends on something outside the
   * deployment (a certificate authority), which a deploy must not wait for.
   */
  readonly waitForHealthy?: boolean;
  /** Labels beside the service labels every container gets. */
  readonly labels?: readonly { readonly label: string; readonly value: pulumi.Input<string> }[];
}

/** Log rotation: 5 files of 10 MiB per container, so logs can never fill the disk. */
export const LOG_OPTIONS = { "max-size": "10m", "max-file": "5" } as const;

/** How long create/update waits for a waited-for container to become healthy. */
export const WAIT_TIMEOUT_SECONDS = 180;

/** Seconds of a Docker healthcheck duration ("90s", "5m", "1h30m", "500ms"). */
export function durationSeconds(duration: string): number {
  const units: Readonly<Record<string, number>> = { h: 3600, m: 60, s: 1, ms: 1e-3 };
  const parts = [...duration.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== duration) throw new Error(`not a duration: "${duration}" (use e.g. 30s, 5m, 1h)`);
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * units[unit], 0);
}

export function hardenedContainerArgs(spec: HardenedContainerSpec): docker.ContainerArgs {
  const processes = spec.maxProcesses ?? 512;
  const health = {
    interval: spec.healthcheck.interval ?? "10s",
    timeout: spec.healthcheck.timeout ?? "5s",
    retries: spec.healthcheck.retries ?? 3,
    startPeriod: spec.healthcheck.startPeriod ?? "30s",
  };
  const wait = spec.restart !== "no" && spec.waitForHealthy !== false;
  // The first probe comes one interval after the start and may take its timeout: a wait shorter than
  // that fails every create, whatever the service does.
  const firstVerdict = durationSeconds(health.interval) + durationSeconds(health.timeout);
  if (wait && firstVerdict >= WAIT_TIMEOUT_SECONDS) {
    throw new Error(
      `${spec.containerName}: its healthcheck's first verdict comes after ${firstVerdict} s (interval ${health.interval} + timeout ${health.timeout}), ` +
        `but create/update waits ${WAIT_TIMEOUT_SECONDS} s for healthy: shorten the interval, or set waitForHealthy: false if its health depends on something outside the deployment.`,
    );
  }
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
    healthcheck: { tests: [...spec.healthcheck.test], ...health },
    labels: [
      { label: "com.jewelry-shop.service", value: spec.containerName },
      // promtail turns this label into the Loki `service` label the dashboards query ({service="web"}).
      { label: "jewelry.service", value: spec.containerName.replace(/^jewelry-/, "") },
      ...(spec.labels ?? []),
    ],
    // Wait for the healthcheck on create/update so dependants start on a healthy service.
    wait,
    waitTimeout: WAIT_TIMEOUT_SECONDS,
  };
}

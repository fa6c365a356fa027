// Creates and starts one declared container the way pulumi-docker does: create (on the default
// bridge), disconnect the bridge, connect each declared network with its aliases and fixed
// address, copy the uploads in, start; then `wait` for healthy within waitTimeout (the declared
// healthcheck run at once, not one interval later), or `attach`
// until the job exits; a container that must run and is not running fails the stand-up.
import type Dockerode from "dockerode";
import { runDeclaredHealthcheck } from "../../../verify/probes/docker-host";
import type { ContainerPlan } from "./container-spec";
import { applyUploads } from "./uploads";

export interface ContainerResult {
  readonly name: string;
  readonly id: string;
  /** Exit code of an attached (one-shot) container. */
  readonly exitCode?: number;
  /** Its output, when the container declares `logs`. */
  readonly logs?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The last lines of a container's output, for error messages. */
export async function tailLogs(container: Dockerode.Container, lines = 20): Promise<string> {
  const raw = (await container.logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
  return demultiplex(raw).trim();
}

/** Docker's multiplexed log stream (8-byte frame headers) as text. */
export function demultiplex(raw: Buffer): string {
  const parts: string[] = [];
  let at = 0;
  while (at + 8 <= raw.length) {
    const size = raw.readUInt32BE(at + 4);
    parts.push(raw.subarray(at + 8, at + 8 + size).toString("utf8"));
    at += 8 + size;
  }
  return parts.join("");
}

/**
 * `wait`: healthy within waitTimeout. Docker (before 25) runs the first probe one interval after
 * the start (60 s for web, worker and beat), so while its verdict is still "starting" the declared
 * healthcheck is run now, once a second: the same command, so the same order of the stack's start
 * as pulumi-docker's wait gives, without the idle interval. Like pulumi-docker, anything else keeps
 * waiting until the deadline (a restart or Docker's next probe may still make it healthy).
 */
async function waitHealthy(docker: Dockerode, container: Dockerode.Container, name: string, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const inspected = await container.inspect();
    const state = inspected.State;
    if (!state.Health) throw new Error(`${name}: wait is set, but the container has no healthcheck`);
    if (state.Health.Status === "healthy") return;
    if (state.Running && state.Health.Status === "starting" && (await runDeclaredHealthcheck(docker, inspected)).exitCode === 0) return;
    if (Date.now() >= deadline) {
      const probe = state.Health.Log?.at(-1);
      const last = probe ? `last probe exit ${probe.ExitCode}: ${probe.Output.trim().slice(0, 400)}` : "no probe ran yet";
      throw new Error(`${name}: not healthy within waitTimeout ${timeoutSeconds} s (status ${state.Health.Status}, ${state.Status}; ${last}); output:\n${await tailLogs(container)}`);
    }
    await sleep(1000);
  }
}

export async function runContainer(docker: Dockerode, plan: ContainerPlan, attachTimeoutSeconds: number): Promise<ContainerResult> {
  const container = await docker.createContainer(plan.create);
  if (plan.networks.length > 0) {
    await docker.getNetwork("bridge").disconnect({ Container: container.id, Force: false }).catch((error: Error) => {
      if (!/is not connected to the network bridge/.test(error.message)) throw error;
    });
    for (const network of plan.networks) {
      await docker.getNetwork(network.name).connect({
        Container: container.id,
        EndpointConfig: { Aliases: [...network.aliases], IPAMConfig: network.ipv4Address ? { IPv4Address: network.ipv4Address } : {} },
      });
    }
  }
  await applyUploads(container, plan.name, plan.uploads);
  if (!plan.lifecycle.start) return { name: plan.name, id: container.id };
  await container.start();
  if (plan.lifecycle.wait) await waitHealthy(docker, container, plan.name, plan.lifecycle.waitTimeoutSeconds);

  let exitCode: number | undefined;
  let logs: string | undefined;
  if (plan.lifecycle.attach) {
    const exited = container.wait({ condition: "not-running" }) as Promise<{ StatusCode: number }>;
    const timeout = sleep(attachTimeoutSeconds * 1000).then(() => undefined);
    const result = await Promise.race([exited, timeout]);
    if (!result) throw new Error(`${plan.name}: still running after ${attachTimeoutSeconds} s (attach waits for the job to exit)`);
    exitCode = result.StatusCode;
    if (plan.lifecycle.logs) logs = demultiplex((await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
  }
  if (plan.lifecycle.mustRun) {
    // pulumi-docker reads the container back up to 15 s to see it running.
    const deadline = Date.now() + 15_000;
    let state = (await container.inspect()).State;
    while (!state.Running && state.Status === "created" && Date.now() < deadline) {
      await sleep(250);
      state = (await container.inspect()).State;
    }
    if (!state.Running) {
      throw new Error(`${plan.name}: mustRun is set but the container is ${state.Status} (exit ${state.ExitCode}); output:\n${await tailLogs(container)}`);
    }
  }
  return { name: plan.name, id: container.id, ...(exitCode !== undefined ? { exitCode } : {}), ...(logs !== undefined ? { logs } : {}) };
}

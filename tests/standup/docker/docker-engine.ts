// The local Docker engine the stand-up drives (through its API, with dockerode), and the labels
// that mark everything a stand-up creates so it can be removed by label, also after a crash.
import Dockerode from "dockerode";
import { Agent } from "node:http";
import { DockerUnavailableError, SKIP_STANDUP_ENV, STANDUP_LABEL as IMAGE_LABEL } from "../images";

/** Every object a stand-up creates carries this label (the images carry it too)... */
export const STANDUP_LABEL = IMAGE_LABEL.key;
export const STANDUP_LABEL_VALUE = IMAGE_LABEL.value;
/** ...and its run id, so two runs' objects are told apart. */
export const RUN_LABEL = "com.jewelry-shop.test.run";
export const SKIP_ENV = SKIP_STANDUP_ENV;
export const DOCKER_SOCKET = "/var/run/docker.sock";

export function runLabels(runId: string): Record<string, string> {
  return { [STANDUP_LABEL]: STANDUP_LABEL_VALUE, [RUN_LABEL]: runId };
}

/** A call the engine leaves unanswered this long is abandoned (docker-modem then reports "socket hang up"). */
const DOCKER_CALL_IDLE_TIMEOUT_MS = 300_000;

/** Makes every failed Engine API call name itself (dockerode's own errors do not: "socket hang up"). */
function nameFailedCalls(docker: Dockerode): void {
  const modem = docker.modem;
  const dial = modem.dial.bind(modem);
  modem.dial = (options, callback) =>
    dial(options, (error, result) => {
      if (error instanceof Error && !error.message.startsWith(`${options.method ?? "GET"} `)) {
        const idle = /socket hang up/.test(error.message) ? ` (no answer from the engine within ${DOCKER_CALL_IDLE_TIMEOUT_MS / 1000} s, or it closed the connection)` : "";
        error.message = `${options.method ?? "GET"} ${options.path.split("?")[0]}: ${error.message}${idle}`;
      }
      callback?.(error, result);
    });
}

/**
 * A new connection per Engine API call. Node's default agent keeps sockets alive, and dockerd closes
 * an idle one after a while; the stand-up's program run holds the event loop for long stretches (the
 * SDK under mocks runs in microtasks), so the close goes unnoticed and the next call is written into a
 * dead socket: "POST /networks/create: socket hang up" ended two stand-ups so. A unix socket costs
 * next to nothing to open.
 */
const engineAgent = new Agent({ keepAlive: false });

/** A client of the local engine (docker-modem takes `agent`, which @types/dockerode does not list). */
export function localEngine(timeoutMs?: number): Dockerode {
  const options: Dockerode.DockerOptions & { agent: Agent } = { socketPath: DOCKER_SOCKET, agent: engineAgent, ...(timeoutMs ? { timeout: timeoutMs } : {}) };
  return new Dockerode(options);
}

export async function connectDocker(): Promise<Dockerode> {
  const docker = localEngine(DOCKER_CALL_IDLE_TIMEOUT_MS);
  nameFailedCalls(docker);
  try {
    await docker.ping();
  } catch (error) {
    throw new DockerUnavailableError((error as Error).message);
  }
  return docker;
}

// By run label: the images helper's own containers carry only the stand-up label and are never touched here.
const labelFilter = (runId?: string) => JSON.stringify({ label: [runId ? `${RUN_LABEL}=${runId}` : RUN_LABEL] });

const ignoreMissing = (error: unknown) => {
  if ((error as { statusCode?: number }).statusCode !== 404) throw error;
};

/**
 * Removes every container, network and volume of a stand-up (one run, or every run when no id is
 * given: the sweep of a crashed earlier run; the declared names and subnets allow one stand-up per
 * machine at a time). Only objects with a run label are touched.
 */
export async function removeLabelled(docker: Dockerode, runId?: string): Promise<number> {
  const filters = labelFilter(runId);
  let removed = 0;
  for (const c of await docker.listContainers({ all: true, filters })) {
    // With its anonymous volumes (an image's VOLUME no declared mount covers: postgres, redis,
    // certbot, pgBackRest), which carry no label and would stay behind; named volumes are kept by
    // Docker here and removed below by their label.
    await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreMissing);
    removed++;
  }
  for (const n of await docker.listNetworks({ filters })) {
    await docker.getNetwork(n.Id).remove().catch(ignoreMissing);
    removed++;
  }
  const { Volumes } = await docker.listVolumes({ filters });
  for (const v of Volumes ?? []) {
    await docker.getVolume(v.Name).remove().catch(ignoreMissing);
    removed++;
  }
  return removed;
}

/** Names the stand-up will create that an object outside any stand-up already holds: those are never touched. */
export async function foreignNameClashes(docker: Dockerode, names: { containers: string[]; networks: string[]; volumes: string[] }): Promise<string[]> {
  const ours = (labels: Record<string, string> | null | undefined) => labels?.[RUN_LABEL] !== undefined;
  const clashes: string[] = [];
  for (const c of await docker.listContainers({ all: true })) {
    const name = c.Names[0]?.replace(/^\//, "");
    if (names.containers.includes(name) && !ours(c.Labels)) clashes.push(`container ${name}`);
  }
  for (const n of await docker.listNetworks()) if (names.networks.includes(n.Name) && !ours(n.Labels)) clashes.push(`network ${n.Name}`);
  for (const v of (await docker.listVolumes()).Volumes ?? []) if (names.volumes.includes(v.Name) && !ours(v.Labels)) clashes.push(`volume ${v.Name}`);
  return clashes;
}

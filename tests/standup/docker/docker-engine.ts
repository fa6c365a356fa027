// The local Docker engine the stand-up drives (through its API, with dockerode), and the labels
// that mark everything a stand-up creates so it can be removed by label, also after a crash.
import Dockerode from "dockerode";

/** Every object a stand-up creates carries this label... */
export const STANDUP_LABEL = "com.jewelry-shop.test";
export const STANDUP_LABEL_VALUE = "standup";
/** ...and its run id, so two runs' objects are told apart. */
export const RUN_LABEL = "com.jewelry-shop.test.run";

export const SKIP_ENV = "JEWELRY_SHOP_SKIP_STANDUP";
export const DOCKER_SOCKET = "/var/run/docker.sock";

export class DockerUnavailableError extends Error {
  constructor(reason: string) {
    super(
      `the stand-up needs a running Docker engine at ${DOCKER_SOCKET}: ${reason}. ` +
        "CI installs docker.io and starts dockerd itself (tests/standup/images); as root, run `npm test` again. " +
        `To skip the stand-up on purpose (its tests are then reported as skipped), set ${SKIP_ENV}=1.`,
    );
    this.name = "DockerUnavailableError";
  }
}

export function runLabels(runId: string): Record<string, string> {
  return { [STANDUP_LABEL]: STANDUP_LABEL_VALUE, [RUN_LABEL]: runId };
}

export async function connectDocker(): Promise<Dockerode> {
  const docker = new Dockerode({ socketPath: DOCKER_SOCKET, timeout: 120_000 });
  try {
    await docker.ping();
  } catch (error) {
    throw new DockerUnavailableError((error as Error).message);
  }
  return docker;
}

const labelFilter = (runId?: string) => JSON.stringify({ label: [runId ? `${RUN_LABEL}=${runId}` : `${STANDUP_LABEL}=${STANDUP_LABEL_VALUE}`] });

const ignoreMissing = (error: unknown) => {
  if ((error as { statusCode?: number }).statusCode !== 404) throw error;
};

/**
 * Removes every container, network and volume of a stand-up (one run, or every run when no id is
 * given: the sweep of a crashed earlier run). Only labelled objects are touched.
 */
export async function removeLabelled(docker: Dockerode, runId?: string): Promise<number> {
  const filters = labelFilter(runId);
  let removed = 0;
  for (const c of await docker.listContainers({ all: true, filters })) {
    await docker.getContainer(c.Id).remove({ force: true, v: false }).catch(ignoreMissing);
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
  const ours = (labels: Record<string, string> | null | undefined) => labels?.[STANDUP_LABEL] === STANDUP_LABEL_VALUE;
  const clashes: string[] = [];
  for (const c of await docker.listContainers({ all: true })) {
    const name = c.Names[0]?.replace(/^\//, "");
    if (names.containers.includes(name) && !ours(c.Labels)) clashes.push(`container ${name}`);
  }
  for (const n of await docker.listNetworks()) if (names.networks.includes(n.Name) && !ours(n.Labels)) clashes.push(`network ${n.Name}`);
  for (const v of (await docker.listVolumes()).Volumes ?? []) if (names.volumes.includes(v.Name) && !ours(v.Labels)) clashes.push(`volume ${v.Name}`);
  return clashes;
}

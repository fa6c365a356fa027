// Reaching a declared container's port from this machine through the Docker host: the container's
// address comes from `docker inspect`, the connection from a local forward (probes/docker-host.ts),
// open only for the check that needs it.
import type Dockerode from "dockerode";
import { containerByHost } from "../../intent/app";
import { forwardPort } from "../../probes/docker-host";
import type { VerifyContext } from "../context";

export async function withForward<T>(ctx: VerifyContext, host: string, port: number, use: (local: number, container: string) => Promise<T>): Promise<T> {
  const dockerHost = ctx.dockerHost;
  if (!dockerHost) throw new Error("no Docker host: the program declares none; give --docker-host");
  const declared = containerByHost(ctx.intent.containers, host);
  const name = declared?.name ?? host;
  let inspect: Dockerode.ContainerInspectInfo;
  try {
    inspect = await dockerHost.docker.getContainer(name).inspect();
  } catch (err) {
    throw new Error(`container ${name} is not on the Docker host (${(err as Error).message})`);
  }
  const address = Object.values(inspect.NetworkSettings.Networks ?? {}).map((n) => n.IPAddress).find((a) => a);
  if (!address || !inspect.State.Running) throw new Error(`container ${name} is not running`);
  const forward = await forwardPort(dockerHost, address, port);
  try {
    return await use(forward.port, name);
  } finally {
    await forward.close();
  }
}

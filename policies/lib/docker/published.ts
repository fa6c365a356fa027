// The sockets a container opens beyond the Docker host: ports published off loopback (the
// provider's default ip is 0.0.0.0; "" is every address too; "::" every IPv6 one), publishAllPorts
// (every port the image EXPOSEs, on random host ports of every address) and the host network (every
// port the process listens on). Shared by the section 10 and 11 rules.
import { need, type ContainerRuntime, type PublishedPort } from "./runtime";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/;
const WEB_PORTS: ReadonlySet<number> = new Set([80, 443]);

/** Sockets a container opens to other hosts: ports on non-loopback addresses, publishAllPorts, the host network. */
export function publicSockets(runtime: ContainerRuntime): Array<{ port?: PublishedPort; problem: string }> {
  const found: Array<{ port?: PublishedPort; problem: string }> = [];
  if (need(runtime.networkMode) === "host") found.push({ problem: "uses the host network: every port it listens on is open on the host's addresses" });
  if (need(runtime.publishAllPorts)) found.push({ problem: "sets publishAllPorts: Docker publishes every port the image exposes on random ports of all the host's addresses" });
  for (const port of need(runtime.ports)) {
    if (LOOPBACK.test(port.ip)) continue;
    const address = port.ip === "" || port.ip === "0.0.0.0" ? "0.0.0.0" : port.ip.includes(":") ? `[${port.ip}]` : port.ip;
    found.push({ port, problem: `publishes port ${port.internal}/${port.protocol} on ${address}:${port.external ?? "(random)"}` });
  }
  return found;
}

/** nginx may publish 80 and 443 (the host port; the container port too, with the official image's config). */
export const isWebPort = (port: PublishedPort | undefined): boolean =>
  port !== undefined && WEB_PORTS.has(port.external ?? -1) && WEB_PORTS.has(port.internal ?? -1) && port.protocol === "tcp";


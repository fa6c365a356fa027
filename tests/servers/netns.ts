// A network namespace of the test's own (iproute2): servers inside bind 80 and 443, which the
// web scanners insist on, without taking the host's ports (another test publishes them at the
// same time). Names given resolve to loopback inside the namespace only.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";

export interface NetworkNamespace {
  readonly name: string;
  /** The argv that runs `argv` inside the namespace; `ip netns exec` execs, so a PID held is the command's. */
  argv(argv: readonly string[]): string[];
  /** True when something accepts TCP connections on 127.0.0.1:port inside the namespace. */
  portAccepts(port: number): boolean;
  /** Deletes the namespace and its /etc/netns folder; safe to call twice. Stop what runs inside first. */
  remove(): void;
}

const live = new Set<NetworkNamespace>();
process.once("exit", () => {
  for (const namespace of live) namespace.remove();
});

export function createNetworkNamespace(prefix: string, hostNames: readonly string[]): NetworkNamespace {
  const name = `js-${prefix}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const etc = `/etc/netns/${name}`;
  const namespace: NetworkNamespace = {
    name,
    argv: (argv) => ["ip", "netns", "exec", name, ...argv],
    portAccepts: (port) =>
      spawnSync("ip", ["netns", "exec", name, "bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`], { stdio: "ignore" }).status === 0,
    remove() {
      spawnSync("ip", ["netns", "delete", name], { stdio: "ignore" });
      rmSync(etc, { recursive: true, force: true });
      live.delete(namespace);
    },
  };
  live.add(namespace);
  try {
    execFileSync("ip", ["netns", "add", name], { stdio: ["ignore", "ignore", "pipe"] });
    execFileSync("ip", ["netns", "exec", name, "ip", "link", "set", "lo", "up"]);
    // `ip netns exec` bind-mounts /etc/netns/<name>/hosts over /etc/hosts for what runs inside.
    mkdirSync(etc, { recursive: true });
    writeFileSync(`${etc}/hosts`, `127.0.0.1 localhost ${hostNames.join(" ")}\n`);
  } catch (error) {
    namespace.remove();
    throw new Error(`cannot create network namespace ${name} (needs root and iproute2): ${(error as Error).message}`);
  }
  return namespace;
}

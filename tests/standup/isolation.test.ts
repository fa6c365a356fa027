// Isolation on the running stack: PostgreSQL, PgBouncer and Redis cannot be reached from the edge
// network nor through the host's published ports; nginx's ports are the only way in.
import { connect } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import type { StandUpInfo } from "./standup";
import { declaredContainers, execIn, standUp, standUpSkipped } from "./fixture";

/** True when a TCP connection to 127.0.0.1:port is accepted within 3 s. */
function hostPortAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, timeout: 3000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}

/** Python one-liner run inside a container: exit 0 if host:port accepts within 3 s. */
const tcpProbe = (host: string, port: number) => [
  "python3", "-c",
  `import socket,sys\ntry:\n socket.create_connection((${JSON.stringify(host)}, ${port}), 3).close()\nexcept OSError as e:\n print(e); sys.exit(1)`,
];

describe.skipIf(standUpSkipped())("network isolation", () => {
  let info: StandUpInfo;
  let edgeOnly: { name: string; id: string };
  let postgresAddress: string;
  beforeAll(async () => {
    info = await standUp();
    const containers = declaredContainers(info);
    const nginx = containers.find((c) => ((c.inputs.ports ?? []) as unknown[]).length > 0)!;
    const networksOf = (c: (typeof containers)[number]) => ((c.inputs.networksAdvanced ?? []) as { name: string }[]).map((n) => n.name);
    const internal = new Set(info.declared.resources.filter((r) => r.type === "docker:index/network:Network" && r.object.internal === true).map((r) => String(r.object.name)));
    const edge = networksOf(nginx).find((n) => !internal.has(n))!;
    // A container on the edge network and nothing else (certbot): what an intruder on the edge would be.
    const probe = containers.find((c) => c.inputs.restart !== "no" && networksOf(c).length === 1 && networksOf(c)[0] === edge)!;
    edgeOnly = { name: probe.name, id: probe.id };
    const postgres = containers.find((c) => c.name === "jewelry-postgres")!;
    postgresAddress = String(((postgres.inputs.networksAdvanced ?? []) as { ipv4Address?: string }[]).find((n) => n.ipv4Address)?.ipv4Address);
  });

  it("reaches nginx from the edge network (the probe works)", async () => {
    expect(await execIn(edgeOnly.id, tcpProbe("jewelry-nginx", 80))).toMatchObject({ exitCode: 0 });
  });

  it("cannot reach PostgreSQL, PgBouncer or Redis from the edge network, by name or by address", async () => {
    const targets: [string, number][] = [["jewelry-postgres", 5432], [postgresAddress, 5432], ["jewelry-pgbouncer", 6432], ["jewelry-redis", 6379]];
    for (const [host, port] of targets) {
      const result = await execIn(edgeOnly.id, tcpProbe(host, port));
      expect({ from: edgeOnly.name, host, port, reached: result.exitCode === 0 }).toEqual({ from: edgeOnly.name, host, port, reached: false });
    }
  });

  it("answers on the host only on nginx's published ports", async () => {
    expect({ 80: await hostPortAccepts(80), 443: await hostPortAccepts(443) }).toEqual({ 80: true, 443: true });
    for (const port of [5432, 6432, 6379]) expect({ port, accepts: await hostPortAccepts(port) }).toEqual({ port, accepts: false });
  });
});

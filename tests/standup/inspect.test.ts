// `docker inspect` of every running container equals what the program declared: user,
// capabilities, no-new-privileges, read-only root, limits, restart policy, networks and published ports.
import { beforeAll, describe, expect, it } from "vitest";
import type Dockerode from "dockerode";
import type { StandUpInfo } from "./standup";
import { declaredContainers, docker, standUp, standUpSkipped } from "./fixture";

type Declared = Record<string, unknown>;
const MiB = 1024 * 1024;
const caps = (list: unknown) => ((list as string[] | null | undefined) ?? []).map((c) => c.toUpperCase().replace(/^CAP_/, "")).sort();

describe.skipIf(standUpSkipped())("docker inspect of each container", () => {
  let info: StandUpInfo;
  /** imageUser: the image's own USER, which a container that declares no user runs as. */
  let inspected: { name: string; inputs: Declared; actual: Dockerode.ContainerInspectInfo; imageUser: string }[];
  beforeAll(async () => {
    info = await standUp();
    inspected = await Promise.all(declaredContainers(info).map(async (c) => {
      const actual = await docker.getContainer(c.id).inspect();
      return { name: c.name, inputs: c.inputs, actual, imageUser: (await docker.getImage(actual.Image).inspect()).Config.User ?? "" };
    }));
  });

  it("runs as the declared user with exactly the declared capabilities and no privilege escalation", () => {
    for (const { name, inputs, actual, imageUser } of inspected) {
      const declaredCaps = (inputs.capabilities ?? {}) as { adds?: string[]; drops?: string[] };
      expect({ name, user: actual.Config.User, add: caps(actual.HostConfig.CapAdd), drop: caps(actual.HostConfig.CapDrop), privileged: actual.HostConfig.Privileged })
        .toEqual({ name, user: inputs.user === undefined ? imageUser : String(inputs.user), add: caps(declaredCaps.adds), drop: caps(declaredCaps.drops), privileged: false });
      expect({ name, securityOpt: actual.HostConfig.SecurityOpt }).toEqual({ name, securityOpt: inputs.securityOpts });
      expect(actual.HostConfig.SecurityOpt).toContain("no-new-privileges:true");
    }
  });

  it("has the declared read-only root, memory, swap, CPU, process and tmpfs limits", () => {
    for (const { name, inputs, actual } of inspected) {
      const h = actual.HostConfig;
      expect({
        name, readOnly: h.ReadonlyRootfs, memory: h.Memory, swap: h.MemorySwap, nanoCpus: h.NanoCpus, init: h.Init, tmpfs: h.Tmpfs ?? {},
        ulimits: (h.Ulimits ?? []).map((u) => ({ name: u.Name, soft: u.Soft, hard: u.Hard })),
      }).toEqual({
        name, readOnly: inputs.readOnly === true, memory: Number(inputs.memory) * MiB, swap: Number(inputs.memorySwap) * MiB,
        nanoCpus: Number(inputs.cpus) * 1e9, init: inputs.init === true, tmpfs: inputs.tmpfs ?? {},
        ulimits: ((inputs.ulimits ?? []) as { name: string; soft: number; hard: number }[]).map((u) => ({ name: u.name, soft: u.soft, hard: u.hard })),
      });
    }
  });

  it("has the declared restart policy, log rotation and healthcheck", () => {
    for (const { name, inputs, actual } of inspected) {
      expect({ name, restart: actual.HostConfig.RestartPolicy?.Name, log: actual.HostConfig.LogConfig })
        .toEqual({ name, restart: String(inputs.restart ?? "no"), log: { Type: inputs.logDriver, Config: inputs.logOpts } });
      const health = inputs.healthcheck as { tests: string[]; retries: number } | undefined;
      expect({ name, test: actual.Config.Healthcheck?.Test, retries: actual.Config.Healthcheck?.Retries })
        .toEqual({ name, test: health?.tests, retries: health?.retries });
    }
  });

  it("joins exactly the declared networks, with the declared aliases and fixed addresses", () => {
    for (const { name, inputs, actual } of inspected) {
      const declared = (inputs.networksAdvanced ?? []) as { name: string; aliases?: string[]; ipv4Address?: string }[];
      const networks = actual.NetworkSettings.Networks;
      expect({ name, networks: Object.keys(networks).sort() }).toEqual({ name, networks: declared.map((n) => n.name).sort() });
      for (const n of declared) {
        const endpoint = networks[n.name];
        for (const alias of n.aliases ?? []) expect({ name, network: n.name, aliases: endpoint.Aliases }).toEqual({ name, network: n.name, aliases: expect.arrayContaining([alias]) });
        if (n.ipv4Address) expect({ name, network: n.name, ip: endpoint.IPAddress }).toEqual({ name, network: n.name, ip: n.ipv4Address });
      }
    }
  });

  it("publishes exactly the declared ports, and only nginx publishes any", () => {
    const publishing = inspected.filter(({ actual }) => Object.keys(actual.HostConfig.PortBindings ?? {}).length > 0).map(({ name }) => name);
    expect(publishing).toEqual(["jewelry-nginx"]);
    for (const { name, inputs, actual } of inspected) {
      const declared = ((inputs.ports ?? []) as { internal: number; external: number; ip?: string; protocol?: string }[])
        .map((p) => `${p.ip ?? "0.0.0.0"}:${p.external}->${p.internal}/${p.protocol ?? "tcp"}`).sort();
      const bound = Object.entries(actual.HostConfig.PortBindings ?? {})
        .flatMap(([port, bindings]) => (bindings as { HostIp: string; HostPort: string }[]).map((b) => `${b.HostIp}:${b.HostPort}->${port}`)).sort();
      expect({ name, bound }).toEqual({ name, bound: declared });
    }
  });

  it("creates the declared networks with their subnets and internal flags", async () => {
    const declared = info.declared.resources.filter((r) => r.type === "docker:index/network:Network");
    for (const r of declared) {
      const inputs = r.object as { name: string; internal: boolean; ipamConfigs: { subnet: string }[] };
      const actual = await docker.getNetwork(inputs.name).inspect();
      expect({ name: inputs.name, internal: actual.Internal, subnets: (actual.IPAM?.Config ?? []).map((c) => c.Subnet) })
        .toEqual({ name: inputs.name, internal: inputs.internal, subnets: inputs.ipamConfigs.map((c) => c.subnet) });
    }
  });
});

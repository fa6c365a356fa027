// Checklist section 11 and the "nothing exposed" rule, on the whole program as `pulumi preview` sees it.
import { beforeAll, describe, expect, it } from "vitest";
import type { ProgramRun } from "../../check/run-program";
import { containers, networksOf, productionRun } from "./production-run";

let program: ProgramRun;
beforeAll(async () => {
  program = await productionRun();
});

const isJob = (name: string) => /-(migrate|collectstatic|compilemessages)$/.test(name);

describe("every container of the production stack", () => {
  it("has a healthcheck with a real test command (11.4)", () => {
    for (const c of containers(program)) {
      const tests = (c.object.healthcheck as { tests?: string[] } | undefined)?.tests ?? [];
      expect(tests.length, c.name).toBeGreaterThan(1);
      expect(["CMD", "CMD-SHELL"], c.name).toContain(tests[0]);
    }
  });

  it("has memory and CPU limits with no extra swap (11.5)", () => {
    for (const c of containers(program)) {
      expect(c.object.memory, c.name).toBeGreaterThan(0);
      expect(c.object.memorySwap, c.name).toBe(c.object.memory);
      expect(Number(c.object.cpus), c.name).toBeGreaterThan(0);
    }
  });

  it("restarts unless stopped, except one-shot deploy jobs (11.6)", () => {
    for (const c of containers(program)) {
      expect(c.object.restart, c.name).toBe(isJob(c.name) ? "no" : "unless-stopped");
    }
  });

  it("forbids privilege escalation, drops all capabilities, caps processes and rotates logs", () => {
    for (const c of containers(program)) {
      expect(c.object.securityOpts, c.name).toContain("no-new-privileges:true");
      expect((c.object.capabilities as { drops: string[] }).drops, c.name).toEqual(["ALL"]);
      expect((c.object.ulimits as { name: string }[]).map((u) => u.name), c.name).toContain("nproc");
      expect(c.object.logOpts, c.name).toMatchObject({ "max-size": "10m", "max-file": "5" });
      expect(c.object.privileged ?? false, c.name).toBe(false);
    }
  });

  it("runs the app as appuser:appgroup and other services as non-root where the image allows (11.3)", () => {
    const byImageDropsPrivileges = new Set(["postgres-container", "edge-nginx", "edge-certbot"]);
    for (const c of containers(program)) {
      if (c.name.startsWith("app-")) expect(c.object.user, c.name).toBe("appuser:appgroup");
      else if (!byImageDropsPrivileges.has(c.name) && !c.name.startsWith("monitoring-") && !c.name.startsWith("backup")) {
        expect(c.object.user, c.name).toMatch(/^[1-9]\d*(:\d+)?$/);
      }
    }
  });

  it("publishes ports only from nginx, and only 80 and 443 (10.1)", () => {
    const publishing = containers(program).filter((c) => ((c.object.ports ?? []) as unknown[]).length > 0);
    expect(publishing.map((c) => c.name)).toEqual(["edge-nginx"]);
    const ports = (publishing[0].object.ports as { external: number }[]).map((p) => p.external).sort();
    expect(ports).toEqual([443, 80]);
  });

  it("keeps the data tier on internal networks only (11.8)", () => {
    for (const name of ["postgres-container", "pgbouncer-container", "redis-container"]) {
      const c = containers(program).find((r) => r.name === name)!;
      const networks = networksOf(program, c);
      expect(networks.length, name).toBeGreaterThan(0);
      for (const n of networks) expect(n.internal, `${name} on ${n.name}`).toBe(true);
    }
  });

  it("keeps persistent data in named volumes (11.7)", () => {
    const mounts = (name: string) =>
      ((containers(program).find((r) => r.name === name)!.object.volumes ?? []) as { volumeName?: string; containerPath: string }[]);
    expect(mounts("postgres-container")).toContainEqual({ volumeName: "jewelry-postgres-data", containerPath: "/var/lib/postgresql/data" });
    expect(mounts("postgres-container")).toContainEqual({ volumeName: "jewelry-pgbackrest-spool", containerPath: "/var/spool/pgbackrest" });
    expect(mounts("redis-container")).toContainEqual({ volumeName: "jewelry-redis-data", containerPath: "/data" });
    const volumes = program.resources.filter((r) => r.type === "docker:index/volume:Volume");
    const protectedVolumes = volumes.filter((v) => v.options.protect).map((v) => v.object.name);
    expect(protectedVolumes).toEqual(expect.arrayContaining(["jewelry-postgres-data", "jewelry-pgbackrest-repo", "jewelry-media"]));
  });

  it("pins every image to a version: no latest, no bare name (11.2)", () => {
    const pulled = program.resources.filter((r) => r.type === "docker:index/remoteImage:RemoteImage").map((r) => String(r.object.name));
    const built = program.resources.filter((r) => r.type === "docker:index/image:Image").map((r) => String(r.object.imageName));
    const images = [...pulled, ...built];
    expect(pulled.length).toBeGreaterThan(5);
    for (const image of images) expect(image, image).toMatch(/:(?!latest$)[\w][\w.-]*$|@sha256:[0-9a-f]{64}$/);
    for (const c of containers(program)) expect(images, c.name).toContain(c.object.image);
  });
});

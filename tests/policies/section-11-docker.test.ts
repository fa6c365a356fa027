import { describe, expect, it } from "vitest";
import { baseline, mutate, stackContext, type MutableProps } from "./baseline";
import { findingsOf, messagesOf } from "./harness";

const ctx = stackContext();
const staging = stackContext({ environment: "staging", stack: "staging" });
const compliant = baseline();

describe("image-pinned", () => {
  it("passes with version tags and digests", async () => {
    expect(await findingsOf("image-pinned", compliant, ctx)).toEqual([]);
    const digest = mutate(compliant, "app-web", (p) => { p.image = `registry.example.org/jewelry-shop/web@sha256:${"a".repeat(64)}`; });
    expect(await findingsOf("image-pinned", digest, ctx)).toEqual([]);
  });
  it("fails on latest, even in staging", async () => {
    const latest = mutate(compliant, "app-web", (p) => { p.image = "registry.example.org:5000/jewelry-shop/web:latest"; });
    expect(await messagesOf("image-pinned", latest, staging)).toEqual([expect.stringMatching(/uses the moving tag latest/)]);
  });
  it("fails on an untagged pulled image", async () => {
    const bare = mutate(compliant, "postgres-image", (p) => { p.name = "postgres"; });
    expect(await messagesOf("image-pinned", bare, ctx)).toEqual([expect.stringMatching(/has neither tag nor digest/)]);
  });
});

describe("non-root-user", () => {
  it("passes with appuser, service uids, and postgres/nginx dropping privileges themselves", async () => {
    expect(await findingsOf("non-root-user", compliant, ctx)).toEqual([]);
  });
  it("fails when an app container has no user", async () => {
    expect(await messagesOf("non-root-user", mutate(compliant, "app-web", (p) => { delete p.user; }), ctx)).toEqual([expect.stringMatching(/^the app container runs as the image's default user/)]);
  });
  it("fails when Redis runs as root", async () => {
    expect(await messagesOf("non-root-user", mutate(compliant, "redis-container", (p) => { p.user = "0:0"; }), ctx)).toEqual([expect.stringMatching(/^runs as 0:0/)]);
  });
});

describe("healthcheck-configured", () => {
  it("passes when every container has a test", async () => {
    expect(await findingsOf("healthcheck-configured", compliant, ctx)).toEqual([]);
  });
  it("fails without a healthcheck", async () => {
    expect(await messagesOf("healthcheck-configured", mutate(compliant, "redis-container", (p) => { delete p.healthcheck; }), ctx)).toHaveLength(1);
  });
  it("fails with NONE", async () => {
    expect(await messagesOf("healthcheck-configured", mutate(compliant, "edge-nginx", (p) => { p.healthcheck.tests = ["NONE"]; }), ctx)).toHaveLength(1);
  });
});

describe("resource-limits", () => {
  it("passes with memory and cpus everywhere", async () => {
    expect(await findingsOf("resource-limits", compliant, ctx)).toEqual([]);
  });
  it("fails without a memory limit", async () => {
    expect(await messagesOf("resource-limits", mutate(compliant, "app-web", (p) => { delete p.memory; }), ctx)).toEqual([expect.stringMatching(/^no memory limit/)]);
  });
  it("fails without a CPU limit", async () => {
    expect(await messagesOf("resource-limits", mutate(compliant, "app-web", (p) => { p.cpus = "0"; }), ctx)).toEqual([expect.stringMatching(/^no cpus limit/)]);
  });
});

describe("restart-policy", () => {
  it("passes with unless-stopped services and an attached one-shot job", async () => {
    expect(await findingsOf("restart-policy", compliant, ctx)).toEqual([]);
  });
  it("fails when restart is unset (docker's default is no)", async () => {
    expect(await messagesOf("restart-policy", mutate(compliant, "redis-container", (p) => { delete p.restart; }), ctx)).toEqual([expect.stringMatching(/^restart is "no"/)]);
  });
});

describe("persistent-volumes", () => {
  it("passes with named volumes at the data directories", async () => {
    expect(await findingsOf("persistent-volumes", compliant, ctx)).toEqual([]);
  });
  it("fails when PGDATA is not on a volume", async () => {
    const lost = mutate(compliant, "postgres-container", (p) => { p.volumes = p.volumes.slice(1); });
    expect(await messagesOf("persistent-volumes", lost, ctx)).toEqual(["no named volume holds /var/lib/postgresql/data/pgdata: the data is lost with the container."]);
  });
  it("follows Redis's dir when the command line moves it off the volume", async () => {
    const moved = mutate(compliant, "redis-container", (p) => { p.command = [...p.command, "--dir", "/srv/redis"]; });
    expect(await messagesOf("persistent-volumes", moved, ctx)).toEqual([expect.stringMatching(/holds \/srv\/redis/)]);
  });
});

describe("network-isolation", () => {
  it("passes with data services on internal networks only", async () => {
    expect(await findingsOf("network-isolation", compliant, ctx)).toEqual([]);
  });
  it("fails when Redis joins the edge network", async () => {
    const exposed = mutate(compliant, "redis-container", (p) => { p.networksAdvanced.push({ name: "jewelry-edge" }); });
    expect(await messagesOf("network-isolation", exposed, ctx)).toEqual([expect.stringMatching(/joins "jewelry-edge", which is not an internal network/)]);
  });
  it("fails when PostgreSQL joins no network (default bridge)", async () => {
    const bridge = mutate(compliant, "postgres-container", (p) => { delete p.networksAdvanced; });
    expect(await messagesOf("network-isolation", bridge, ctx)).toEqual([expect.stringMatching(/lands on the default bridge/)]);
  });
});

describe("no-public-ports", () => {
  it("passes with only nginx on 80/443, and a loopback-only port", async () => {
    expect(await findingsOf("no-public-ports", compliant, ctx)).toEqual([]);
    const tunnel = mutate(compliant, "postgres-container", (p) => { p.ports = [{ internal: 5432, external: 5432, ip: "127.0.0.1" }]; });
    expect(await findingsOf("no-public-ports", tunnel, ctx)).toEqual([]);
  });
  it("fails on a published PostgreSQL port without ip (0.0.0.0), even in staging", async () => {
    const open = mutate(compliant, "postgres-container", (p) => { p.ports = [{ internal: 5432, external: 5432 }]; });
    expect(await messagesOf("no-public-ports", open, staging)).toEqual(["port 5432 is published on 0.0.0.0:5432: reachable from outside the host."]);
  });
  it("fails when nginx publishes another port", async () => {
    const extra = mutate(compliant, "edge-nginx", (p) => { p.ports.push({ internal: 8080 }); });
    expect(await messagesOf("no-public-ports", extra, ctx)).toEqual([expect.stringMatching(/^port 8080 is published on 0.0.0.0:\(random\)/)]);
  });
});

describe("container-hardening", () => {
  it("passes with the hardened baseline", async () => {
    expect(await findingsOf("container-hardening", compliant, ctx)).toEqual([]);
  });
  it.each([
    ["privileged", (p: MutableProps) => { p.privileged = true; }, /runs privileged/],
    ["no no-new-privileges", (p: MutableProps) => { p.securityOpts = []; }, /no-new-privileges/],
    ["capabilities kept", (p: MutableProps) => { p.capabilities.drops = []; }, /do not drop ALL/],
    ["SYS_ADMIN added", (p: MutableProps) => { p.capabilities.adds = ["CAP_SYS_ADMIN"]; }, /dangerous capabilities: SYS_ADMIN/],
    ["unrotated logs", (p: MutableProps) => { delete p.logOpts; delete p.logDriver; }, /no max-size/],
  ])("fails when %s", async (_what, change, message) => {
    expect(await messagesOf("container-hardening", mutate(compliant, "app-web", change), ctx)).toEqual([expect.stringMatching(message)]);
  });
});

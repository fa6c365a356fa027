import { describe, expect, it } from "vitest";
import { baseline, mutate, stackContext, withResource, type MutableProps } from "./baseline";
import { findingsOf, messagesOf } from "./harness";
import { haproxyEnvBool } from "../../policies/lib/docker/socket-proxy";

const ctx = stackContext();
const staging = stackContext({ environment: "staging", stack: "staging" });
const compliant = baseline();
const DOCKER_IMAGE = "docker:index/image:Image";

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
  it("fails on a tag that follows releases (major only, or a distribution name)", async () => {
    for (const tag of ["16", "16-bookworm", "alpine"]) {
      const moving = mutate(compliant, "postgres-image", (p) => { p.name = `postgres:${tag}`; });
      expect(await messagesOf("image-pinned", moving, ctx)).toEqual([expect.stringMatching(new RegExp(`moving tag ${tag} \\(no major.minor`))]);
    }
  });
  it("judges a build's base image given as a build arg, and the name the build is tagged with", async () => {
    const build = (args: Record<string, string>, imageName = "jewelry-shop/postgres:16.6-bookworm-pgbackrest2.54.1") =>
      withResource(compliant, { type: DOCKER_IMAGE, name: "postgres-image-build", props: { imageName, build: { context: "/src/image", args }, skipPush: true } });
    expect(await findingsOf("image-pinned", build({ POSTGRES_IMAGE: "postgres:16.6-bookworm" }), ctx)).toEqual([]);
    expect(await messagesOf("image-pinned", build({ POSTGRES_IMAGE: "postgres:latest" }), ctx)).toEqual([expect.stringMatching(/^build arg POSTGRES_IMAGE: image "postgres:latest" uses the moving tag latest; the image is built FROM it/)]);
    expect(await messagesOf("image-pinned", build({}, "jewelry-backup"), ctx)).toEqual([expect.stringMatching(/^imageName: image "jewelry-backup" has neither tag nor digest/)]);
  });
});

describe("non-root-user", () => {
  it("passes with appuser, service uids, and postgres/nginx dropping privileges themselves", async () => {
    expect(await findingsOf("non-root-user", compliant, ctx)).toEqual([]);
  });
  it("fails when an app container has no user", async () => {
    expect(await messagesOf("non-root-user", mutate(compliant, "app-web", (p) => { delete p.user; }), ctx)).toEqual([expect.stringMatching(/^the app container runs as root \(starts as root \(Docker's default\)\)/)]);
  });
  it("fails when PgBouncer runs as uid 0, whatever the spelling", async () => {
    for (const user of ["0:0", "root", "00:70"]) {
      expect(await messagesOf("non-root-user", mutate(compliant, "pgbouncer-container", (p) => { p.user = user; }), ctx)).toEqual([expect.stringMatching(/^runs as root: starts as root \(user input\)/)]);
    }
  });
  it("accepts Redis started as root through its image's entrypoint, which drops to the redis user", async () => {
    expect(await findingsOf("non-root-user", mutate(compliant, "redis-container", (p) => { p.user = "0:0"; }), ctx)).toEqual([]);
  });
  it("fails when a shell wrapper keeps Redis's entrypoint from dropping privileges", async () => {
    const wrapped = mutate(compliant, "redis-container", (p) => { delete p.user; p.command = ["sh", "-c", "exec redis-server /usr/local/etc/redis/redis.conf"]; });
    expect(await messagesOf("non-root-user", wrapped, ctx)).toEqual([expect.stringMatching(/^runs as root: starts as root \(Docker's default\); set a non-root user/)]);
  });
  it("fails when the command switches to root with gosu", async () => {
    const gosu = mutate(compliant, "postgres-container", (p) => { p.entrypoints = ["gosu", "root", "postgres"]; p.command = ["-c", "config_file=/etc/postgresql/postgresql.conf"]; });
    expect(await messagesOf("non-root-user", gosu, ctx)).toEqual([expect.stringMatching(/then switches to root/)]);
  });
});

describe("healthcheck-configured", () => {
  it("passes when every container probes its own service", async () => {
    expect(await findingsOf("healthcheck-configured", compliant, ctx)).toEqual([]);
  });
  it("fails without a healthcheck", async () => {
    expect(await messagesOf("healthcheck-configured", mutate(compliant, "redis-container", (p) => { delete p.healthcheck; }), ctx)).toHaveLength(1);
  });
  it("fails with NONE", async () => {
    expect(await messagesOf("healthcheck-configured", mutate(compliant, "edge-nginx", (p) => { p.healthcheck.tests = ["NONE"]; }), ctx)).toHaveLength(1);
  });
  it.each([
    ["exit 0", ["CMD-SHELL", "exit 0"], /ends with "exit 0"/],
    ["true", ["CMD", "true"], /ends with "true"/],
    ["|| true", ["CMD-SHELL", "curl -fsS http://127.0.0.1:8080/stub_status || true"], /\|\| true" succeeds whatever/],
    ["; exit 0", ["CMD-SHELL", "curl -fsS http://127.0.0.1:8080/stub_status; exit 0"], /ends with "exit 0"/],
  ])("fails with a test that always passes (%s)", async (_what, tests, message) => {
    expect(await messagesOf("healthcheck-configured", mutate(compliant, "edge-nginx", (p) => { p.healthcheck.tests = tests; }), ctx)).toEqual([expect.stringMatching(message)]);
  });
  it("accepts a one-shot job's placeholder test: the deployment waits for its exit code", async () => {
    expect(await findingsOf("healthcheck-configured", mutate(compliant, "app-migrate", (p) => { p.healthcheck.tests = ["CMD-SHELL", "exit 0"]; }), ctx)).toEqual([]);
  });
  it("fails when the test probes another container", async () => {
    const other = mutate(compliant, "app-web", (p) => { p.healthcheck.tests = ["CMD", "curl", "-f", "http://jewelry-redis:6379/"]; });
    expect(await messagesOf("healthcheck-configured", other, ctx)).toEqual([expect.stringMatching(/probes jewelry-redis, not this container/)]);
  });
  it("accepts a probe of the container's own network alias", async () => {
    const own = mutate(compliant, "app-web", (p) => { p.healthcheck.tests = ["CMD", "curl", "-f", "http://web:8000/health/"]; });
    expect(await findingsOf("healthcheck-configured", own, ctx)).toEqual([]);
  });
  it.each([
    ["a shell test", ["CMD-SHELL", "curl -s -o /dev/null http://127.0.0.1:8000/health/ || exit 1"]],
    ["an exec test", ["CMD", "curl", "-sS", "http://127.0.0.1:8000/health/"]],
    ["-f as the value of -o in a cluster", ["CMD", "curl", "-sof", "http://127.0.0.1:8000/health/"]],
    ["--no-fail after -f", ["CMD", "curl", "-f", "--no-fail", "http://127.0.0.1:8000/health/"]],
  ])("fails when curl decides the verdict without --fail (%s): it exits 0 on a 503", async (_what, tests) => {
    const lenient = mutate(compliant, "app-web", (p) => { p.healthcheck.tests = tests; });
    expect(await messagesOf("healthcheck-configured", lenient, ctx)).toEqual([expect.stringMatching(/ignores the HTTP status: .* has no -f\/--fail, so curl exits 0 on a 500 or 503 answer/)]);
  });
  it.each([
    ["-fsS", ["CMD-SHELL", "curl -fsS -o /dev/null http://127.0.0.1:8000/health/ || exit 1"]],
    ["--fail-with-body", ["CMD", "curl", "-s", "--fail-with-body", "http://127.0.0.1:8000/health/"]],
    ["-f before -o's value in a cluster", ["CMD", "curl", "-sfo", "/dev/null", "http://127.0.0.1:8000/health/"]],
    ["its output read by grep", ["CMD-SHELL", "curl -s http://127.0.0.1:8000/health/ | grep -q ok"]],
  ])("accepts curl whose HTTP errors fail the test (%s)", async (_what, tests) => {
    expect(await findingsOf("healthcheck-configured", mutate(compliant, "app-web", (p) => { p.healthcheck.tests = tests; }), ctx)).toEqual([]);
  });
  it("fails when timing makes a hang invisible for more than 30 minutes", async () => {
    const slow = mutate(compliant, "redis-container", (p) => { p.healthcheck.interval = "1h"; });
    expect(await messagesOf("healthcheck-configured", slow, ctx)).toEqual([expect.stringMatching(/only after 10815 s/)]);
    const late = mutate(compliant, "redis-container", (p) => { p.healthcheck.startPeriod = "2h"; });
    expect(await messagesOf("healthcheck-configured", late, ctx)).toEqual([expect.stringMatching(/start period of 7200 s/)]);
  });
});

describe("resource-limits", () => {
  it("passes with memory, cpus and a process limit everywhere", async () => {
    expect(await findingsOf("resource-limits", compliant, ctx)).toEqual([]);
  });
  it("fails without a memory limit (unset or 0)", async () => {
    expect(await messagesOf("resource-limits", mutate(compliant, "app-web", (p) => { delete p.memory; }), ctx)).toEqual([expect.stringMatching(/^no memory limit/)]);
    expect(await messagesOf("resource-limits", mutate(compliant, "app-web", (p) => { p.memory = 0; }), ctx)).toEqual([expect.stringMatching(/^no memory limit/)]);
  });
  it("fails when swap is unlimited", async () => {
    expect(await messagesOf("resource-limits", mutate(compliant, "postgres-container", (p) => { p.memorySwap = -1; }), ctx)).toEqual([expect.stringMatching(/^memorySwap -1: swap is unlimited/)]);
  });
  it("fails without a CPU limit; cpuShares is only a weight", async () => {
    expect(await messagesOf("resource-limits", mutate(compliant, "app-web", (p) => { p.cpus = "0"; }), ctx)).toEqual([expect.stringMatching(/^no cpus limit/)]);
    expect(await messagesOf("resource-limits", mutate(compliant, "app-web", (p) => { delete p.cpus; p.cpuShares = 512; }), ctx)).toEqual([expect.stringMatching(/cpuShares 512 is a relative weight/)]);
  });
  it("accepts a CPU limit through cpuQuota/cpuPeriod or cpuSet", async () => {
    expect(await findingsOf("resource-limits", mutate(compliant, "app-web", (p) => { delete p.cpus; p.cpuQuota = 50000; p.cpuPeriod = 100000; }), ctx)).toEqual([]);
    expect(await findingsOf("resource-limits", mutate(compliant, "app-web", (p) => { delete p.cpus; p.cpuSet = "0"; }), ctx)).toEqual([]);
  });
  it("fails when a limit is not below the host's size (jewelry-shop:hostSize): it never binds", async () => {
    const host = stackContext({}, { "jewelry-shop:hostSize": JSON.stringify({ memoryMb: 32768, cpus: 8 }) });
    expect(await findingsOf("resource-limits", compliant, host)).toEqual([]);
    const bytes = mutate(compliant, "redis-container", (p) => { p.memory = 512 * 1024 * 1024; p.memorySwap = 512 * 1024 * 1024; });
    expect(await messagesOf("resource-limits", bytes, host)).toEqual([expect.stringMatching(/^memory 536870912 MiB is not below the host's 32768 MiB .* \(memory is in MiB, not bytes\)/)]);
    const quota = mutate(compliant, "redis-container", (p) => { delete p.cpus; p.cpuQuota = 1_000_000; });
    expect(await messagesOf("resource-limits", quota, host)).toEqual([expect.stringMatching(/^the CPU limit \(cpuQuota 1000000\/cpuPeriod 100000: 10 CPUs\) is above the host's 8 CPUs/)]);
    const allCpus = mutate(compliant, "redis-container", (p) => { p.cpus = "8"; });
    expect(await findingsOf("resource-limits", allCpus, host)).toEqual([]);
    // Without a declared host size nothing is compared.
    expect(await findingsOf("resource-limits", bytes, ctx)).toEqual([]);
  });
  it("fails without a process limit", async () => {
    expect(await messagesOf("resource-limits", mutate(compliant, "app-web", (p) => { delete p.ulimits; }), ctx)).toEqual([expect.stringMatching(/^no process limit/)]);
  });
});

describe("restart-policy", () => {
  it("passes with unless-stopped services and an attached one-shot job", async () => {
    expect(await findingsOf("restart-policy", compliant, ctx)).toEqual([]);
  });
  it("fails when restart is unset (docker's default is no)", async () => {
    expect(await messagesOf("restart-policy", mutate(compliant, "redis-container", (p) => { delete p.restart; }), ctx)).toEqual([expect.stringMatching(/^restart is "no"/)]);
  });
  it("fails when on-failure gives up after a few retries", async () => {
    expect(await messagesOf("restart-policy", mutate(compliant, "redis-container", (p) => { p.restart = "on-failure"; p.maxRetryCount = 3; }), ctx)).toEqual([expect.stringMatching(/gives up after 3 crashes/)]);
  });
  it("fails on on-failure without a limit too: a server stopped cleanly by a reboot exits 0 and is not started again", async () => {
    expect(await messagesOf("restart-policy", mutate(compliant, "redis-container", (p) => { p.restart = "on-failure"; }), ctx)).toEqual([expect.stringMatching(/^restart is "on-failure": a host reboot stops the service cleanly \(exit 0\)/)]);
  });
  it("accepts always", async () => {
    expect(await findingsOf("restart-policy", mutate(compliant, "redis-container", (p) => { p.restart = "always"; }), ctx)).toEqual([]);
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
  it("fails when a tmpfs or an anonymous volume shadows the data directory", async () => {
    // Docker refuses two mounts at one path; a deeper one wins silently.
    const tmpfs = mutate(compliant, "postgres-container", (p) => { p.tmpfs = { "/var/lib/postgresql/data/pgdata": "rw,size=64m" }; });
    expect(await messagesOf("persistent-volumes", tmpfs, ctx)).toEqual([expect.stringMatching(/^\/var\/lib\/postgresql\/data\/pgdata is on a tmpfs/)]);
    const anonymous = mutate(compliant, "postgres-container", (p) => { p.mounts = [{ type: "volume", target: "/var/lib/postgresql/data/pgdata" }]; });
    expect(await messagesOf("persistent-volumes", anonymous, ctx)).toEqual([expect.stringMatching(/is on an anonymous volume/)]);
  });
});

describe("network-isolation", () => {
  it("passes with data services on internal networks only", async () => {
    expect(await findingsOf("network-isolation", compliant, ctx)).toEqual([]);
  });
  it("fails when a container not configured to use the Docker socket proxy shares its network", async () => {
    const proxy = {
      type: "docker:index/container:Container", name: "docker-socket-proxy",
      props: {
        name: "jewelry-docker-socket-proxy", image: "tecnativa/docker-socket-proxy:0.3.0", envs: ["CONTAINERS=1", "POST=0"],
        mounts: [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock", readOnly: true }],
        networksAdvanced: [{ name: "jewelry-docker-api", aliases: ["docker-socket-proxy"] }],
      },
    };
    const client = {
      type: "docker:index/container:Container", name: "log-shipper",
      props: { name: "jewelry-log-shipper", image: "grafana/promtail:3.3.1", envs: ["DOCKER_HOST=tcp://docker-socket-proxy:2375"], networksAdvanced: [{ name: "jewelry-docker-api" }] },
    };
    const stack = withResource(withResource(compliant, proxy), client);
    expect(await findingsOf("network-isolation", stack, ctx)).toEqual([]);
    const crowded = mutate(stack, "app-web", (p) => { p.networksAdvanced.push({ name: "jewelry-docker-api" }); });
    expect(await messagesOf("network-isolation", crowded, ctx)).toEqual([
      expect.stringMatching(/^"app-web" shares jewelry-docker-api with the Docker socket proxy "jewelry-docker-socket-proxy" without being configured to use it/),
    ]);
  });
  it("fails when Redis joins the edge network", async () => {
    const exposed = mutate(compliant, "redis-container", (p) => { p.networksAdvanced.push({ name: "jewelry-edge" }); });
    expect(await messagesOf("network-isolation", exposed, ctx)).toEqual([expect.stringMatching(/joins "jewelry-edge" \(networksAdvanced\), which is not an internal network/)]);
  });
  it("fails when networkMode names a second, non-internal network (the provider only leaves the default bridge)", async () => {
    const second = mutate(compliant, "redis-container", (p) => { p.networkMode = "jewelry-edge"; });
    expect(await messagesOf("network-isolation", second, ctx)).toEqual([expect.stringMatching(/joins "jewelry-edge" \(networkMode\)/)]);
  });
  it("fails when PostgreSQL joins no network (default bridge)", async () => {
    const bridge = mutate(compliant, "postgres-container", (p) => { delete p.networksAdvanced; });
    expect(await messagesOf("network-isolation", bridge, ctx)).toEqual([expect.stringMatching(/joins "bridge" \(networkMode\)/)]);
  });
  it("fails on the host network", async () => {
    const host = mutate(compliant, "postgres-container", (p) => { delete p.networksAdvanced; p.networkMode = "host"; });
    expect(await messagesOf("network-isolation", host, ctx)).toEqual([expect.stringMatching(/uses the host network/)]);
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
    expect(await messagesOf("no-public-ports", open, staging)).toEqual(["publishes port 5432/tcp on 0.0.0.0:5432: reachable from outside the host."]);
  });
  it("fails on every IPv6 address", async () => {
    const v6 = mutate(compliant, "postgres-container", (p) => { p.ports = [{ internal: 5432, external: 5432, ip: "::" }]; });
    expect(await messagesOf("no-public-ports", v6, ctx)).toEqual([expect.stringMatching(/on \[::\]:5432/)]);
  });
  it("fails on publishAllPorts and the host network", async () => {
    expect(await messagesOf("no-public-ports", mutate(compliant, "redis-container", (p) => { p.publishAllPorts = true; }), ctx)).toEqual([expect.stringMatching(/^sets publishAllPorts/)]);
    expect(await messagesOf("no-public-ports", mutate(compliant, "redis-container", (p) => { p.networkMode = "host"; delete p.networksAdvanced; }), ctx)).toEqual([expect.stringMatching(/^uses the host network/)]);
  });
  it("fails when nginx publishes another port", async () => {
    const extra = mutate(compliant, "edge-nginx", (p) => { p.ports.push({ internal: 8080 }); });
    expect(await messagesOf("no-public-ports", extra, ctx)).toEqual([expect.stringMatching(/^publishes port 8080\/tcp on 0.0.0.0:\(random\)/)]);
  });
});

describe("container-hardening", () => {
  it("passes with the hardened baseline", async () => {
    expect(await findingsOf("container-hardening", compliant, ctx)).toEqual([]);
  });
  it.each([
    ["privileged", (p: MutableProps) => { p.privileged = true; }, [/runs privileged/, /keeps capabilities AUDIT_CONTROL/]],
    ["no no-new-privileges", (p: MutableProps) => { p.securityOpts = []; }, [/lacks no-new-privileges/]],
    ["no-new-privileges turned off by a later option", (p: MutableProps) => { p.securityOpts = ["no-new-privileges:true", "no-new-privileges=false"]; }, [/turns no-new-privileges off/]],
    ["a no-new-privileges value Docker refuses", (p: MutableProps) => { p.securityOpts = ["no-new-privileges:yes"]; }, [/lacks no-new-privileges/, /options Docker refuses: no-new-privileges:yes/]],
    ["seccomp unconfined", (p: MutableProps) => { p.securityOpts = ["no-new-privileges", "seccomp=unconfined"]; }, [/seccomp=unconfined/]],
    ["Docker's default capabilities kept", (p: MutableProps) => { p.capabilities.drops = []; }, [/keeps capabilities AUDIT_WRITE, FSETID, MKNOD, NET_RAW, SETFCAP, SETPCAP, SYS_CHROOT/]],
    ["SYS_ADMIN added", (p: MutableProps) => { p.capabilities.adds = ["CAP_SYS_ADMIN"]; }, [/keeps capabilities SYS_ADMIN/]],
    ["ALL added next to drop ALL", (p: MutableProps) => { p.capabilities.adds = ["ALL"]; }, [/keeps capabilities AUDIT_CONTROL, AUDIT_READ/]],
    ["a host device", (p: MutableProps) => { p.devices = [{ hostPath: "/dev/kmsg" }]; }, [/host devices: \/dev\/kmsg/]],
    ["the host's PID namespace", (p: MutableProps) => { p.pidMode = "host"; }, [/pidMode is host/]],
    ["the Docker socket", (p: MutableProps) => { p.mounts = [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock" }]; }, [/Docker socket \/var\/run\/docker.sock read-write/]],
    ["another container's mounts taken (volumes-from)", (p: MutableProps) => { p.volumes = [{ fromContainer: "jewelry-docker-socket-proxy" }]; }, [/takes every mount of container jewelry-docker-socket-proxy \(volumes fromContainer\)/]],
    ["the host's /etc writable", (p: MutableProps) => { p.volumes = [{ hostPath: "/etc", containerPath: "/host-etc" }]; }, [/host's \/etc read-write/]],
    ["unrotated logs", (p: MutableProps) => { delete p.logOpts; delete p.logDriver; }, [/no max-size/]],
    ["logs without max-size (max-file only)", (p: MutableProps) => { p.logOpts = { "max-file": "5" }; }, [/no max-size/]],
    ["logs thrown away", (p: MutableProps) => { p.logDriver = "none"; }, [/logDriver none/]],
  ])("fails when %s", async (_what, change, messages) => {
    expect(await messagesOf("container-hardening", mutate(compliant, "app-web", change), ctx)).toEqual(messages.map((m) => expect.stringMatching(m)));
  });
  it("accepts the local log driver (it rotates by default) and a read-only socket for a socket proxy", async () => {
    expect(await findingsOf("container-hardening", mutate(compliant, "app-web", (p) => { p.logDriver = "local"; delete p.logOpts; }), ctx)).toEqual([]);
    const proxy = mutate(compliant, "app-web", (p) => { p.image = "tecnativa/docker-socket-proxy:0.3.0"; p.mounts = [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock", readOnly: true }]; });
    expect(await findingsOf("container-hardening", proxy, ctx)).toEqual([]);
  });
  it("fails when the socket proxy passes write requests (POST true as HAProxy reads it: a non-zero integer)", async () => {
    const proxyWith = (...envs: string[]) => mutate(compliant, "app-web", (p) => {
      p.image = "tecnativa/docker-socket-proxy:0.3.0";
      p.envs = ["CONTAINERS=1", ...envs];
      p.mounts = [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock", readOnly: true }];
    });
    for (const post of ["1", "01", "2"]) {
      expect(await messagesOf("container-hardening", proxyWith(`POST=${post}`), ctx)).toEqual([expect.stringMatching(new RegExp(`passes write requests \\(POST=${post}\\) to the Docker API sections it opens \\(CONTAINERS, EVENTS, PING, VERSION\\)`))]);
    }
    // HAProxy reads "true" as the integer 0: the proxy stays read-only.
    for (const post of ["0", "true", ""]) expect(await findingsOf("container-hardening", proxyWith(`POST=${post}`), ctx)).toEqual([]);
  });
  it("reads the proxy's env as HAProxy's `-m bool` does (proved against haproxy 2.6)", () => {
    expect(["1", "2", "01", "1x", "-1", "+1"].map(haproxyEnvBool)).toEqual([true, true, true, true, true, true]);
    expect(["0", "true", "false", "yes", "", " 1", "0x1", undefined].map(haproxyEnvBool)).toEqual([false, false, false, false, false, false, false, false]);
  });
});

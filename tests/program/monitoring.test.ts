// The Monitoring component under Pulumi's mocks (preview): every container hardened and unpublished,
// every credential a Pulumi secret in the request the engine would receive, and the rendered
// Prometheus files complete.
import type * as pulumiModule from "@pulumi/pulumi";
import type { RegisterResourceRequest, RegisterResourceResponse } from "@pulumi/pulumi/proto/resource_pb";
import { beforeAll, describe, expect, it } from "vitest";
import { isSecretWrapper } from "../../check/property-values";
import type { JsonObject, JsonValue } from "../../check/json";

interface Registered { readonly type: string; readonly name: string; readonly object: JsonObject; readonly dependencies: readonly string[] }
type Callback = (err: unknown, response?: RegisterResourceResponse) => void;
interface MonitorInternals { registerResource(req: RegisterResourceRequest, callback: Callback): Promise<void> }

const registered: Registered[] = [];
const SECRETS = { grafana: "grafana-admin-pw", pager: "https://hooks.slack.example/T0/B0/x", smtp: "smtp-pw", postgres: "pg-pw", pgbouncer: "pgb-pw", redis: "redis-pw", broker: "redis://jewelry:app-pw@jewelry-redis:6379/1" };
const SERVERS = ["postgres", "pgbouncer", "redis", "nginx"] as const;
const JOBS = ["prometheus", "alertmanager", "node", "postgres", "pgbouncer", "redis", "nginx", "django", "celery", "loki", "blackbox-https"];

let monitoringModule: typeof import("../../components/monitoring/monitoring");
let alertNames: readonly string[];

beforeAll(async () => {
  const pulumi: typeof pulumiModule = await import("@pulumi/pulumi");
  await pulumi.runtime.setMocks({
    newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
    call: (args) => { throw new Error(`unexpected invoke ${args.token}`); },
  }, "jewelry-shop", "test", true);
  // Record the raw requests: secret wrappers survive there (mock inputs arrive unwrapped).
  const settings = (await import("@pulumi/pulumi/runtime/settings")) as unknown as { getMonitor(): MonitorInternals; waitForRPCs(): Promise<void> };
  const monitor = settings.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    registered.push({ type: req.getType(), name: req.getName(), object: (req.getObject()?.toJavaScript() ?? {}) as JsonObject, dependencies: req.getDependenciesList() });
    return register(req, callback);
  };

  const docker = await import("@pulumi/docker");
  monitoringModule = await import("../../components/monitoring/monitoring");
  alertNames = (await import("../../components/monitoring/alert-rules")).ALERT_NAMES;
  const network = (n: string) => new docker.Network(n, { name: `jewelry-${n}`, internal: n !== "edge" && n !== "egress" });
  const volume = (n: string) => new docker.Volume(n, { name: `jewelry-${n}` });
  const size = { memoryMb: 128, cpus: 0.25 };
  new monitoringModule.Monitoring("monitoring", {
    sizes: { prometheus: size, alertmanager: size, grafana: size, loki: size, promtail: size, exporters: { memoryMb: 64, cpus: 0.1 } },
    environment: "production",
    domain: "shop.example.com",
    networks: { monitoring: network("monitoring"), egress: network("egress"), data: network("data"), backend: network("backend"), edge: network("edge") },
    volumes: {
      "prometheus-data": volume("prometheus-data"), "alertmanager-data": volume("alertmanager-data"), "grafana-data": volume("grafana-data"),
      "loki-data": volume("loki-data"), "promtail-positions": volume("promtail-positions"), "node-textfile": volume("node-textfile"),
    },
    prometheusRetentionDays: 30,
    lokiRetentionDays: 14,
    alerts: { email: "ops@shop.example.com", pager: "slack", pagerSecret: pulumi.secret(SECRETS.pager), slackChannel: "#oncall" },
    smtp: { host: "smtp.example.com", port: 587, from: "alerts@shop.example.com", username: "alerts", password: pulumi.secret(SECRETS.smtp) },
    grafanaAdminPassword: pulumi.secret(SECRETS.grafana),
    exposeGrafana: true,
    exporters: {
      postgres: { host: "jewelry-postgres", port: 5432, user: "jewelry_monitor", password: pulumi.secret(SECRETS.postgres), database: "jewelry_shop", sslmode: "require" },
      pgbouncer: { host: "jewelry-pgbouncer", port: 6432, user: "jewelry_monitor", password: pulumi.secret(SECRETS.pgbouncer) },
      redis: { host: "jewelry-redis", port: 6379, user: "exporter", password: pulumi.secret(SECRETS.redis) },
      nginxStubStatusUrl: "http://jewelry-nginx:8080/stub_status",
      celeryBrokerUrl: pulumi.secret(SECRETS.broker),
      servers: Object.fromEntries(SERVERS.map((server) => [server, new docker.Container(`server-${server}`, { image: "x", name: `jewelry-${server}` })])),
    },
    webMetricsTarget: "jewelry-web:8000",
    backupRepos: ["repo1", "repo2", "repo3"],
  });
  await settings.waitForRPCs();
});

// The servers the exporters read are stand-ins outside the component.
const containers = () => registered.filter((r) => r.type === "docker:index/container:Container" && !r.name.startsWith("server-"));
const byName = (name: string) => {
  const found = registered.find((r) => r.name === name);
  if (!found) throw new Error(`no resource ${name}`);
  return found;
};
const uploads = (name: string) => (byName(name).object.uploads ?? []) as { file: string; content: JsonValue; permissions?: string }[];
const upload = (name: string, file: string) => {
  const found = uploads(name).find((u) => u.file === file);
  if (!found) throw new Error(`${name} has no upload ${file}`);
  return found;
};
const networkNames = (name: string) => ((byName(name).object.networksAdvanced ?? []) as { name: string }[]).map((n) => n.name).sort();

/** Every string in a request value that is not inside a secret wrapper. */
function plainStrings(value: JsonValue | undefined): string[] {
  if (isSecretWrapper(value)) return [];
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(plainStrings);
  if (value && typeof value === "object") return Object.values(value).flatMap(plainStrings);
  return [];
}

describe("Monitoring", () => {
  it("runs prometheus, alertmanager, grafana, loki, promtail, the Docker API proxy and seven exporters", () => {
    expect(containers().map((c) => c.name).sort()).toEqual([
      "monitoring-alertmanager", "monitoring-blackbox-exporter", "monitoring-celery-exporter", "monitoring-docker-socket-proxy",
      "monitoring-grafana", "monitoring-loki", "monitoring-nginx-exporter", "monitoring-node-exporter", "monitoring-pgbouncer-exporter",
      "monitoring-postgres-exporter", "monitoring-prometheus", "monitoring-promtail", "monitoring-redis-exporter",
    ]);
  });

  it("starts each exporter after the server it reads, so none meets a silent server at its start", () => {
    const serverUrn = (server: string) => `urn:pulumi:test::jewelry-shop::docker:index/container:Container::server-${server}`;
    for (const server of SERVERS) {
      const exporter = registered.find((r) => r.name === `monitoring-${server}-exporter`);
      expect({ server, waits: exporter?.dependencies.includes(serverUrn(server)) }).toEqual({ server, waits: true });
    }
  });

  it("gives every container a healthcheck, memory limit, restart policy and the promtail service label, and publishes no port", () => {
    for (const c of containers()) {
      const tests = (c.object.healthcheck as { tests?: string[] } | undefined)?.tests ?? [];
      expect(["CMD", "CMD-SHELL"], c.name).toContain(tests[0]);
      expect(tests.length, c.name).toBeGreaterThan(1);
      expect(c.object.memory, c.name).toBeGreaterThan(0);
      expect(c.object.memorySwap, c.name).toBe(c.object.memory);
      expect(c.object.restart, c.name).toBe("unless-stopped");
      expect(c.object.ports, c.name).toBeUndefined();
      expect((c.object.capabilities as { drops: string[] }).drops, c.name).toEqual(["ALL"]);
      expect(c.object.labels, c.name).toContainEqual({ label: "jewelry.service", value: c.name.replace(/^monitoring-/, "") });
    }
  });

  it("pulls every image as a pinned child and runs it by that name", () => {
    const images = registered.filter((r) => r.type === "docker:index/remoteImage:RemoteImage").map((r) => String(r.object.name));
    for (const image of images) expect(image).toMatch(/:(?!latest$)[\w][\w.-]*$/);
    for (const c of containers()) expect(images, c.name).toContain(c.object.image);
  });

  it("lets only alertmanager and blackbox-exporter onto the egress network, and keeps the Docker API off monitoring", () => {
    const onEgress = containers().filter((c) => networkNames(c.name).includes("jewelry-egress")).map((c) => c.name).sort();
    expect(onEgress).toEqual(["monitoring-alertmanager", "monitoring-blackbox-exporter"]);
    expect(networkNames("monitoring-docker-socket-proxy")).toEqual(["jewelry-docker-api"]);
    expect(byName("monitoring-docker-api").object.internal).toBe(true);
    expect(networkNames("monitoring-postgres-exporter")).toEqual(["jewelry-data", "jewelry-monitoring"]);
    expect(networkNames("monitoring-prometheus")).toEqual(["jewelry-monitoring"]);
  });

  it("sends every credential as a Pulumi secret and never in plain text", () => {
    const plain = registered.flatMap((r) => plainStrings(r.object)).join("\n");
    for (const [what, secret] of Object.entries(SECRETS)) expect(plain, what).not.toContain(secret);
    expect(isSecretWrapper(upload("monitoring-grafana", "/etc/grafana/secrets/admin_password").content)).toBe(true);
    for (const file of ["/etc/alertmanager/secrets/smtp_password", "/etc/alertmanager/secrets/pager_secret"]) {
      const secretFile = upload("monitoring-alertmanager", file);
      expect(isSecretWrapper(secretFile.content), file).toBe(true);
      expect(secretFile.permissions, file).toBe("0600");
    }
    const secretEnvCount = (name: string) => ((byName(name).object.envs ?? []) as JsonValue[]).filter(isSecretWrapper).length;
    for (const name of ["monitoring-postgres-exporter", "monitoring-pgbouncer-exporter", "monitoring-redis-exporter", "monitoring-celery-exporter"]) {
      expect(secretEnvCount(name), name).toBe(1);
    }
  });

  it("keeps the config files a policy reads known and free of secrets", () => {
    const am = upload("monitoring-alertmanager", "/etc/alertmanager/alertmanager.yml").content;
    expect(typeof am).toBe("string");
    expect(am).toContain("smtp_auth_password_file: /etc/alertmanager/secrets/smtp_password");
    expect(am).toContain("api_url_file: /etc/alertmanager/secrets/pager_secret");
    expect(byName("monitoring-alertmanager").object.command).toContain("--cluster.listen-address=");
  });

  it("uploads a Prometheus config with every scrape job and the rules with every alert", () => {
    const config = upload("monitoring-prometheus", "/etc/prometheus/prometheus.yml").content as string;
    for (const job of JOBS) expect(config, job).toContain(`job_name: ${job}\n`);
    expect(config).toContain("jewelry-web:8000");
    expect(config).toContain("https://shop.example.com/health/");
    const rules = upload("monitoring-prometheus", "/etc/prometheus/rules/jewelry-shop.yml").content as string;
    for (const alert of alertNames) expect(rules, alert).toContain(`alert: ${alert}\n`);
    expect(rules).toContain('repo="repo3"');
    expect(byName("monitoring-prometheus").object.command).toContain("--storage.tsdb.retention.time=30d");
  });

  it("starts postgres_exporter 0.16 only with flags it has, stat_statements among them", () => {
    // The collector flags postgres_exporter v0.16.0 registers (collector/*.go registerCollector): an unknown one makes kingpin exit.
    const collectors = ["database", "database_wraparound", "locks", "long_running_transactions", "postmaster", "process_idle", "replication", "replication_slot", "roles",
      "stat_activity_autovacuum", "stat_bgwriter", "stat_database", "stat_statements", "stat_user_tables", "stat_wal_receiver", "statio_user_indexes", "statio_user_tables", "wal", "xlog_location"];
    const command = byName("monitoring-postgres-exporter").object.command as string[];
    expect(command).toContain("--collector.stat_statements");
    for (const flag of command) expect(collectors.map((c) => `--collector.${c}`), flag).toContain(flag.replace(/^--no-/, "--"));
  });

  it("configures Grafana for https://<domain>/grafana/ with sign-up, anonymous access and analytics off", () => {
    const env = byName("monitoring-grafana").object.envs as string[];
    expect(env).toEqual(expect.arrayContaining([
      "GF_SERVER_ROOT_URL=https://shop.example.com/grafana/", "GF_SERVER_SERVE_FROM_SUB_PATH=true",
      "GF_USERS_ALLOW_SIGN_UP=false", "GF_AUTH_ANONYMOUS_ENABLED=false", "GF_ANALYTICS_REPORTING_ENABLED=false",
      "GF_SECURITY_ADMIN_PASSWORD__FILE=/etc/grafana/secrets/admin_password",
    ]));
    expect(uploads("monitoring-grafana").map((u) => u.file)).toContain("/etc/grafana/dashboards/app.json");
  });

  it("refuses a pager without its secret", async () => {
    const pulumi = await import("@pulumi/pulumi");
    const docker = await import("@pulumi/docker");
    const net = new docker.Network("x", { name: "x" });
    const vol = new docker.Volume("y", { name: "y" });
    const size = { memoryMb: 64, cpus: 0.1 };
    expect(() => new monitoringModule.Monitoring("bad", {
      sizes: { prometheus: size, alertmanager: size, grafana: size, loki: size, promtail: size, exporters: size },
      environment: "production", domain: "shop.example.com",
      networks: { monitoring: net, egress: net, data: net, backend: net, edge: net },
      volumes: { "prometheus-data": vol, "alertmanager-data": vol, "grafana-data": vol, "loki-data": vol, "promtail-positions": vol, "node-textfile": vol },
      prometheusRetentionDays: 30, lokiRetentionDays: 14,
      alerts: { email: "ops@shop.example.com", pager: "pagerduty" },
      smtp: { host: "smtp.example.com", port: 587, from: "alerts@shop.example.com" },
      grafanaAdminPassword: pulumi.secret("x"), exposeGrafana: false,
      exporters: {
        postgres: { host: "p", port: 5432, user: "u", password: "x", database: "d", sslmode: "require" },
        pgbouncer: { host: "b", port: 6432, user: "u", password: "x" },
        redis: { host: "r", port: 6379, user: "u", password: "x" },
        nginxStubStatusUrl: "http://n:8080/stub_status", celeryBrokerUrl: "redis://r",
      },
      webMetricsTarget: "w:8000", backupRepos: ["repo1"],
    })).toThrowError(/pagerSecret is required when pager is "pagerduty"/);
  });
});

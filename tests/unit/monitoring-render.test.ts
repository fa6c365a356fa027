// Pure checks of the monitoring renderers: every file parses as YAML/JSON and carries the settings
// the production checklist (8.4–8.7) relies on. Real-tool validation is in tests/servers/promtool.test.ts.
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { ALERT_NAMES, alertRules, renderAlertRules } from "../../components/monitoring/alert-rules";
import {
  ALERT_RECEIVERS,
  receiversFor,
  renderAlertmanagerConfig,
  type AlertmanagerConfigArgs,
} from "../../components/monitoring/alertmanager-config";
import { jewelryDashboards, renderDashboardFiles } from "../../components/monitoring/dashboards";
import {
  GRAFANA_DATASOURCE_UIDS,
  renderGrafanaDashboardProvider,
  renderGrafanaDatasources,
} from "../../components/monitoring/grafana-provisioning";
import { renderLokiConfig } from "../../components/monitoring/loki-config";
import {
  DEFAULT_SCRAPE_TARGETS,
  prometheusFlags,
  renderPrometheusConfig,
  type PrometheusConfigArgs,
} from "../../components/monitoring/prometheus-config";
import { renderPromtailConfig } from "../../components/monitoring/promtail-config";

interface RenderedRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
}

function renderedRules(text = renderAlertRules()): RenderedRule[] {
  const doc = parse(text) as { groups: Array<{ name: string; rules: RenderedRule[] }> };
  return doc.groups.flatMap((group) => group.rules);
}

describe("alert rules", () => {
  it("define every exported alert name, and no other", () => {
    const names = new Set(renderedRules().map((rule) => rule.alert));
    expect([...names].sort()).toEqual([...ALERT_NAMES].sort());
  });

  it("give every rule a severity, a for: and summary/description annotations", () => {
    for (const rule of renderedRules()) {
      expect(["critical", "warning"], rule.alert).toContain(rule.labels.severity);
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(rule.annotations.summary.length, rule.alert).toBeGreaterThan(10);
      expect(rule.annotations.description.length, rule.alert).toBeGreaterThan(20);
    }
  });

  it("page for outages and data-loss risks", () => {
    const critical = renderedRules().filter((r) => r.labels.severity === "critical").map((r) => r.alert);
    expect(critical).toEqual(expect.arrayContaining(["SiteDown", "PostgresDown", "WalArchivingFailing", "NoSuccessfulBackup26h", "HighHttp5xxRatio"]));
  });

  it("template annotations only from $labels, so promtool tests can state them exactly", () => {
    for (const rule of alertRules()) {
      const templates = `${rule.summary} ${rule.description}`.match(/\{\{[^}]*\}\}/g) ?? [];
      for (const template of templates) expect(template).toMatch(/^\{\{ \$labels\.\w+ \}\}$/);
    }
  });

  it("watch each backup repository for absence as well as age", () => {
    const backup = alertRules({ backupRepos: ["local", "b2"] }).find((r) => r.alert === "NoSuccessfulBackup26h");
    expect(backup?.expr).toContain('absent(jewelry_backup_last_success_timestamp_seconds{repo="local"})');
    expect(backup?.expr).toContain('absent(jewelry_backup_last_success_timestamp_seconds{repo="b2"})');
    expect(backup?.expr).toContain("> 93600");
  });

  it("take thresholds from args", () => {
    const rules = alertRules({ thresholds: { redisMemoryRatio: 0.75, celeryQueueLength: 500, certificateMinDays: 21 } });
    expect(rules.find((r) => r.alert === "RedisMemoryNearMax")?.expr).toMatch(/> 0\.75$/);
    expect(rules.find((r) => r.alert === "CeleryQueueBacklog")?.expr).toMatch(/> 500$/);
    expect(rules.find((r) => r.alert === "CertificateExpiringSoon")?.expr).toContain(`< ${21 * 86400}`);
  });

  it("refuse a ratio threshold outside 0..1 and an odd repository name", () => {
    expect(() => alertRules({ thresholds: { diskFreeRatio: 10 } })).toThrowError(/diskFreeRatio must be a ratio/);
    expect(() => alertRules({ backupRepos: ['x"}'] })).toThrowError(/backupRepos entry/);
    expect(() => alertRules({ backupRepos: [] })).toThrowError(/at least one repository/);
  });
});

describe("prometheus.yml", () => {
  const args: PrometheusConfigArgs = {
    environment: "production",
    alertmanagerTargets: ["alertmanager:9093"],
    ruleFiles: ["/etc/prometheus/rules/jewelry-shop.yml"],
    scrapeTargets: DEFAULT_SCRAPE_TARGETS,
    blackbox: { exporterAddress: "blackbox-exporter:9115", urls: ["https://shop.example.com/health/"] },
  };
  interface ScrapeConfig {
    job_name: string;
    metrics_path?: string;
    params?: Record<string, string[]>;
    static_configs: Array<{ targets: string[] }>;
    relabel_configs?: Array<{ source_labels?: string[]; target_label: string; replacement?: string }>;
  }
  const doc = parse(renderPrometheusConfig(args)) as {
    global: { scrape_interval: string; evaluation_interval: string; external_labels: Record<string, string> };
    alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
    rule_files: string[];
    scrape_configs: ScrapeConfig[];
  };

  it("labels every series with the environment and sends alerts to Alertmanager", () => {
    expect(doc.global.external_labels).toEqual({ environment: "production" });
    expect(doc.alerting.alertmanagers[0].static_configs[0].targets).toEqual(["alertmanager:9093"]);
    expect(doc.rule_files).toEqual(["/etc/prometheus/rules/jewelry-shop.yml"]);
  });

  it("scrapes every planned exporter and the Django /metrics endpoint", () => {
    const jobs = doc.scrape_configs.map((c) => c.job_name);
    expect(jobs).toEqual(expect.arrayContaining(["node", "postgres", "pgbouncer", "redis", "nginx", "django", "celery", "blackbox-https"]));
    expect(doc.scrape_configs.find((c) => c.job_name === "django")?.metrics_path).toBe("/metrics");
  });

  it("probes the public health URL through blackbox-exporter", () => {
    const probe = doc.scrape_configs.find((c) => c.job_name === "blackbox-https");
    expect(probe?.metrics_path).toBe("/probe");
    expect(probe?.params).toEqual({ module: ["http_2xx"] });
    expect(probe?.static_configs[0].targets).toEqual(["https://shop.example.com/health/"]);
    expect(probe?.relabel_configs).toContainEqual({ source_labels: ["__address__"], target_label: "__param_target" });
    expect(probe?.relabel_configs).toContainEqual({ target_label: "__address__", replacement: "blackbox-exporter:9115" });
  });

  it("refuses duplicate jobs, bad targets and a missing rule file", () => {
    const node = { job: "node", targets: ["node-exporter:9100"] };
    expect(() => renderPrometheusConfig({ ...args, scrapeTargets: [node, node] })).toThrowError(/defined twice/);
    expect(() => renderPrometheusConfig({ ...args, scrapeTargets: [{ job: "x", targets: ["http://x"] }] })).toThrowError(/host:port/);
    expect(() => renderPrometheusConfig({ ...args, ruleFiles: [] })).toThrowError(/nothing alerts/);
  });

  it("sets retention by flag and leaves the admin and lifecycle APIs off", () => {
    const flags = prometheusFlags({ retentionTime: "30d", retentionSize: "10GB" });
    expect(flags).toContain("--storage.tsdb.retention.time=30d");
    expect(flags).toContain("--storage.tsdb.retention.size=10GB");
    expect(flags.join(" ")).not.toMatch(/enable-lifecycle|enable-admin-api/);
    expect(() => prometheusFlags({ retentionTime: "30 days" })).toThrowError(/retentionTime/);
  });
});

describe("alertmanager.yml", () => {
  const args: AlertmanagerConfigArgs = {
    smtp: { smarthost: "smtp.example.com:587", from: "alerts@shop.example.com", authUsername: "alerts", authPasswordFile: "/etc/alertmanager/secrets/smtp_password" },
    emailTo: ["ops@shop.example.com"],
    paging: { kind: "slack", apiUrlFile: "/etc/alertmanager/secrets/slack_url", channel: "#oncall" },
  };
  const text = renderAlertmanagerConfig(args);
  const doc = parse(text) as {
    global: Record<string, unknown>;
    route: { receiver: string; group_by: string[]; routes: Array<{ matchers: string[]; receiver: string; continue?: boolean }> };
    inhibit_rules: Array<{ source_matchers: string[]; target_matchers: string[]; equal: string[] }>;
  };

  it("reads secrets from files and holds none inline", () => {
    expect(doc.global.smtp_auth_password_file).toBe("/etc/alertmanager/secrets/smtp_password");
    expect(doc.global.smtp_require_tls).toBe(true);
    expect(text).toContain("api_url_file: /etc/alertmanager/secrets/slack_url");
    expect(text).not.toMatch(/smtp_auth_password:|api_url:|routing_key:|service_key:/);
  });

  it("sends critical alerts to the pager and on to email", () => {
    const critical = doc.route.routes[0];
    expect(critical).toMatchObject({ matchers: ['severity="critical"'], receiver: ALERT_RECEIVERS.pager, continue: true });
    expect(receiversFor(args, "critical")).toEqual(["pager", "email"]);
    expect(receiversFor(args, "warning")).toEqual(["email"]);
    expect(doc.route.receiver).toBe(ALERT_RECEIVERS.email);
  });

  it("lets a critical alert mute the matching warning", () => {
    expect(doc.inhibit_rules).toEqual([{ source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ["alertname", "instance"] }]);
  });

  it("refuses a relative secret path", () => {
    expect(() => renderAlertmanagerConfig({ ...args, smtp: { ...args.smtp, authPasswordFile: "smtp_password" } })).toThrowError(/absolute path/);
  });
});

describe("Grafana provisioning", () => {
  it("provisions Prometheus and Loki with stable uids", () => {
    const doc = parse(renderGrafanaDatasources({ prometheusUrl: "http://prometheus:9090", lokiUrl: "http://loki:3100" })) as {
      datasources: Array<{ name: string; uid: string; type: string; url: string; editable: boolean }>;
    };
    expect(doc.datasources.map((d) => [d.type, d.uid, d.url])).toEqual([
      ["prometheus", "jewelry-prometheus", "http://prometheus:9090"],
      ["loki", "jewelry-loki", "http://loki:3100"],
    ]);
    expect(doc.datasources.every((d) => d.editable === false)).toBe(true);
  });

  it("loads dashboards from files that the UI cannot delete", () => {
    const doc = parse(renderGrafanaDashboardProvider()) as { providers: Array<{ type: string; disableDeletion: boolean; options: { path: string } }> };
    expect(doc.providers[0]).toMatchObject({ type: "file", disableDeletion: true, options: { path: "/var/lib/grafana/dashboards" } });
  });

  it("ships app, Postgres, Redis, nginx and host dashboards whose panels all query a provisioned data source", () => {
    const boards = jewelryDashboards();
    expect(Object.keys(boards).sort()).toEqual(["app.json", "host.json", "nginx.json", "postgres.json", "redis.json"]);
    const uids = Object.values(GRAFANA_DATASOURCE_UIDS) as string[];
    for (const [file, board] of Object.entries(boards)) {
      expect(board.panels.length, file).toBeGreaterThanOrEqual(4);
      expect(new Set(board.panels.map((p) => p.id)).size, file).toBe(board.panels.length);
      for (const panel of board.panels) {
        expect(panel.targets.length, `${file}: ${panel.title}`).toBeGreaterThan(0);
        for (const target of panel.targets) {
          expect(target.expr.trim(), `${file}: ${panel.title}`).not.toBe("");
          expect(uids).toContain(target.datasource.uid);
        }
        expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
      }
    }
    expect(new Set(Object.values(boards).map((b) => b.uid)).size).toBe(5);
  });

  it("renders each dashboard as JSON that parses back to the same object", () => {
    for (const [file, json] of Object.entries(renderDashboardFiles())) expect(JSON.parse(json), file).toEqual(jewelryDashboards()[file]);
  });
});

describe("Loki and promtail", () => {
  it("keeps logs for the retention period, enforced by the compactor", () => {
    const doc = parse(renderLokiConfig({ retentionPeriod: "744h" })) as {
      auth_enabled: boolean;
      limits_config: { retention_period: string };
      compactor: { retention_enabled: boolean; delete_request_store: string };
      schema_config: { configs: Array<{ store: string; object_store: string; index: { period: string } }> };
    };
    expect(doc.limits_config.retention_period).toBe("744h");
    expect(doc.compactor.retention_enabled).toBe(true);
    expect(doc.compactor.delete_request_store).toBe("filesystem");
    expect(doc.auth_enabled).toBe(false);
    expect(doc.schema_config.configs[0]).toMatchObject({ store: "tsdb", object_store: "filesystem", index: { period: "24h" } });
  });

  it("refuses a retention that is not whole days", () => {
    expect(() => renderLokiConfig({ retentionPeriod: "36h" })).toThrowError(/multiple of 24h/);
    expect(() => renderLokiConfig({ retentionPeriod: "1 month" })).toThrowError(/duration/);
  });

  it("discovers containers and labels their logs with container and service", () => {
    const doc = parse(renderPromtailConfig({ lokiPushUrl: "http://loki:3100/loki/api/v1/push", environment: "production", dockerHost: "tcp://docker-socket-proxy:2375" })) as {
      clients: Array<{ url: string; external_labels: Record<string, string> }>;
      scrape_configs: Array<{ docker_sd_configs: Array<{ host: string }>; relabel_configs: Array<{ source_labels: string[]; target_label: string }> }>;
    };
    expect(doc.clients[0]).toEqual({ url: "http://loki:3100/loki/api/v1/push", external_labels: { environment: "production" } });
    const scrape = doc.scrape_configs[0];
    expect(scrape.docker_sd_configs[0].host).toBe("tcp://docker-socket-proxy:2375");
    expect(scrape.relabel_configs.map((r) => r.target_label)).toEqual(expect.arrayContaining(["container", "service"]));
    expect(scrape.relabel_configs.find((r) => r.target_label === "service")?.source_labels).toEqual(["__meta_docker_container_label_jewelry_service"]);
  });

  it("refuses a Loki URL that is not the push endpoint", () => {
    expect(() => renderPromtailConfig({ lokiPushUrl: "http://loki:3100", environment: "production" })).toThrowError(/push/);
  });
});

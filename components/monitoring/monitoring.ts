// The monitoring stack on the Docker host (checklist 8.4–8.7): Prometheus with the alert rules,
// Alertmanager, Grafana with provisioned data sources and dashboards, Loki and promtail, and the
// exporters. Nothing publishes a port; only Alertmanager and blackbox-exporter reach the outside.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceName, ServiceSize } from "../config";
import type { VolumeName } from "../docker/topology";
import { ALERT_NAMES, renderAlertRules } from "./alert-rules";
import { renderAlertmanagerConfig, type PagingReceiver } from "./alertmanager-config";
import { BLACKBOX_HTTPS_MODULE } from "./blackbox-config";
import { renderDashboardFiles } from "./dashboards";
import { createExporters, type ExporterTargets } from "./exporters";
import { renderGrafanaDashboardProvider, renderGrafanaDatasources } from "./grafana-provisioning";
import { renderLokiConfig } from "./loki-config";
import { DEFAULT_SCRAPE_TARGETS, prometheusFlags, renderPrometheusConfig } from "./prometheus-config";
import { renderPromtailConfig } from "./promtail-config";
import { createServiceContainer, httpHealthcheck } from "./service-container";

export const PROMETHEUS_URL = "http://jewelry-prometheus:9090";
export const GRAFANA_ENDPOINT = { host: "jewelry-grafana", port: 3000 } as const;

const PATHS = {
  prometheusConfig: "/etc/prometheus/prometheus.yml",
  alertRules: "/etc/prometheus/rules/jewelry-shop.yml",
  alertmanagerConfig: "/etc/alertmanager/alertmanager.yml",
  smtpPassword: "/etc/alertmanager/secrets/smtp_password",
  pagerSecret: "/etc/alertmanager/secrets/pager_secret",
  grafanaDatasources: "/etc/grafana/provisioning/datasources/datasources.yaml",
  grafanaDashboardProvider: "/etc/grafana/provisioning/dashboards/jewelry-shop.yaml",
  // Outside the grafana-data volume, so each deploy's dashboards replace the old ones.
  grafanaDashboards: "/etc/grafana/dashboards",
  grafanaAdminPassword: "/etc/grafana/secrets/admin_password",
  lokiConfig: "/etc/loki/loki.yaml",
  promtailConfig: "/etc/promtail/promtail.yaml",
} as const;

/** Image users: nobody in prom/*, grafana 472, loki 10001. Volumes inherit the image folders' owners. */
const UID = { nobody: "65534", grafana: "472", loki: "10001" } as const;
const DOCKER_API_PORT = 2375;

type MonitoringService = Extract<ServiceName, "prometheus" | "alertmanager" | "grafana" | "loki" | "promtail" | "exporters">;
type MonitoringVolume = Extract<VolumeName, "prometheus-data" | "alertmanager-data" | "grafana-data" | "loki-data" | "promtail-positions" | "node-textfile">;

export interface MonitoringArgs {
  /** From StackConfig.sizes; `exporters` applies to each exporter. */
  readonly sizes: Readonly<Record<MonitoringService, ServiceSize>>;
  /** Prometheus external label and Loki stream label, e.g. "production". */
  readonly environment: string;
  /** Public host name: the blackbox probe checks https://<domain>/health/, Grafana's root URL is …/grafana/. */
  readonly domain: string;
  readonly networks: Readonly<Record<"monitoring" | "egress" | "data" | "backend" | "edge", docker.Network>>;
  readonly volumes: Readonly<Record<MonitoringVolume, docker.Volume>>;
  readonly prometheusRetentionDays: number;
  /** Loki keeps whole days (its index period). */
  readonly lokiRetentionDays: number;
  readonly alerts: {
    readonly email: string;
    /** "none": critical alerts go by email only. */
    readonly pager: "slack" | "pagerduty" | "none";
    /** Slack incoming-webhook URL or PagerDuty routing key; required unless pager is "none". */
    readonly pagerSecret?: pulumi.Input<string>;
    readonly slackChannel?: string;
  };
  /** SMTP relay for alert mail; without password, no SMTP login. */
  readonly smtp: { readonly host: string; readonly port: number; readonly from: string; readonly username?: string; readonly password?: pulumi.Input<string> };
  readonly grafanaAdminPassword: pulumi.Input<string>;
  /** Join Grafana to the edge network so nginx can proxy /grafana/ (else reachable only from monitoring). */
  readonly exposeGrafana: boolean;
  readonly exporters: ExporterTargets;
  /** host:port of the web container's django-prometheus /metrics, on the monitoring network. */
  readonly webMetricsTarget: string;
  /** pgBackRest repositories the backup job reports on (NoSuccessfulBackup26h per repo). */
  readonly backupRepos: readonly string[];
}

export class Monitoring extends pulumi.ComponentResource {
  /** Prometheus on the monitoring network (no published port). */
  readonly prometheusUrl = PROMETHEUS_URL;
  /** Upstream for nginx' /grafana/ location (requires exposeGrafana). */
  readonly grafanaEndpoint = GRAFANA_ENDPOINT;
  readonly containers: readonly docker.Container[];
  /** The rendered files, for tests and policies. */
  readonly prometheusConfig: string;
  readonly alertRules: string;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jewelry-shop:index:Monitoring", name, {}, opts);
    if (args.alerts.pager !== "none" && args.alerts.pagerSecret === undefined) {
      throw new pulumi.ResourceError(`monitoring.alerts.pagerSecret is required when pager is "${args.alerts.pager}"`, this);
    }
    if (args.alerts.pager === "slack" && !args.alerts.slackChannel) {
      throw new pulumi.ResourceError('monitoring.alerts.slackChannel is required when pager is "slack"', this);
    }
    if (args.smtp.password !== undefined && !args.smtp.username) {
      throw new pulumi.ResourceError("monitoring.smtp.username is required with an SMTP password", this);
    }
    const { networks, volumes, sizes } = args;
    const monitoringNetwork = networks.monitoring;

    this.alertRules = renderAlertRules({ backupRepos: args.backupRepos });
    this.prometheusConfig = renderPrometheusConfig({
      environment: args.environment,
      alertmanagerTargets: ["alertmanager:9093"],
      ruleFiles: [PATHS.alertRules],
      // The web container has the "web" alias only on edge; on monitoring it is reached by name.
      scrapeTargets: DEFAULT_SCRAPE_TARGETS.map((t) => (t.job === "django" ? { ...t, targets: [args.webMetricsTarget] } : t)),
      blackbox: { exporterAddress: "blackbox-exporter:9115", urls: [`https://${args.domain}/health/`], module: BLACKBOX_HTTPS_MODULE },
    });
    const nobodyFile = (file: string, content: pulumi.Input<string>, permissions = "0644") =>
      ({ file, content, owner: UID.nobody, group: UID.nobody, permissions });

    const prometheus = createServiceContainer(name, {
      id: "prometheus",
      image: "prometheus",
      size: sizes.prometheus,
      user: `${UID.nobody}:${UID.nobody}`,
      network: monitoringNetwork,
      healthcheck: httpHealthcheck("http://127.0.0.1:9090/-/healthy"),
      settings: {
        command: prometheusFlags({ retentionTime: `${args.prometheusRetentionDays}d`, configFile: PATHS.prometheusConfig }),
        volumes: [{ volumeName: volumes["prometheus-data"].name, containerPath: "/prometheus" }],
        uploads: [nobodyFile(PATHS.prometheusConfig, this.prometheusConfig), nobodyFile(PATHS.alertRules, this.alertRules)],
      },
    }, this);

    const alertmanager = this.createAlertmanager(name, args);
    const grafana = this.createGrafana(name, args);
    const [loki, promtail, dockerApi] = this.createLogging(name, args);
    const exporters = createExporters(name, {
      size: sizes.exporters,
      networks,
      textfileVolume: volumes["node-textfile"],
      targets: args.exporters,
    }, this);

    this.containers = [prometheus, alertmanager, grafana, loki, promtail, dockerApi, ...Object.values(exporters)];
    this.registerOutputs({
      prometheusUrl: this.prometheusUrl,
      grafanaEndpoint: this.grafanaEndpoint,
      alertNames: [...ALERT_NAMES],
      containers: this.containers.map((c) => c.name),
    });
  }

  /** Alertmanager: settings in alertmanager.yml, each credential in its own 0600 file next to it. */
  private createAlertmanager(name: string, args: MonitoringArgs): docker.Container {
    const { alerts, smtp } = args;
    const paging: PagingReceiver | undefined =
      alerts.pager === "slack" ? { kind: "slack", apiUrlFile: PATHS.pagerSecret, channel: alerts.slackChannel ?? "" }
      : alerts.pager === "pagerduty" ? { kind: "pagerduty", routingKeyFile: PATHS.pagerSecret }
      : undefined;
    const config = renderAlertmanagerConfig({
      smtp: {
        smarthost: `${smtp.host}:${smtp.port}`,
        from: smtp.from,
        ...(smtp.password !== undefined ? { authUsername: smtp.username, authPasswordFile: PATHS.smtpPassword } : {}),
      },
      emailTo: [alerts.email],
      paging,
    });
    const file = (path: string, content: pulumi.Input<string>, permissions: string) =>
      ({ file: path, content, owner: UID.nobody, group: UID.nobody, permissions });
    const secretFile = (path: string, value: pulumi.Input<string>) => file(path, pulumi.secret(value), "0600");
    return createServiceContainer(name, {
      id: "alertmanager",
      image: "alertmanager",
      size: args.sizes.alertmanager,
      user: `${UID.nobody}:${UID.nobody}`,
      network: args.networks.monitoring,
      // Email and Slack/PagerDuty are on the internet.
      otherNetworks: [args.networks.egress],
      healthcheck: httpHealthcheck("http://127.0.0.1:9093/-/healthy"),
      settings: {
        command: [
          `--config.file=${PATHS.alertmanagerConfig}`,
          "--storage.path=/alertmanager",
          // Empty: a single Alertmanager, so no gossip port bound on 0.0.0.0:9094.
          "--cluster.listen-address=",
        ],
        volumes: [{ volumeName: args.volumes["alertmanager-data"].name, containerPath: "/alertmanager" }],
        uploads: [
          file(PATHS.alertmanagerConfig, config, "0644"),
          ...(smtp.password !== undefined ? [secretFile(PATHS.smtpPassword, smtp.password)] : []),
          ...(alerts.pagerSecret !== undefined && paging ? [secretFile(PATHS.pagerSecret, alerts.pagerSecret)] : []),
        ],
      },
    }, this);
  }

  private createGrafana(name: string, args: MonitoringArgs): docker.Container {
    const file = (path: string, content: pulumi.Input<string>, permissions = "0644") =>
      ({ file: path, content, owner: UID.grafana, group: "0", permissions });
    const dashboards = Object.entries(renderDashboardFiles()).map(([fileName, json]) => file(`${PATHS.grafanaDashboards}/${fileName}`, json));
    return createServiceContainer(name, {
      id: "grafana",
      image: "grafana",
      size: args.sizes.grafana,
      user: `${UID.grafana}:0`,
      network: args.networks.monitoring,
      otherNetworks: args.exposeGrafana ? [args.networks.edge] : [],
      // With serve_from_sub_path the API may answer under /grafana/ only: accept either.
      healthcheck: {
        test: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:3000/api/health || wget -q -O /dev/null http://127.0.0.1:3000/grafana/api/health"],
        startPeriod: "60s",
      },
      settings: {
        envs: [
          "GF_SECURITY_ADMIN_USER=admin",
          `GF_SECURITY_ADMIN_PASSWORD__FILE=${PATHS.grafanaAdminPassword}`,
          "GF_SECURITY_COOKIE_SECURE=true",
          "GF_SECURITY_DISABLE_GRAVATAR=true",
          "GF_USERS_ALLOW_SIGN_UP=false",
          "GF_AUTH_ANONYMOUS_ENABLED=false",
          `GF_SERVER_ROOT_URL=https://${args.domain}/grafana/`,
          "GF_SERVER_SERVE_FROM_SUB_PATH=true",
          "GF_ANALYTICS_REPORTING_ENABLED=false",
          "GF_ANALYTICS_CHECK_FOR_UPDATES=false",
          "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES=false",
          "GF_NEWS_NEWS_FEED_ENABLED=false",
        ],
        volumes: [{ volumeName: args.volumes["grafana-data"].name, containerPath: "/var/lib/grafana" }],
        uploads: [
          file(PATHS.grafanaDatasources, renderGrafanaDatasources({ prometheusUrl: "http://prometheus:9090", lokiUrl: "http://loki:3100" })),
          file(PATHS.grafanaDashboardProvider, renderGrafanaDashboardProvider({ dashboardsPath: PATHS.grafanaDashboards })),
          ...dashboards,
          file(PATHS.grafanaAdminPassword, pulumi.secret(args.grafanaAdminPassword), "0600"),
        ],
      },
    }, this);
  }

  /**
   * Loki, promtail and a read-only Docker API proxy on a network of their own: the raw socket is
   * root on the host, and even read-only container inspection shows every container's environment
   * (secrets included), so only promtail may reach the proxy.
   */
  private createLogging(name: string, args: MonitoringArgs): [docker.Container, docker.Container, docker.Container] {
    const dockerApiNetwork = new docker.Network(`${name}-docker-api`, {
      name: "jewelry-docker-api",
      driver: "bridge",
      internal: true,
      attachable: false,
      ipamConfigs: [{ subnet: "172.30.5.0/24" }],
    }, { parent: this });

    const loki = createServiceContainer(name, {
      id: "loki",
      image: "loki",
      size: args.sizes.loki,
      user: `${UID.loki}:${UID.loki}`,
      network: args.networks.monitoring,
      // distroless/static:debug: busybox lives in /busybox.
      healthcheck: httpHealthcheck("http://127.0.0.1:3100/ready", "/busybox/wget"),
      settings: {
        command: [`-config.file=${PATHS.lokiConfig}`],
        volumes: [{ volumeName: args.volumes["loki-data"].name, containerPath: "/loki" }],
        uploads: [{
          file: PATHS.lokiConfig,
          content: renderLokiConfig({ retentionPeriod: `${args.lokiRetentionDays * 24}h`, dataDir: "/loki" }),
          owner: UID.loki, group: UID.loki, permissions: "0644",
        }],
      },
    }, this);

    // tecnativa's HAProxy allows only GET on the sections enabled here (CONTAINERS; _ping and
    // version stay on for API negotiation). It runs as root to open the socket, capabilities dropped.
    const dockerApi = createServiceContainer(name, {
      id: "docker-socket-proxy",
      image: "dockerSocketProxy",
      size: args.sizes.exporters,
      network: dockerApiNetwork,
      healthcheck: httpHealthcheck(`http://127.0.0.1:${DOCKER_API_PORT}/_ping`),
      settings: {
        envs: ["CONTAINERS=1", "EVENTS=0", "POST=0"],
        mounts: [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock", readOnly: true }],
      },
    }, this);

    const promtail = createServiceContainer(name, {
      id: "promtail",
      image: "promtail",
      size: args.sizes.promtail,
      // Non-root: the positions volume is mounted at /tmp, so Docker initialises the empty volume with the
      // image's /tmp mode (1777) and nobody can write there. promtail reads logs through the proxy.
      user: `${UID.nobody}:${UID.nobody}`,
      network: args.networks.monitoring,
      otherNetworks: [dockerApiNetwork],
      healthcheck: { test: ["CMD", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9080"], interval: "30s" },
      settings: {
        command: [`-config.file=${PATHS.promtailConfig}`],
        volumes: [{ volumeName: args.volumes["promtail-positions"].name, containerPath: "/tmp" }],
        uploads: [{
          file: PATHS.promtailConfig,
          content: renderPromtailConfig({
            lokiPushUrl: "http://loki:3100/loki/api/v1/push",
            environment: args.environment,
            dockerHost: `tcp://docker-socket-proxy:${DOCKER_API_PORT}`,
            positionsFile: "/tmp/positions.yaml",
          }),
          permissions: "0644",
        }],
      },
    }, this);
    return [loki, promtail, dockerApi];
  }
}

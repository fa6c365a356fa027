// prometheus.yml for jewelry-shop and the command-line flags of the Prometheus container
// (retention is a flag, not a config key). Targets are container names on the monitoring network.
import { assertDuration, toYamlText } from "./yaml-text";

export interface ScrapeTarget {
  job: string;
  /** host:port, e.g. "postgres-exporter:9187". */
  targets: readonly string[];
  metricsPath?: string;
  scheme?: "http" | "https";
  params?: Readonly<Record<string, readonly string[]>>;
}

export interface BlackboxProbe {
  /** Address of blackbox-exporter, e.g. "blackbox-exporter:9115". */
  exporterAddress: string;
  /** URLs probed; the https health URL also yields probe_ssl_earliest_cert_expiry. */
  urls: readonly string[];
  /** blackbox module; "http_2xx" exists in the exporter's stock config. */
  module?: string;
  job?: string;
}

export interface PrometheusConfigArgs {
  /** external label, e.g. "production": tells alerts of different stacks apart. */
  environment: string;
  /** host:port of Alertmanager, e.g. "alertmanager:9093". */
  alertmanagerTargets: readonly string[];
  /** Paths (inside the container) of rule files. */
  ruleFiles: readonly string[];
  scrapeTargets: readonly ScrapeTarget[];
  blackbox: BlackboxProbe;
  scrapeInterval?: string;
  scrapeTimeout?: string;
  evaluationInterval?: string;
}

/** The exporters planned for jewelry-shop, by container name and default port. */
export const DEFAULT_SCRAPE_TARGETS: readonly ScrapeTarget[] = [
  { job: "prometheus", targets: ["localhost:9090"] },
  { job: "alertmanager", targets: ["alertmanager:9093"] },
  { job: "node", targets: ["node-exporter:9100"] },
  { job: "postgres", targets: ["postgres-exporter:9187"] },
  { job: "pgbouncer", targets: ["pgbouncer-exporter:9127"] },
  { job: "redis", targets: ["redis-exporter:9121"] },
  { job: "nginx", targets: ["nginx-exporter:9113"] },
  // django-prometheus on the web container: "web" must be in ALLOWED_HOSTS, and nginx must not proxy /metrics.
  { job: "django", targets: ["web:8000"], metricsPath: "/metrics" },
  { job: "celery", targets: ["celery-exporter:9808"] },
  { job: "loki", targets: ["loki:3100"] },
];

export const DEFAULT_BLACKBOX_JOB = "blackbox-https";

const JOB_NAME = /^[a-zA-Z_][a-zA-Z0-9_-]*$/;
const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$/;

function assertTargets(what: string, targets: readonly string[]): void {
  if (targets.length === 0) throw new Error(`${what} needs at least one target`);
  const bad = targets.find((target) => !HOST_PORT.test(target));
  if (bad !== undefined) throw new Error(`${what} target "${bad}" must be host:port`);
}

function scrapeConfig(target: ScrapeTarget): object {
  return {
    job_name: target.job,
    ...(target.metricsPath ? { metrics_path: target.metricsPath } : {}),
    ...(target.scheme ? { scheme: target.scheme } : {}),
    ...(target.params ? { params: target.params } : {}),
    static_configs: [{ targets: target.targets }],
  };
}

// The probed URL travels as ?target=…, becomes the instance label, and the scrape goes to the exporter.
function blackboxScrapeConfig(probe: BlackboxProbe, job: string): object {
  return {
    job_name: job,
    metrics_path: "/probe",
    params: { module: [probe.module ?? "http_2xx"] },
    static_configs: [{ targets: probe.urls }],
    relabel_configs: [
      { source_labels: ["__address__"], target_label: "__param_target" },
      { source_labels: ["__param_target"], target_label: "instance" },
      { target_label: "__address__", replacement: probe.exporterAddress },
    ],
  };
}

export function renderPrometheusConfig(args: PrometheusConfigArgs): string {
  const scrapeInterval = args.scrapeInterval ?? "15s";
  const scrapeTimeout = args.scrapeTimeout ?? "10s";
  const evaluationInterval = args.evaluationInterval ?? "15s";
  assertDuration("scrapeInterval", scrapeInterval);
  assertDuration("scrapeTimeout", scrapeTimeout);
  assertDuration("evaluationInterval", evaluationInterval);
  if (!args.environment) throw new Error("environment must not be empty");
  if (args.ruleFiles.length === 0) throw new Error("ruleFiles must list the alert rule file: without it nothing alerts");
  assertTargets("alertmanagerTargets", args.alertmanagerTargets);

  const blackboxJob = args.blackbox.job ?? DEFAULT_BLACKBOX_JOB;
  const jobs = [...args.scrapeTargets.map((target) => target.job), blackboxJob];
  const badJob = jobs.find((job) => !JOB_NAME.test(job));
  if (badJob !== undefined) throw new Error(`job name "${badJob}" must match ${JOB_NAME}`);
  const duplicate = jobs.find((job, index) => jobs.indexOf(job) !== index);
  if (duplicate !== undefined) throw new Error(`job "${duplicate}" is defined twice`);
  for (const target of args.scrapeTargets) assertTargets(`job "${target.job}"`, target.targets);
  assertTargets("blackbox.exporterAddress", [args.blackbox.exporterAddress]);
  if (args.blackbox.urls.length === 0) throw new Error("blackbox.urls must list the public health URL");
  const badUrl = args.blackbox.urls.find((url) => !/^https?:\/\/\S+$/.test(url));
  if (badUrl !== undefined) throw new Error(`blackbox url "${badUrl}" must be an http(s) URL`);

  return toYamlText({
    global: {
      scrape_interval: scrapeInterval,
      scrape_timeout: scrapeTimeout,
      evaluation_interval: evaluationInterval,
      external_labels: { environment: args.environment },
    },
    alerting: { alertmanagers: [{ static_configs: [{ targets: args.alertmanagerTargets }] }] },
    rule_files: args.ruleFiles,
    scrape_configs: [...args.scrapeTargets.map(scrapeConfig), blackboxScrapeConfig(args.blackbox, blackboxJob)],
  });
}

export interface PrometheusFlagsArgs {
  /** How long samples are kept, e.g. "30d". */
  retentionTime: string;
  /** Upper bound on TSDB size, e.g. "10GB": whichever limit is hit first applies. */
  retentionSize?: string;
  configFile?: string;
  storagePath?: string;
}

/**
 * Command-line flags of the Prometheus container. Deliberately without --web.enable-lifecycle and
 * --web.enable-admin-api: anyone on the network could otherwise reload or delete data.
 */
export function prometheusFlags(args: PrometheusFlagsArgs): string[] {
  assertDuration("retentionTime", args.retentionTime);
  if (args.retentionSize !== undefined && !/^\d+(B|KB|MB|GB|TB|PB|EB)$/.test(args.retentionSize)) {
    throw new Error(`retentionSize must look like "10GB", got "${args.retentionSize}"`);
  }
  return [
    `--config.file=${args.configFile ?? "/etc/prometheus/prometheus.yml"}`,
    `--storage.tsdb.path=${args.storagePath ?? "/prometheus"}`,
    `--storage.tsdb.retention.time=${args.retentionTime}`,
    ...(args.retentionSize ? [`--storage.tsdb.retention.size=${args.retentionSize}`] : []),
  ];
}

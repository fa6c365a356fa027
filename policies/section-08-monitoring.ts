// Section 8, Monitoring and Logging: Sentry settings in the app, Prometheus scraping every tier,
// provisioned Grafana dashboards, the alert rules the runbook relies on, and Loki with a log shipper.
// 8.1 (the Sentry project exists) is an account outside the stack.
import type { PolicyResource } from "@pulumi/policy";
import { checklistFramework, stackPolicy, type ChecklistPolicy } from "./lib/framework";
import { appSetting, appSettingValue, readableValue } from "./lib/app-settings";
import {
  alertRules, containersOf, routesCriticalToPager, scrapeJobs, yamlUploadsWith, type AlertRule, type ScrapeJob,
} from "./lib/monitoring-files";
import { reportMissingService, requireAppContainers } from "./lib/stack-resources";
import { asArray, asBoolean, asRecord, asString } from "./lib/values";
import { containerEnv, containerName, envValue, knownUploads, uploadsOf } from "./lib/containers";

/** https://<public key>@<host>/<project id> (optionally a path prefix before the id). */
const SENTRY_DSN = /^https:\/\/[0-9a-f]{16,}(:[0-9a-f]+)?@[A-Za-z0-9.-]+(:\d+)?\/([\w.-]+\/)*\d+$/;

export const sentryConfigured = stackPolicy({
  name: "sentry-configured",
  description: "Every Django app container reports errors to Sentry: SENTRY_DSN is a valid DSN and SENTRY_ENVIRONMENT names the stack's environment.",
  severity: "medium",
  remediationSteps:
    "Set the secret config sentryDsn to the DSN of the project's Sentry project (Settings > Client Keys) and pass " +
    "SENTRY_ENVIRONMENT=<environment> (production in production) to every app container.",
  framework: checklistFramework("8.2", "8.3"),
  validateStack: (args, report, stack) => {
    for (const app of requireAppContainers(args.resources, report)) {
      const setting = appSetting(app, "SENTRY_DSN");
      // A secret the preview cannot read (unknown, or the offline check's stand-in for undecryptable
      // config) is present; its shape is judged only when the value is real.
      const dsn = setting && readableValue(setting);
      // The DSN is a secret: say what is wrong with it, never echo it.
      if (setting === undefined) report(`Container ${containerName(app)} has no SENTRY_DSN.`, app.urn);
      else if (dsn !== undefined && !SENTRY_DSN.test(dsn.trim())) {
        report(`Container ${containerName(app)} has a SENTRY_DSN that is not an https://<key>@<host>/<project> DSN.`, app.urn);
      }
      const sentryEnvironment = appSettingValue(app, "SENTRY_ENVIRONMENT");
      if (sentryEnvironment !== stack.environment) {
        report(`Container ${containerName(app)} has SENTRY_ENVIRONMENT ${sentryEnvironment === undefined ? "unset" : `"${sentryEnvironment}"`}; this stack's environment is "${stack.environment}".`, app.urn);
      }
    }
  },
});

/** What Prometheus must scrape, recognised by job name or target host. */
export const REQUIRED_SCRAPE_TIERS: Readonly<Record<string, RegExp>> = {
  app: /django|\bweb\b|gunicorn|\bapp\b/,
  postgres: /postgres/,
  redis: /redis/,
  nginx: /nginx/,
  node: /node/,
};

const covers = (jobs: readonly ScrapeJob[], pattern: RegExp) => jobs.some((j) => pattern.test(j.job) || j.targets.some((t) => pattern.test(t)));

export const prometheusConfigured = stackPolicy({
  name: "prometheus-configured",
  description: "A Prometheus container scrapes the app, PostgreSQL, Redis, nginx and the host (node exporter), loads rule files and sends alerts to Alertmanager.",
  severity: "high",
  remediationSteps:
    "Run prom/prometheus with a prometheus.yml upload whose scrape_configs cover django/web, postgres-exporter, redis-exporter, " +
    "nginx-exporter and node-exporter, with rule_files and alerting.alertmanagers set.",
  framework: checklistFramework("8.4"),
  validateStack: (args, report) => {
    const servers = containersOf(args.resources, /^prom\/prometheus$|(^|\/)prometheus$/);
    if (servers.length === 0) reportMissingService(args.resources, report, "No Prometheus container (image prom/prometheus) is in the stack.");
    for (const server of servers) {
      const config = yamlUploadsWith(server, "scrape_configs")[0];
      if (!config) {
        report(`Prometheus container ${containerName(server)} receives no prometheus.yml with scrape_configs.`, server.urn);
        continue;
      }
      const jobs = scrapeJobs(config);
      const missing = Object.entries(REQUIRED_SCRAPE_TIERS).filter(([, pattern]) => !covers(jobs, pattern)).map(([tier]) => tier);
      if (missing.length > 0) report(`Prometheus in ${containerName(server)} scrapes nothing for: ${missing.join(", ")}.`, server.urn);
      if (asArray(config.rule_files).length === 0) report(`Prometheus in ${containerName(server)} loads no rule_files.`, server.urn);
      if (asArray(asRecord(config.alerting)?.alertmanagers).length === 0) report(`Prometheus in ${containerName(server)} sends alerts to no Alertmanager.`, server.urn);
    }
  },
});

export const grafanaDashboards = stackPolicy({
  name: "grafana-dashboards",
  description: "A Grafana container has provisioned dashboards, an admin password that is not the default, and anonymous access off.",
  severity: "medium",
  remediationSteps:
    "Upload a dashboard provider (provisioning/dashboards/*.yaml with providers) and the dashboard JSON files; set " +
    "GF_SECURITY_ADMIN_PASSWORD__FILE (or a generated GF_SECURITY_ADMIN_PASSWORD) and leave GF_AUTH_ANONYMOUS_ENABLED unset or false.",
  framework: checklistFramework("8.5"),
  validateStack: (args, report) => {
    const grafanas = containersOf(args.resources, /^grafana\/grafana(-oss|-enterprise)?$/);
    if (grafanas.length === 0) reportMissingService(args.resources, report, "No Grafana container (image grafana/grafana) is in the stack.");
    for (const grafana of grafanas) {
      const name = containerName(grafana);
      const providers = yamlUploadsWith(grafana, "providers").filter((doc) => asArray(doc.providers).length > 0);
      const dashboards = uploadsOf(grafana).filter((u) => u.file.endsWith(".json"));
      if (providers.length === 0 || dashboards.length === 0) {
        report(`Grafana ${name} has ${providers.length === 0 ? "no dashboard provider" : "no dashboard JSON"} provisioned.`, grafana.urn);
      }
      const env = containerEnv(grafana.props);
      const passwordFile = env.values.get("GF_SECURITY_ADMIN_PASSWORD__FILE");
      if (passwordFile === undefined || passwordFile === "") {
        const password = envValue(env, "GF_SECURITY_ADMIN_PASSWORD");
        if (password === undefined || password === "" || password === "admin") report(`Grafana ${name} keeps the default admin password.`, grafana.urn);
      }
      if ((env.values.get("GF_AUTH_ANONYMOUS_ENABLED") ?? "false").toLowerCase() === "true") report(`Grafana ${name} allows anonymous access.`, grafana.urn);
    }
  },
});

/** The alerts the runbook expects, recognised by their expression (names vary between stacks). */
export const REQUIRED_ALERTS: Readonly<Record<string, (rule: AlertRule) => boolean>> = {
  "target down": (r) => /\bup\s*==\s*0/.test(r.expr),
  "HTTP 5xx ratio": (r) => /5\.\.|5xx|status(_code)?=~?"5/.test(r.expr),
  latency: (r) => /histogram_quantile|latency|duration/.test(r.expr),
  "PostgreSQL down": (r) => /\bpg_up\s*==\s*0/.test(r.expr),
  "PostgreSQL connections": (r) => /numbackends|pg_stat_activity_count|max_connections/.test(r.expr),
  "WAL archiving": (r) => /pg_stat_archiver/.test(r.expr),
  "Redis memory": (r) => /redis_memory_used_bytes/.test(r.expr),
  "backup older than 26h": (r) => /backup/i.test(r.expr) && backupThresholdWithin26h(r.expr),
  "disk space": (r) => /node_filesystem_(avail|free)_bytes/.test(r.expr),
  "certificate expiry": (r) => /ssl_earliest_cert_expiry|cert_not_after|x509_cert_expir/.test(r.expr),
  "Celery backlog": (r) => /celery_queue_length|celery_.*(queue|backlog)|flower_.*queue/.test(r.expr),
};

function backupThresholdWithin26h(expr: string): boolean {
  const seconds = [...expr.matchAll(/>\s*(\d+(?:\.\d+)?)\b(?!\s*[smhd])/g)].map((m) => Number(m[1]));
  const durations = [...expr.matchAll(/\b(\d+)h\b/g)].map((m) => Number(m[1]) * 3600);
  return [...seconds, ...durations].some((s) => s >= 3600 && s <= 26 * 3600);
}

export const alertRulesPresent = stackPolicy({
  name: "alert-rules-present",
  description:
    "Prometheus loads alerts for target down, 5xx ratio, latency, PostgreSQL down and connections, WAL archiving, Redis memory, " +
    "backups older than 26 hours, disk space, certificate expiry and Celery backlog, and Alertmanager pages for critical alerts.",
  severity: "high",
  remediationSteps:
    "Upload a rules file to the Prometheus container with those alerts (see components/monitoring/alert-rules.ts) and route " +
    'severity="critical" in alertmanager.yml to a receiver with pagerduty_configs, opsgenie_configs or a paging webhook.',
  framework: checklistFramework("8.6"),
  validateStack: (args, report) => {
    const rules = containersOf(args.resources, /^prom\/prometheus$|(^|\/)prometheus$/).flatMap((c) => yamlUploadsWith(c, "groups").flatMap(alertRules));
    const missing = Object.entries(REQUIRED_ALERTS).filter(([, matches]) => !rules.some(matches)).map(([what]) => what);
    if (missing.length > 0) report(`Prometheus has no alert rule for: ${missing.join(", ")}.`);
    const alertmanagers = containersOf(args.resources, /^prom\/alertmanager$|(^|\/)alertmanager$/);
    if (alertmanagers.length === 0) reportMissingService(args.resources, report, "No Alertmanager container (image prom/alertmanager) is in the stack.");
    for (const am of alertmanagers) {
      const config = yamlUploadsWith(am, "route")[0];
      if (!config || !routesCriticalToPager(config)) report(`Alertmanager ${containerName(am)} does not route severity="critical" to a paging receiver.`, am.urn);
    }
  },
});

const ZERO_DURATION = /^0+[smhdwy]?$|^$/;

function lokiRetention(loki: PolicyResource): string | undefined {
  const config = yamlUploadsWith(loki, "limits_config")[0];
  if (!config) return "receives no Loki config (limits_config)";
  const period = asString(asRecord(config.limits_config)?.retention_period) ?? "";
  if (ZERO_DURATION.test(period)) return "keeps logs forever (limits_config.retention_period unset or 0)";
  if (asBoolean(asRecord(config.compactor)?.retention_enabled) !== true) return "sets a retention_period that is ignored (compactor.retention_enabled is not true)";
  return undefined;
}

export const logAggregation = stackPolicy({
  name: "log-aggregation",
  description: "Loki runs with log retention enforced by its compactor, and a log shipper pushes the containers' logs to it.",
  severity: "medium",
  remediationSteps:
    "Run grafana/loki with limits_config.retention_period and compactor.retention_enabled: true, and grafana/promtail (or Alloy) " +
    "with a client URL ending in /loki/api/v1/push.",
  framework: checklistFramework("8.7"),
  validateStack: (args, report) => {
    const lokis = containersOf(args.resources, /^grafana\/loki$/);
    if (lokis.length === 0) reportMissingService(args.resources, report, "No Loki container (image grafana/loki) is in the stack.");
    for (const loki of lokis) {
      const problem = lokiRetention(loki);
      if (problem) report(`Loki ${containerName(loki)} ${problem}.`, loki.urn);
    }
    const shippers = containersOf(args.resources, /^grafana\/(promtail|alloy|agent)$|^fluent\/fluent-bit$|^timberio\/vector$/);
    const pushing = shippers.filter((s) => knownUploads(s, /./).some((u) => /\/loki\/api\/v1\/push/.test(u.content)));
    if (pushing.length === 0) reportMissingService(args.resources, report, "No log shipper (Promtail, Alloy, Fluent Bit, Vector) is configured to push to Loki's /loki/api/v1/push.");
  },
});

export const section08Policies: readonly ChecklistPolicy[] = [sentryConfigured, prometheusConfigured, grafanaDashboards, alertRulesPresent, logAggregation];

// Section 8, Monitoring and Logging, judged on what each server really runs with (policies/lib/
// prometheus, alertmanager, logging): Sentry settings as the app process receives them, Prometheus's
// kept scrape targets, loaded rule files and Alertmanagers, alerts that can fire in time and reach a
// pager through the route tree, Grafana's provisioned dashboards and settings, Loki's retention in
// force and every service's logs shipped. 8.1 (the Sentry project exists) is an account outside the stack.
import type { PolicyResource } from "@pulumi/policy";
import { alertmanagerModelOf, inhibits, PAGING_INTEGRATIONS, silentWhen, type AlertmanagerModel } from "./lib/alertmanager";
import { effectiveSettings } from "./lib/app/effective-settings";
import { appSetting, readableValue, SECRETS_DIR } from "./lib/app-settings";
import { containerHostNames, containerName, isOneShot, runsImage, uploadPaths } from "./lib/containers";
import { checklistFramework, stackPolicy, type ChecklistPolicy } from "./lib/framework";
import { grafanaModelOf } from "./lib/logging/grafana";
import { lokiModelOf } from "./lib/logging/loki";
import { promtailModelOf } from "./lib/logging/promtail";
import { prometheusModelOf, type AlertRule, type Labels, type PrometheusModel } from "./lib/prometheus";
import { containers, reportMissingService, requireAppContainers } from "./lib/stack-resources";
import { known, undecidable, UNKNOWN } from "./lib/unknowns";
import { asArray, asRecord, asString } from "./lib/values";

/** Containers running an image whose repository matches. */
const containersOf = (resources: readonly PolicyResource[], image: RegExp): PolicyResource[] => containers(resources).filter((c) => runsImage(c, image));
const PROMETHEUS_IMAGE = /^prom\/prometheus$|(^|\/)prometheus$/;
const ALERTMANAGER_IMAGE = /^prom\/alertmanager$|(^|\/)alertmanager$/;

// ---- 8.2, 8.3 Sentry ----

/** https://<public key>@<host>/<project id> (optionally a path prefix before the id). */
const SENTRY_DSN = /^https:\/\/[0-9a-f]{16,}(:[0-9a-f]+)?@[A-Za-z0-9.-]+(:\d+)?\/([\w.-]+\/)*\d+$/;

/** An uploaded /run/secrets/NAME that no secrets loader exports: a file the process never reads as its setting. */
function unexportedSecretFile(app: PolicyResource, name: string): boolean {
  return effectiveSettings(app).loaderDir === undefined && uploadPaths(asRecord(app.props) ?? {}).includes(`${SECRETS_DIR}/${name}`);
}

export const sentryConfigured = stackPolicy({
  name: "sentry-configured",
  description:
    "Every Django app container's process receives a valid SENTRY_DSN and SENTRY_ENVIRONMENT naming the stack's environment, counting env entries, " +
    "/run/secrets files (only when the entrypoint exports them) and the command line (`env NAME=value`, gunicorn --env), as lib/app/effective-settings resolves them.",
  severity: "medium",
  remediationSteps:
    "Set the secret config sentryDsn to the DSN of the project's Sentry project (Settings > Client Keys) and pass " +
    "SENTRY_ENVIRONMENT=<environment> (production in production) to every app container; keep the secrets-loading entrypoint so /run/secrets/SENTRY_DSN reaches the process.",
  framework: checklistFramework("8.2", "8.3"),
  validateStack: (args, report, stack) => {
    for (const app of requireAppContainers(args.resources, report)) {
      const setting = appSetting(app, "SENTRY_DSN");
      // A secret the preview cannot read (unknown, or the offline check's stand-in) is present; its shape is judged only when real.
      const dsn = setting && readableValue(setting);
      if (setting === undefined) {
        const unexported = unexportedSecretFile(app, "SENTRY_DSN");
        report(`Container ${containerName(app)} has no SENTRY_DSN${unexported ? ` (${SECRETS_DIR}/SENTRY_DSN is uploaded but its entrypoint does not export it)` : ""}.`, app.urn);
      } else if (dsn !== undefined && !SENTRY_DSN.test(dsn.trim())) {
        // The DSN is a secret: say what is wrong with it, never echo it.
        report(`Container ${containerName(app)} has a SENTRY_DSN that is not an https://<key>@<host>/<project> DSN.`, app.urn);
      }
      const environmentSetting = appSetting(app, "SENTRY_ENVIRONMENT");
      const environment = environmentSetting && readableValue(environmentSetting);
      if (environmentSetting !== undefined && environment === undefined) undecidable("SENTRY_ENVIRONMENT");
      if (environment !== stack.environment) {
        report(`Container ${containerName(app)} has SENTRY_ENVIRONMENT ${environment === undefined ? "unset" : `"${environment}"`}; this stack's environment is "${stack.environment}".`, app.urn);
      }
    }
  },
});

// ---- 8.4 Prometheus ----

/** What Prometheus must scrape, recognised by job name or target address among the targets it keeps. */
export const REQUIRED_SCRAPE_TIERS: Readonly<Record<string, RegExp>> = {
  app: /django|\bweb\b|gunicorn|\bapp\b/,
  postgres: /postgres/,
  redis: /redis/,
  nginx: /nginx/,
  node: /node/,
};

/** Shorter than this, last week's data is gone when an incident is reviewed. */
const MIN_PROMETHEUS_RETENTION_DAYS = 7;

/** A Prometheus's model, or undefined (reported) when it would not start; undecidable while a file it reads is unknown. */
function runningPrometheus(server: PolicyResource, report: (m: string, urn?: string) => void): PrometheusModel | undefined {
  const model = prometheusModelOf(server);
  if (model.unknownFiles.length > 0) undecidable(`uploads[${model.unknownFiles[0]}].content`);
  if (model.startupError) {
    report(`Prometheus ${containerName(server)} would not start: ${model.startupError}.`, server.urn);
    return undefined;
  }
  return model;
}

const hostOf = (address: string) => address.replace(/^[a-z]+:\/\//, "").replace(/[:/].*$/, "");
/** The port of an Alertmanager target: Prometheus adds 80 (443 for https) to an address without one (notifier's alertmanagerFromGroup). */
const portOf = (address: string) => {
  const explicit = /^(?:[a-z]+:\/\/)?[^:/]+:(\d+)/.exec(address);
  return explicit ? Number(explicit[1]) : /^https:/.test(address) ? 443 : 80;
};

export const prometheusConfigured = stackPolicy({
  name: "prometheus-configured",
  description:
    "A Prometheus container keeps scrape targets for the app, PostgreSQL, Redis, nginx and the host after relabelling, loads at least one rule file " +
    `through its rule_files, sends alerts to an Alertmanager of the stack on the port its API listens on, and keeps at least ${MIN_PROMETHEUS_RETENTION_DAYS} days of data.`,
  severity: "high",
  remediationSteps:
    "Run prom/prometheus with a prometheus.yml whose scrape_configs cover django/web, postgres-exporter, redis-exporter, nginx-exporter and node-exporter " +
    "(no relabel_configs dropping them), rule_files patterns that match the uploaded rule files (relative paths resolve against prometheus.yml's folder), " +
    `alerting.alertmanagers pointing at the Alertmanager container and the port its --web.listen-address binds (9093 by default), and --storage.tsdb.retention.time of at least ${MIN_PROMETHEUS_RETENTION_DAYS}d.`,
  framework: checklistFramework("8.4"),
  validateStack: (args, report) => {
    const servers = containersOf(args.resources, PROMETHEUS_IMAGE);
    if (servers.length === 0) reportMissingService(args.resources, report, "No Prometheus container (image prom/prometheus) is in the stack.");
    // Where each Alertmanager container's API listens: its names on the network and --web.listen-address's port.
    const alertmanagerApis = containersOf(args.resources, ALERTMANAGER_IMAGE).map((c) => ({ hosts: containerHostNames(c.props), port: alertmanagerModelOf(c).listenPort }));
    for (const server of servers) {
      const model = runningPrometheus(server, report);
      if (!model) continue;
      const name = containerName(server);
      const kept = model.jobs.flatMap((j) => j.targets.map((t) => ({ job: j.name, address: t.labels.__address__ ?? "", instance: t.labels.instance ?? "" })));
      const missing = Object.entries(REQUIRED_SCRAPE_TIERS)
        .filter(([, pattern]) => !kept.some((t) => pattern.test(t.job) || pattern.test(t.address) || pattern.test(t.instance)) && !model.jobs.some((j) => j.dynamicDiscovery.length > 0 && pattern.test(j.name)))
        .map(([tier]) => tier);
      if (missing.length > 0) report(`Prometheus in ${name} keeps no scrape target for: ${missing.join(", ")}.`, server.urn);
      for (const p of model.ruleFilePatterns.filter((p) => p.files.length === 0)) report(`Prometheus in ${name}: rule_files entry ${p.pattern} matches no file the container has, so it loads nothing.`, server.urn);
      if (model.alertRules.length === 0) report(`Prometheus in ${name} loads no alerting rule.`, server.urn);
      if (model.alertmanagers.length === 0) report(`Prometheus in ${name} sends alerts to no Alertmanager.`, server.urn);
      else if (!model.alertmanagers.some((a) => alertmanagerApis.some((api) => api.hosts.has(hostOf(a))))) {
        report(`Prometheus in ${name} sends alerts to ${model.alertmanagers.join(", ")}, none of them an Alertmanager container of the stack.`, server.urn);
      } else if (!model.alertmanagers.some((a) => alertmanagerApis.some((api) => api.hosts.has(hostOf(a)) && api.port === portOf(a)))) {
        const ports = [...new Set(alertmanagerApis.map((api) => api.port ?? "none"))].join(", ");
        report(`Prometheus in ${name} sends alerts to ${model.alertmanagers.join(", ")}, but the Alertmanager API listens on port ${ports} (--web.listen-address): no alert arrives.`, server.urn);
      }
      const days = model.retention.seconds === undefined ? undefined : model.retention.seconds / 86400;
      if (days !== undefined && days < MIN_PROMETHEUS_RETENTION_DAYS) {
        report(`Prometheus in ${name} keeps ${days < 1 ? `${model.retention.seconds! / 3600}h` : `${days}d`} of data (--${model.retention.flag ?? "storage.tsdb.retention.time"}); keep at least ${MIN_PROMETHEUS_RETENTION_DAYS}d.`, server.urn);
      }
    }
  },
});

// ---- 8.5 Grafana ----

export const grafanaDashboards = stackPolicy({
  name: "grafana-dashboards",
  description:
    "A Grafana container provisions dashboards through a file provider it reads (<paths.provisioning>/dashboards) whose folder holds dashboard JSON, " +
    "has an admin password that is set and not the default, and anonymous access off, counting grafana.ini and GF_* env overrides.",
  severity: "medium",
  remediationSteps:
    "Upload a dashboard provider to /etc/grafana/provisioning/dashboards/*.yaml (or under GF_PATHS_PROVISIONING) whose options.path holds the dashboard JSON files; " +
    "set GF_SECURITY_ADMIN_PASSWORD__FILE to an uploaded secret file (or a generated GF_SECURITY_ADMIN_PASSWORD) and leave auth.anonymous.enabled false.",
  framework: checklistFramework("8.5"),
  validateStack: (args, report) => {
    const grafanas = containersOf(args.resources, /^grafana\/grafana(-oss|-enterprise)?$/);
    if (grafanas.length === 0) reportMissingService(args.resources, report, "No Grafana container (image grafana/grafana) is in the stack.");
    for (const grafana of grafanas) {
      const name = containerName(grafana);
      const model = grafanaModelOf(grafana);
      const dashboards = model.providers.flatMap((p) => p.dashboards);
      if (dashboards.length === 0) {
        const elsewhere = model.unreadProviderFiles.length > 0 ? ` (${model.unreadProviderFiles.join(", ")} is not under ${model.provisioningDir}/dashboards, where Grafana reads providers)` : "";
        const empty = model.providers.length > 0 ? ` (no dashboard JSON under ${model.providers.map((p) => p.path || "an empty path").join(", ")})` : "";
        report(`Grafana ${name} provisions no dashboard${elsewhere}${empty}.`, grafana.urn);
      }
      const password = model.setting("security", "admin_password");
      if (password.missingFile) report(`Grafana ${name} reads its admin password from ${password.missingFile} (${password.source}), which the container does not have: Grafana refuses to start.`, grafana.urn);
      else if (!password.unreadable && (password.value === undefined || password.value === "" || password.value === "admin")) {
        report(`Grafana ${name} keeps the default admin password (${password.source}).`, grafana.urn);
      }
      const anonymous = model.setting("auth.anonymous", "enabled");
      if ((anonymous.value ?? "false").toLowerCase() === "true") report(`Grafana ${name} allows anonymous access (${anonymous.source}).`, grafana.urn);
    }
  },
});

// ---- 8.6 Alert rules ----

interface RequiredAlert {
  readonly matches: (rule: AlertRule) => boolean;
  /** Longest acceptable `for:`. */
  readonly maxForSeconds: number;
  /** Must reach a paging receiver. */
  readonly pages: boolean;
}

/** `metric op n` in the expression fires when the 0/1 metric is 0 and not when it is 1. */
function firesOnZero(metric: string): (rule: AlertRule) => boolean {
  const re = new RegExp(`\\b${metric}\\b(\\{[^}]*\\})?\\s*(==|!=|>=|<=|>|<)\\s*(-?\\d+(?:\\.\\d+)?)`);
  const holds = (op: string, v: number, n: number) => ({ "==": v === n, "!=": v !== n, ">=": v >= n, "<=": v <= n, ">": v > n, "<": v < n })[op] ?? false;
  return (rule) => {
    const m = re.exec(rule.expr);
    return m !== null && holds(m[2]!, 0, Number(m[3])) && !holds(m[2]!, 1, Number(m[3]));
  };
}

const MINUTE = 60;
/** The alerts the runbook expects, recognised by their expression (names vary between stacks), with how soon they must fire and whether they page. */
export const REQUIRED_ALERTS: Readonly<Record<string, RequiredAlert>> = {
  "target down": { matches: firesOnZero("up"), maxForSeconds: 15 * MINUTE, pages: false },
  "HTTP 5xx ratio": { matches: (r) => /5\.\.|5xx|status(_code)?=~?"5/.test(r.expr), maxForSeconds: 15 * MINUTE, pages: true },
  latency: { matches: (r) => /histogram_quantile|latency|duration/.test(r.expr), maxForSeconds: 60 * MINUTE, pages: false },
  "PostgreSQL down": { matches: firesOnZero("pg_up"), maxForSeconds: 15 * MINUTE, pages: true },
  "PostgreSQL connections": { matches: (r) => /numbackends|pg_stat_activity_count|max_connections/.test(r.expr), maxForSeconds: 60 * MINUTE, pages: false },
  "WAL archiving": { matches: (r) => /pg_stat_archiver/.test(r.expr), maxForSeconds: 60 * MINUTE, pages: true },
  "Redis memory": { matches: (r) => /redis_memory_used_bytes/.test(r.expr), maxForSeconds: 60 * MINUTE, pages: false },
  "backup older than 26h": { matches: (r) => /backup/i.test(r.expr) && backupThresholdWithin26h(r.expr), maxForSeconds: 60 * MINUTE, pages: true },
  "disk space": { matches: (r) => /node_filesystem_(avail|free)_bytes/.test(r.expr), maxForSeconds: 60 * MINUTE, pages: true },
  "certificate expiry": { matches: (r) => /ssl_earliest_cert_expiry|cert_not_after|x509_cert_expir/.test(r.expr), maxForSeconds: 60 * MINUTE, pages: false },
  "Celery backlog": { matches: (r) => /celery_queue_length|celery_.*(queue|backlog)|flower_.*queue/.test(r.expr), maxForSeconds: 60 * MINUTE, pages: false },
};

/** Rules are evaluated at least this often, or `for:` means nothing. */
const MAX_EVALUATION_SECONDS = 5 * MINUTE;

function backupThresholdWithin26h(expr: string): boolean {
  const seconds = [...expr.matchAll(/>\s*(\d+(?:\.\d+)?)\b(?!\s*[smhd])/g)].map((m) => Number(m[1]));
  const durations = [...expr.matchAll(/\b(\d+)h\b/g)].map((m) => Number(m[1]) * 3600);
  return [...seconds, ...durations].some((s) => s >= 3600 && s <= 26 * 3600);
}

const PAGING_PROBE: Labels = { alertname: "PagingProbe", severity: "critical" };

/** Longest a paging route may hold a new alert group's first notification (group_wait; dispatch.go's aggregation group waits that long before it first flushes). */
const MAX_PAGE_GROUP_WAIT_SECONDS = 5 * MINUTE;

const minutes = (seconds: number) => (seconds % MINUTE === 0 ? `${seconds / MINUTE}m` : `${seconds}s`);

/**
 * Why an alert with these labels does not page promptly at any hour in one Alertmanager, undefined when
 * one paging route it reaches does: a route whose time intervals silence it (some of the time) or whose
 * group_wait (its own or inherited) holds the first notification too long does not count.
 */
function pagingProblem(am: AlertmanagerModel, labels: Labels): string | undefined {
  const paging = am.routesFor(labels).filter((route) => (am.receivers.get(route.receiver)?.integrations ?? []).some((i) => PAGING_INTEGRATIONS.has(i)));
  if (paging.length === 0) return "reaches no paging receiver";
  const problems = paging.map((route) => {
    const silent = silentWhen(route, am.timeIntervals);
    if (silent !== undefined) return `pages through ${route.path} (receiver ${route.receiver}), which is silent ${silent}`;
    if (route.groupWaitSeconds > MAX_PAGE_GROUP_WAIT_SECONDS) {
      return `pages through ${route.path} (receiver ${route.receiver}) only after group_wait ${minutes(route.groupWaitSeconds)}; at most ${minutes(MAX_PAGE_GROUP_WAIT_SECONDS)}`;
    }
    return undefined;
  });
  return problems.some((p) => p === undefined) ? undefined : problems[0];
}

/** An inhibit rule that lets a non-critical alert of the loaded rules mute `target`. */
function mutedBy(am: AlertmanagerModel, target: Labels, sources: readonly Labels[]): number | undefined {
  return am.inhibitRules.find((rule) => sources.some((s) => s.severity !== "critical" && s.alertname !== target.alertname && inhibits({ ...rule, equal: rule.equal.filter((l) => l in s && l in target) }, s, target)))?.index;
}

export const alertRulesPresent = stackPolicy({
  name: "alert-rules-present",
  description:
    "Prometheus loads alerts for target down, 5xx ratio, latency, PostgreSQL down and connections, WAL archiving, Redis memory, backups older than 26 hours, " +
    "disk space, certificate expiry and Celery backlog that can fire and fire in time; the paging ones (5xx, PostgreSQL down, WAL, backups, disk) reach a " +
    "paging receiver through every Alertmanager's route tree at any hour (no active/mute time intervals silencing the paging route) within " +
    `a group_wait of at most ${MAX_PAGE_GROUP_WAIT_SECONDS / MINUTE}m, and no inhibit rule lets a warning mute them.`,
  severity: "high",
  remediationSteps:
    "Upload a rules file that rule_files loads, with those alerts (see components/monitoring/alert-rules.ts): `for:` at most 15m for down and 5xx alerts and 1h for the others, " +
    `groups evaluated at least every ${MAX_EVALUATION_SECONDS / MINUTE}m, down alerts on \`up == 0\`/\`pg_up == 0\`, severity="critical" on the paging ones; in alertmanager.yml route ` +
    'severity="critical" (before any catch-all route) to a receiver with pagerduty_configs, opsgenie_configs, slack_configs or a webhook, without active_time_intervals or ' +
    `mute_time_intervals on that route and with group_wait (its own or inherited from the root) of at most ${MAX_PAGE_GROUP_WAIT_SECONDS / MINUTE}m, and inhibit only warnings by criticals.`,
  framework: checklistFramework("8.6"),
  validateStack: (args, report) => {
    const prometheuses = containersOf(args.resources, PROMETHEUS_IMAGE).flatMap((server) => {
      const model = prometheusModelOf(server);
      if (model.unknownFiles.length > 0) undecidable(`uploads[${model.unknownFiles[0]}].content`);
      return model.startupError ? [] : [model];
    });
    const alertmanagers = containersOf(args.resources, ALERTMANAGER_IMAGE);
    if (alertmanagers.length === 0) reportMissingService(args.resources, report, "No Alertmanager container (image prom/alertmanager) is in the stack.");
    const ams = alertmanagers.flatMap((am) => {
      const model = alertmanagerModelOf(am);
      if (model.unknown) undecidable(`uploads[${model.configFile}].content`);
      if (model.startupError) {
        report(`Alertmanager ${containerName(am)} would not start: ${model.startupError}.`, am.urn);
        return [];
      }
      const probe = pagingProblem(model, PAGING_PROBE);
      if (probe !== undefined) report(`Alertmanager ${containerName(am)} does not page severity="critical" alerts promptly at any hour: a critical alert ${probe}.`, am.urn);
      for (const ref of model.missingFiles) {
        report(`Alertmanager ${containerName(am)} reads ${ref.key} from ${ref.path}, which the container does not have: those notifications fail when sent.`, am.urn);
      }
      return [{ am, model }];
    });
    const rules = prometheuses.flatMap((p) => p.alertRules.map((rule) => ({ rule, prometheus: p })));
    const sent = (p: PrometheusModel, rule: AlertRule) => p.alertLabels({ alertname: rule.name, ...rule.labels });
    const sources: Labels[] = rules.flatMap(({ rule, prometheus }) => {
      const labels = sent(prometheus, rule);
      return labels ? [labels] : [];
    });
    const problems: string[] = [];
    for (const [kind, required] of Object.entries(REQUIRED_ALERTS)) {
      const candidates = rules.filter(({ rule }) => required.matches(rule));
      if (candidates.length === 0) {
        problems.push(`no alert rule for ${kind}`);
        continue;
      }
      const timely = candidates.filter(({ rule }) => rule.forSeconds <= required.maxForSeconds && rule.evaluationSeconds <= MAX_EVALUATION_SECONDS);
      if (timely.length === 0) {
        const r = candidates[0]!.rule;
        problems.push(`${kind} (${r.name}) waits for: ${r.forSeconds / MINUTE}m evaluated every ${r.evaluationSeconds / MINUTE}m; at most ${required.maxForSeconds / MINUTE}m and ${MAX_EVALUATION_SECONDS / MINUTE}m`);
        continue;
      }
      if (!required.pages) continue;
      const paging = timely.filter(({ rule, prometheus }) => {
        const labels = sent(prometheus, rule);
        return labels !== undefined && ams.every(({ model }) => pagingProblem(model, labels) === undefined && mutedBy(model, labels, sources) === undefined);
      });
      if (paging.length === 0) {
        const { rule, prometheus } = timely[0]!;
        const labels = sent(prometheus, rule);
        const muted = labels && ams.map(({ model }) => mutedBy(model, labels, sources)).find((i) => i !== undefined);
        problems.push(labels === undefined
          ? `${kind} (${rule.name}) is dropped by alert_relabel_configs`
          : muted !== undefined
            ? `${kind} (${rule.name}) can be muted by a warning through inhibit_rules[${muted}]`
            : `${kind} (${rule.name}, severity="${labels.severity ?? ""}") ${ams.map(({ model }) => pagingProblem(model, labels)).find((p) => p !== undefined) ?? "reaches no paging receiver"}`);
      }
    }
    if (problems.length > 0) report(`Alerting falls short: ${problems.join("; ")}.`);
  },
});

// ---- 8.7 Logs ----

/** Shorter than this, logs of last week's incident are gone when it is reviewed. */
const MIN_LOG_RETENTION_DAYS = 7;

/** What Docker knows of a container for promtail's discovery. */
function dockerFacts(c: PolicyResource) {
  const labels = Object.fromEntries(asArray(known(() => c.props.labels) === UNKNOWN ? [] : c.props.labels).map((l) => {
    const label = asRecord(l) ?? {};
    return [asString(label.label) ?? "", asString(label.value) ?? ""];
  }));
  const logDriver = known(() => c.props.logDriver);
  return { name: containerName(c), labels, ...(typeof logDriver === "string" ? { logDriver } : {}) };
}

export const logAggregation = stackPolicy({
  name: "log-aggregation",
  description:
    `Loki runs with retention in force (compactor retention enabled, at least ${MIN_LOG_RETENTION_DAYS} days for every stream, retention_stream entries included), and promtail ships the logs of every ` +
    "long-running container of the stack to it (on the scheme and port Loki listens on; discovered, kept by its relabelling, and not on the `none` log driver).",
  severity: "medium",
  remediationSteps:
    `Run grafana/loki with limits_config.retention_period (and every retention_stream period) of at least ${MIN_LOG_RETENTION_DAYS * 24}h, compactor.retention_enabled: true and delete_request_store ` +
    "(no -compactor.retention-enabled=false on the command line), and grafana/promtail with docker_sd_configs and no relabel_configs dropping services, " +
    "its client URL <scheme>://<loki container>:<port>/loki/api/v1/push with the scheme and port Loki's server block serves (http on 3100 by default); keep every service on the json-file log driver.",
  framework: checklistFramework("8.7"),
  validateStack: (args, report) => {
    const lokis = containersOf(args.resources, /^grafana\/loki$/);
    if (lokis.length === 0) reportMissingService(args.resources, report, "No Loki container (image grafana/loki) is in the stack.");
    for (const loki of lokis) {
      const model = lokiModelOf(loki);
      const name = containerName(loki);
      if (model.startupError) report(`Loki ${name} would not start: ${model.startupError}.`, loki.urn);
      else if (model.noRetentionBecause) report(`Loki ${name} keeps logs forever: ${model.noRetentionBecause}.`, loki.urn);
      else if (model.retentionSeconds! < MIN_LOG_RETENTION_DAYS * 86400) {
        report(`Loki ${name} keeps logs ${model.retentionSeconds! / 3600}h; keep at least ${MIN_LOG_RETENTION_DAYS * 24}h.`, loki.urn);
      } else if (model.shortestStream && model.shortestStream.seconds < MIN_LOG_RETENTION_DAYS * 86400) {
        report(`Loki ${name} keeps the logs of streams matching ${model.shortestStream.selector} only ${model.shortestStream.seconds / 3600}h (limits_config.retention_stream); keep every stream at least ${MIN_LOG_RETENTION_DAYS * 24}h.`, loki.urn);
      }
    }
    // Each Loki's names on the network and where its HTTP API listens (scheme and port).
    const lokiApis = lokis.map((l) => ({ hosts: containerHostNames(l.props), http: lokiModelOf(l).http }));
    const reachesLoki = (url: string) => {
      const match = /^(https?):\/\/([^/:]+)(?::(\d+))?\/loki\/api\/v1\/push$/.exec(url);
      if (!match) return false;
      const port = match[3] ? Number(match[3]) : match[1] === "https" ? 443 : 80;
      return lokiApis.some((api) => api.hosts.has(match[2]!) && api.http !== undefined && api.http.port === port && api.http.tls === (match[1] === "https"));
    };
    const lokiListens = [...new Set(lokiApis.flatMap((api) => (api.http ? [`${api.http.tls ? "https" : "http"} on port ${api.http.port}`] : [])))].join(", ");
    const shippers = containersOf(args.resources, /^grafana\/promtail$/).flatMap((p) => {
      const model = promtailModelOf(p);
      if (model.startupError) {
        report(`promtail ${containerName(p)} would not start: ${model.startupError}.`, p.urn);
        return [];
      }
      const toLoki = model.pushUrls.some(reachesLoki);
      if (!toLoki) report(`promtail ${containerName(p)} pushes to ${model.pushUrls.join(", ") || "nothing"}, no Loki container's /loki/api/v1/push${lokiListens ? ` (Loki serves ${lokiListens})` : ""}.`, p.urn);
      return toLoki ? [model] : [];
    });
    if (shippers.length === 0) {
      reportMissingService(args.resources, report, "No log shipper (promtail) pushes to a Loki container's /loki/api/v1/push.");
      return;
    }
    const services = containers(args.resources).filter((c) => known(() => isOneShot(c.props)) !== true);
    const unshipped = services.filter((c) => !shippers.some((s) => s.shipperOf(dockerFacts(c)) !== undefined)).map(containerName);
    if (unshipped.length > 0) report(`The logs of ${unshipped.join(", ")} reach no Loki: no promtail job discovers and keeps ${unshipped.length === 1 ? "it" : "them"}, or the log driver is none.`);
  },
});

export const section08Policies: readonly ChecklistPolicy[] = [sentryConfigured, prometheusConfigured, grafanaDashboards, alertRulesPresent, logAggregation];

// Prometheus alert rules for jewelry-shop. Metric names follow the exporters as published:
// - django-prometheus: django_http_responses_total_by_status_total{status},
//   django_http_requests_latency_seconds_by_view_method_bucket{view,method,le}. HighLatency uses this
//   histogram (real traffic, every view) rather than blackbox probe_duration_seconds, a single gauge
//   of one URL from which no percentile can be taken. nginx stub_status has no status codes, so the
//   5xx ratio is Django's.
// - postgres_exporter: pg_up, pg_stat_database_numbackends, pg_settings_max_connections and the
//   stat_archiver collector's pg_stat_archiver_failed_count (counter) and
//   pg_stat_archiver_last_archive_age (seconds since the last archived segment).
// - redis_exporter: redis_memory_used_bytes, redis_memory_max_bytes (0 when maxmemory is unset).
// - celery-exporter (danihodovic): celery_queue_length{queue_name}.
// - blackbox_exporter: probe_success, probe_ssl_earliest_cert_expiry.
// - node-exporter textfile collector, written by the backup jobs:
//   jewelry_backup_last_success_timestamp_seconds{repo}, jewelry_restore_drill_success,
//   jewelry_restore_drill_last_success_timestamp_seconds.
// Annotations use only {{ $labels.* }} so that promtool unit tests can state them exactly.
import { toYamlText } from "./yaml-text";

export type Severity = "critical" | "warning";

/** Every alert the rules define; a policy checks that these exist. */
export const ALERT_NAMES = [
  "TargetDown",
  "SiteDown",
  "HighHttp5xxRatio",
  "HighLatency",
  "PostgresDown",
  "PostgresNearMaxConnections",
  "WalArchivingFailing",
  "RedisMemoryNearMax",
  "NoSuccessfulBackup26h",
  "DiskFilling",
  "CertificateExpiringSoon",
  "CeleryQueueBacklog",
  "RestoreDrillFailing",
] as const;
export type AlertName = (typeof ALERT_NAMES)[number];

export interface AlertThresholds {
  /** Share of Django responses that are 5xx. */
  http5xxRatio: number;
  /** Requests per second below which ratio and latency alerts stay quiet (one bad request at night is not an incident). */
  minRequestsPerSecond: number;
  /** p95 Django view latency, seconds. */
  latencyP95Seconds: number;
  /** Backends / max_connections. */
  postgresConnectionRatio: number;
  /** Seconds since the last archived WAL segment; assumes archive_timeout well below it. */
  walArchiveMaxAgeSeconds: number;
  /** used_memory / maxmemory. */
  redisMemoryRatio: number;
  /** Age of the newest successful backup per repository. */
  backupMaxAgeHours: number;
  /** Free share of a filesystem under which DiskFilling pages. */
  diskFreeRatio: number;
  /** Horizon for the "will be full" DiskFilling warning. */
  diskFullPredictionHours: number;
  /** Days of certificate validity left. */
  certificateMinDays: number;
  /** Tasks waiting in one Celery queue. */
  celeryQueueLength: number;
  /** Minutes the queue must stay above celeryQueueLength. */
  celeryBacklogMinutes: number;
  /** Days since the last successful restore drill (weekly drill plus a day of slack). */
  restoreDrillMaxAgeDays: number;
}

export const DEFAULT_ALERT_THRESHOLDS: Readonly<AlertThresholds> = {
  http5xxRatio: 0.05,
  minRequestsPerSecond: 0.1,
  latencyP95Seconds: 1.5,
  postgresConnectionRatio: 0.8,
  walArchiveMaxAgeSeconds: 3600,
  redisMemoryRatio: 0.9,
  backupMaxAgeHours: 26,
  diskFreeRatio: 0.1,
  diskFullPredictionHours: 24,
  certificateMinDays: 14,
  celeryQueueLength: 100,
  celeryBacklogMinutes: 15,
  restoreDrillMaxAgeDays: 8,
};

/** pgBackRest repositories the backup job labels its metrics with (repo1 local, repo2 B2). */
export const DEFAULT_BACKUP_REPOS: readonly string[] = ["repo1", "repo2"];

export interface AlertRulesArgs {
  thresholds?: Partial<AlertThresholds>;
  /** Each repository must report a recent success; a missing one alerts through absent(). */
  backupRepos?: readonly string[];
}

export interface AlertRule {
  group: string;
  alert: AlertName;
  expr: string;
  for: string;
  severity: Severity;
  summary: string;
  description: string;
}

// Real filesystems only: tmpfs/overlay figures are per-container noise.
const REAL_FILESYSTEMS = 'fstype!~"tmpfs|overlay|squashfs|ramfs|nsfs|fuse.lxcfs"';
const DJANGO_RESPONSES = "django_http_responses_total_by_status_total";
const DJANGO_LATENCY_BUCKETS = "django_http_requests_latency_seconds_by_view_method_bucket";

function percent(ratio: number): string {
  return `${Math.round(ratio * 1000) / 10}%`;
}

/** Thresholds with defaults applied; rejects values that would make an alert meaningless. */
export function resolveThresholds(overrides: Partial<AlertThresholds> = {}): AlertThresholds {
  const thresholds = { ...DEFAULT_ALERT_THRESHOLDS, ...overrides };
  for (const key of ["http5xxRatio", "postgresConnectionRatio", "redisMemoryRatio", "diskFreeRatio"] as const) {
    const value = thresholds[key];
    if (!(value > 0 && value < 1)) throw new Error(`thresholds.${key} must be a ratio between 0 and 1, got ${value}`);
  }
  for (const [key, value] of Object.entries(thresholds)) {
    if (!(Number.isFinite(value) && value >= 0)) throw new Error(`thresholds.${key} must be a non-negative number, got ${value}`);
  }
  return thresholds;
}

/** The alert rules as data: the renderer, the unit tests and promtool tests all read this. */
export function alertRules(args: AlertRulesArgs = {}): AlertRule[] {
  const t = resolveThresholds(args.thresholds);
  const repos = args.backupRepos ?? DEFAULT_BACKUP_REPOS;
  if (repos.length === 0) throw new Error("backupRepos must name at least one repository");
  const badRepo = repos.find((repo) => !/^[A-Za-z0-9_.-]+$/.test(repo));
  if (badRepo !== undefined) throw new Error(`backupRepos entry "${badRepo}" must be letters, digits, "_", "." or "-"`);
  const requestRate = `sum by (job) (rate(${DJANGO_RESPONSES}[5m]))`;
  const busyEnough = `on (job) ${requestRate} > ${t.minRequestsPerSecond}`;

  return [
    {
      group: "availability", alert: "TargetDown", severity: "warning", for: "5m",
      expr: "up == 0",
      summary: "Scrape target {{ $labels.instance }} is down",
      description: "Prometheus has not reached {{ $labels.job }} at {{ $labels.instance }} for 5 minutes.",
    },
    {
      group: "availability", alert: "SiteDown", severity: "critical", for: "2m",
      expr: "probe_success == 0",
      summary: "{{ $labels.instance }} is not answering",
      description: "The blackbox probe of {{ $labels.instance }} has failed for 2 minutes (HTTP error, timeout or invalid TLS).",
    },
    {
      group: "application", alert: "HighHttp5xxRatio", severity: "critical", for: "5m",
      expr: `sum by (job) (rate(${DJANGO_RESPONSES}{status=~"5.."}[5m])) / ${requestRate} > ${t.http5xxRatio} and ${busyEnough}`,
      summary: `More than ${percent(t.http5xxRatio)} of {{ $labels.job }} responses are 5xx`,
      description: `Django has answered more than ${percent(t.http5xxRatio)} of requests with a 5xx status for 5 minutes.`,
    },
    {
      group: "application", alert: "HighLatency", severity: "warning", for: "10m",
      expr: `histogram_quantile(0.95, sum by (job, le) (rate(${DJANGO_LATENCY_BUCKETS}[5m]))) > ${t.latencyP95Seconds} and ${busyEnough}`,
      summary: `p95 latency of {{ $labels.job }} is above ${t.latencyP95Seconds}s`,
      description: `The 95th percentile of Django view latency has been above ${t.latencyP95Seconds}s for 10 minutes.`,
    },
    {
      group: "postgres", alert: "PostgresDown", severity: "critical", for: "1m",
      expr: "pg_up == 0",
      summary: "PostgreSQL is down",
      description: "postgres-exporter at {{ $labels.instance }} cannot connect to PostgreSQL.",
    },
    {
      group: "postgres", alert: "PostgresNearMaxConnections", severity: "warning", for: "5m",
      expr: `sum by (job, instance) (pg_stat_database_numbackends) / on (job, instance) max by (job, instance) (pg_settings_max_connections) > ${t.postgresConnectionRatio}`,
      summary: "PostgreSQL is near max_connections",
      description: `More than ${percent(t.postgresConnectionRatio)} of max_connections on {{ $labels.instance }} are in use; check PgBouncer pool sizes.`,
    },
    {
      group: "postgres", alert: "WalArchivingFailing", severity: "critical", for: "15m",
      expr: `increase(pg_stat_archiver_failed_count[10m]) > 0 or pg_stat_archiver_last_archive_age > ${t.walArchiveMaxAgeSeconds}`,
      summary: "WAL archiving is failing on {{ $labels.instance }}",
      description: `archive_command keeps failing or no WAL segment was archived for ${t.walArchiveMaxAgeSeconds}s: point-in-time recovery is at risk and pg_wal grows.`,
    },
    {
      group: "redis", alert: "RedisMemoryNearMax", severity: "warning", for: "10m",
      expr: `redis_memory_used_bytes / (redis_memory_max_bytes > 0) > ${t.redisMemoryRatio}`,
      summary: "Redis {{ $labels.instance }} is near maxmemory",
      description: `Redis uses more than ${percent(t.redisMemoryRatio)} of maxmemory; with noeviction, writes (Celery tasks) will soon fail.`,
    },
    {
      group: "backups", alert: "NoSuccessfulBackup26h", severity: "critical", for: "30m",
      expr: [
        `time() - max by (repo) (jewelry_backup_last_success_timestamp_seconds) > ${t.backupMaxAgeHours * 3600}`,
        ...repos.map((repo) => `absent(jewelry_backup_last_success_timestamp_seconds{repo="${repo}"})`),
      ].join(" or "),
      summary: "No successful backup to {{ $labels.repo }}",
      description: `The newest successful backup to {{ $labels.repo }} is older than ${t.backupMaxAgeHours}h, or the backup job has never reported one.`,
    },
    {
      group: "host", alert: "DiskFilling", severity: "warning", for: "1h",
      expr: `predict_linear(node_filesystem_avail_bytes{${REAL_FILESYSTEMS}}[6h], ${t.diskFullPredictionHours * 3600}) < 0 and node_filesystem_readonly == 0`,
      summary: `{{ $labels.mountpoint }} will be full within ${t.diskFullPredictionHours}h`,
      description: `At the rate of the last 6h, {{ $labels.mountpoint }} on {{ $labels.instance }} fills up within ${t.diskFullPredictionHours}h.`,
    },
    {
      group: "host", alert: "DiskFilling", severity: "critical", for: "10m",
      expr: `node_filesystem_avail_bytes{${REAL_FILESYSTEMS}} / node_filesystem_size_bytes < ${t.diskFreeRatio} and node_filesystem_readonly == 0`,
      summary: `{{ $labels.mountpoint }} has less than ${percent(t.diskFreeRatio)} free`,
      description: `{{ $labels.mountpoint }} on {{ $labels.instance }} has less than ${percent(t.diskFreeRatio)} space left; PostgreSQL stops when it is full.`,
    },
    {
      group: "tls", alert: "CertificateExpiringSoon", severity: "warning", for: "1h",
      expr: `probe_ssl_earliest_cert_expiry - time() < ${t.certificateMinDays * 86400}`,
      summary: "TLS certificate of {{ $labels.instance }} expires soon",
      description: `The certificate served at {{ $labels.instance }} expires in less than ${t.certificateMinDays} days: automatic renewal is not working.`,
    },
    {
      group: "celery", alert: "CeleryQueueBacklog", severity: "warning", for: `${t.celeryBacklogMinutes}m`,
      expr: `sum by (queue_name) (celery_queue_length) > ${t.celeryQueueLength}`,
      summary: "Celery queue {{ $labels.queue_name }} is backing up",
      description: `More than ${t.celeryQueueLength} tasks have waited in {{ $labels.queue_name }} for ${t.celeryBacklogMinutes} minutes: workers are down or too few.`,
    },
    {
      group: "backups", alert: "RestoreDrillFailing", severity: "warning", for: "1h",
      expr: [
        "min(jewelry_restore_drill_success) == 0",
        `time() - max(jewelry_restore_drill_last_success_timestamp_seconds) > ${t.restoreDrillMaxAgeDays * 86400}`,
        "absent(jewelry_restore_drill_last_success_timestamp_seconds)",
      ].join(" or "),
      summary: "Restore drill is failing",
      description: `The last restore drill failed, or none succeeded in ${t.restoreDrillMaxAgeDays} days: backups are not proven restorable.`,
    },
  ];
}

/** The Prometheus rule file (YAML), one group per concern. */
export function renderAlertRules(args: AlertRulesArgs = {}): string {
  const groups = new Map<string, object[]>();
  for (const rule of alertRules(args)) {
    const rules = groups.get(rule.group) ?? [];
    rules.push({
      alert: rule.alert,
      expr: rule.expr,
      for: rule.for,
      labels: { severity: rule.severity },
      annotations: { summary: rule.summary, description: rule.description },
    });
    groups.set(rule.group, rules);
  }
  return toYamlText({
    groups: [...groups].map(([name, rules]) => ({ name: `jewelry-shop-${name}`, rules })),
  });
}

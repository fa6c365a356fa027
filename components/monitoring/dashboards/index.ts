// The jewelry-shop Grafana dashboards: app, PostgreSQL, Redis, nginx and host. Small on purpose:
// each panel answers one question an on-call person asks; exprs use the same metrics as the alerts.
import { dashboard, type GrafanaDashboard } from "./panels";

export type { GrafanaDashboard, GrafanaPanel, PanelTarget } from "./panels";

const DJANGO_RESPONSES = "django_http_responses_total_by_status_total";
const DJANGO_LATENCY = "django_http_requests_latency_seconds_by_view_method_bucket";

export function appDashboard(): GrafanaDashboard {
  return dashboard("jewelry-app", "jewelry-shop / Application", [
    { title: "Requests per second by status", unit: "reqps", queries: [[`sum by (status) (rate(${DJANGO_RESPONSES}[5m]))`, "{{status}}"]] },
    {
      title: "5xx ratio",
      unit: "percentunit",
      queries: [[`sum(rate(${DJANGO_RESPONSES}{status=~"5.."}[5m])) / sum(rate(${DJANGO_RESPONSES}[5m]))`, "5xx"]],
    },
    {
      title: "Latency p50 / p95 / p99",
      unit: "s",
      queries: [0.5, 0.95, 0.99].map((q) => [`histogram_quantile(${q}, sum by (le) (rate(${DJANGO_LATENCY}[5m])))`, `p${q * 100}`] as const),
    },
    { title: "Slowest views (p95)", unit: "s", queries: [[`topk(5, histogram_quantile(0.95, sum by (view, le) (rate(${DJANGO_LATENCY}[5m]))))`, "{{view}}"]] },
    { title: "Celery queue length", queries: [["sum by (queue_name) (celery_queue_length)", "{{queue_name}}"]] },
    { title: "Site probe", kind: "stat", queries: [["min(probe_success)", "up"]] },
    { title: "Web logs (errors)", kind: "logs", queries: [['{service="web"} |~ "(?i)error|exception|traceback"', ""]] },
  ]);
}

export function postgresDashboard(): GrafanaDashboard {
  return dashboard("jewelry-postgres", "jewelry-shop / PostgreSQL", [
    { title: "PostgreSQL up", kind: "stat", queries: [["min(pg_up)", "up"]] },
    {
      title: "Connections vs max_connections",
      queries: [
        ["sum(pg_stat_database_numbackends)", "connections"],
        ["max(pg_settings_max_connections)", "max_connections"],
      ],
    },
    { title: "Transactions per second", unit: "ops", queries: [["sum by (datname) (rate(pg_stat_database_xact_commit[5m]) + rate(pg_stat_database_xact_rollback[5m]))", "{{datname}}"]] },
    {
      title: "WAL archiving",
      queries: [
        ["increase(pg_stat_archiver_archived_count[1h])", "archived / h"],
        ["increase(pg_stat_archiver_failed_count[1h])", "failed / h"],
      ],
    },
    { title: "Seconds since last archived WAL", unit: "s", queries: [["pg_stat_archiver_last_archive_age", "age"]] },
    { title: "PgBouncer waiting clients", queries: [["sum by (database) (pgbouncer_pools_client_waiting_connections)", "{{database}}"]] },
  ]);
}

export function redisDashboard(): GrafanaDashboard {
  return dashboard("jewelry-redis", "jewelry-shop / Redis", [
    { title: "Redis up", kind: "stat", queries: [["min(redis_up)", "up"]] },
    {
      title: "Memory used vs maxmemory",
      unit: "bytes",
      queries: [
        ["redis_memory_used_bytes", "used"],
        ["redis_memory_max_bytes", "maxmemory"],
      ],
    },
    { title: "Commands per second", unit: "ops", queries: [["rate(redis_commands_processed_total[5m])", "commands"]] },
    { title: "Connected clients", queries: [["redis_connected_clients", "clients"]] },
    { title: "Evicted keys per second", queries: [["rate(redis_evicted_keys_total[5m])", "evicted"]] },
  ]);
}

export function nginxDashboard(): GrafanaDashboard {
  return dashboard("jewelry-nginx", "jewelry-shop / nginx", [
    { title: "Requests per second", unit: "reqps", queries: [["rate(nginx_http_requests_total[5m])", "requests"]] },
    {
      title: "Connections",
      queries: [
        ["nginx_connections_active", "active"],
        ["nginx_connections_reading", "reading"],
        ["nginx_connections_writing", "writing"],
        ["nginx_connections_waiting", "waiting"],
      ],
    },
    { title: "Days until certificate expiry", unit: "d", queries: [["(min(probe_ssl_earliest_cert_expiry) - time()) / 86400", "days"]], kind: "stat" },
    { title: "Probe duration", unit: "s", queries: [["probe_duration_seconds", "{{instance}}"]] },
    { title: "nginx logs (5xx)", kind: "logs", queries: [['{service="nginx"} |~ "\\" 5[0-9]{2} "', ""]] },
  ]);
}

export function hostDashboard(): GrafanaDashboard {
  const realFs = 'fstype!~"tmpfs|overlay|squashfs|ramfs|nsfs|fuse.lxcfs"';
  return dashboard("jewelry-host", "jewelry-shop / Host", [
    { title: "CPU busy", unit: "percentunit", queries: [['1 - avg(rate(node_cpu_seconds_total{mode="idle"}[5m]))', "busy"]] },
    { title: "Memory available", unit: "percentunit", queries: [["node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes", "available"]] },
    { title: "Disk free", unit: "percentunit", queries: [[`node_filesystem_avail_bytes{${realFs}} / node_filesystem_size_bytes{${realFs}}`, "{{mountpoint}}"]] },
    { title: "Load average (1m)", queries: [["node_load1", "load1"]] },
    { title: "Network traffic", unit: "Bps", queries: [['sum(rate(node_network_receive_bytes_total{device!="lo"}[5m]))', "in"], ['sum(rate(node_network_transmit_bytes_total{device!="lo"}[5m]))', "out"]] },
    {
      title: "Hours since last successful backup",
      unit: "h",
      queries: [["(time() - max by (repo) (jewelry_backup_last_success_timestamp_seconds)) / 3600", "{{repo}}"]],
    },
  ]);
}

/** Dashboard JSON objects keyed by the file name they are provisioned under. */
export function jewelryDashboards(): Record<string, GrafanaDashboard> {
  return {
    "app.json": appDashboard(),
    "postgres.json": postgresDashboard(),
    "redis.json": redisDashboard(),
    "nginx.json": nginxDashboard(),
    "host.json": hostDashboard(),
  };
}

/** File name -> JSON text, ready to write into the dashboards folder. */
export function renderDashboardFiles(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(jewelryDashboards()).map(([file, board]) => [file, `${JSON.stringify(board, null, 2)}\n`]),
  );
}

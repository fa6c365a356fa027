// Proves the generated monitoring configuration with the real Debian tools: promtool checks
// prometheus.yml and the rule file, promtool unit tests (generated below from TypeScript cases)
// prove every alert fires after its `for:` under its condition and stays silent otherwise, and
// amtool checks alertmanager.yml and where each severity is routed. No server is started.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALERT_NAMES, alertRules, renderAlertRules, type AlertName, type Severity } from "../../components/monitoring/alert-rules";
import {
  receiversFor,
  renderAlertmanagerConfig,
  type AlertmanagerConfigArgs,
} from "../../components/monitoring/alertmanager-config";
import { DEFAULT_SCRAPE_TARGETS, renderPrometheusConfig } from "../../components/monitoring/prometheus-config";
import { removeDir, workDir } from "./fixtures";

function run(command: string, args: string[], cwd: string): { code: number; output: string } {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", timeout: 30_000 });
  return { code: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

// ---- promtool unit-test cases, written in TypeScript and rendered to YAML ----

interface InputSeries {
  series: string;
  values: string;
}

interface AlertCase {
  /** What the case shows, e.g. "fires after 5m of up == 0". */
  name: string;
  interval?: string;
  series: InputSeries[];
  evalTime: string;
  /** Labels of each alert expected to be firing (without alertname); empty means silent. */
  firing: Array<Record<string, string> & { severity: Severity }>;
}

const REDIS = { job: "redis", instance: "redis-exporter:9121" };
const PG = { job: "postgres", instance: "postgres-exporter:9187" };
const PROBE = { job: "blackbox-https", instance: "https://shop.example.com/health/" };
const NODE = { job: "node", instance: "node-exporter:9100" };
const ROOT_FS = { ...NODE, device: "/dev/sda1", fstype: "ext4", mountpoint: "/" };

function selector(metric: string, labels: Record<string, string>): string {
  return `${metric}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(",")}}`;
}

function djangoTraffic(okPerMinute: number, errorsPerMinute: number): InputSeries[] {
  const labels = { job: "django", instance: "web:8000" };
  return [
    { series: selector("django_http_responses_total_by_status_total", { ...labels, status: "200" }), values: `0+${okPerMinute}x30` },
    { series: selector("django_http_responses_total_by_status_total", { ...labels, status: "500" }), values: `0+${errorsPerMinute}x30` },
  ];
}

/** Cumulative latency buckets: `perBucket[i]` requests per minute land at or under `le[i]`. */
function djangoLatency(perBucket: readonly [number, number, number, number]): InputSeries[] {
  const les = ["0.5", "1", "2.5", "+Inf"];
  return les.map((le, i) => ({
    series: selector("django_http_requests_latency_seconds_by_view_method_bucket", { job: "django", instance: "web:8000", view: "shop:list", method: "GET", le }),
    values: `0+${perBucket[i]}x30`,
  }));
}

function filesystem(labels: Record<string, string>, avail: string, size: number): InputSeries[] {
  return [
    { series: selector("node_filesystem_avail_bytes", labels), values: avail },
    { series: selector("node_filesystem_size_bytes", labels), values: `${size}x40` },
    { series: selector("node_filesystem_readonly", labels), values: "0x40" },
  ];
}

const CASES: Record<AlertName, AlertCase[]> = {
  TargetDown: [
    { name: "fires after 5m of up == 0", series: [{ series: selector("up", REDIS), values: "0x10" }], evalTime: "6m", firing: [{ ...REDIS, severity: "warning" }] },
    { name: "is only pending before 5m", series: [{ series: selector("up", REDIS), values: "0x10" }], evalTime: "3m", firing: [] },
    { name: "is silent while up", series: [{ series: selector("up", REDIS), values: "1x10" }], evalTime: "10m", firing: [] },
  ],
  SiteDown: [
    { name: "fires when the probe fails for 2m", series: [{ series: selector("probe_success", PROBE), values: "0x5" }], evalTime: "3m", firing: [{ ...PROBE, severity: "critical" }] },
    { name: "is silent while the probe succeeds", series: [{ series: selector("probe_success", PROBE), values: "1x5" }], evalTime: "3m", firing: [] },
  ],
  HighHttp5xxRatio: [
    { name: "fires at 1 in 6 responses 5xx", series: djangoTraffic(60, 12), evalTime: "12m", firing: [{ job: "django", severity: "critical" }] },
    { name: "is silent at 1.6% 5xx", series: djangoTraffic(60, 1), evalTime: "12m", firing: [] },
    { name: "is silent at a high ratio on negligible traffic", series: djangoTraffic(1, 1), evalTime: "12m", firing: [] },
  ],
  HighLatency: [
    {
      name: "fires when p95 sits between 1s and 2.5s",
      series: [...djangoTraffic(60, 0), ...djangoLatency([0, 0, 60, 60])],
      evalTime: "16m",
      firing: [{ job: "django", severity: "warning" }],
    },
    { name: "is silent when requests finish under 0.5s", series: [...djangoTraffic(60, 0), ...djangoLatency([60, 60, 60, 60])], evalTime: "16m", firing: [] },
  ],
  PostgresDown: [
    { name: "fires when pg_up is 0 for 1m", series: [{ series: selector("pg_up", PG), values: "0x5" }], evalTime: "2m", firing: [{ ...PG, severity: "critical" }] },
    { name: "is silent while pg_up is 1", series: [{ series: selector("pg_up", PG), values: "1x5" }], evalTime: "2m", firing: [] },
  ],
  PostgresNearMaxConnections: [
    {
      name: "fires at 92 of 100 connections",
      series: [
        { series: selector("pg_stat_database_numbackends", { ...PG, datid: "16384", datname: "jewelry" }), values: "90x10" },
        { series: selector("pg_stat_database_numbackends", { ...PG, datid: "5", datname: "postgres" }), values: "2x10" },
        { series: selector("pg_settings_max_connections", { ...PG, server: "postgres:5432" }), values: "100x10" },
      ],
      evalTime: "6m",
      firing: [{ ...PG, severity: "warning" }],
    },
    {
      name: "is silent at 40 of 100 connections",
      series: [
        { series: selector("pg_stat_database_numbackends", { ...PG, datid: "16384", datname: "jewelry" }), values: "40x10" },
        { series: selector("pg_settings_max_connections", { ...PG, server: "postgres:5432" }), values: "100x10" },
      ],
      evalTime: "6m",
      firing: [],
    },
  ],
  WalArchivingFailing: [
    {
      name: "fires when archive_command keeps failing",
      series: [
        { series: selector("pg_stat_archiver_failed_count", PG), values: "0+1x40" },
        { series: selector("pg_stat_archiver_last_archive_age", PG), values: "60+60x40" },
      ],
      evalTime: "30m",
      firing: [{ ...PG, severity: "critical" }],
    },
    {
      name: "fires when nothing was archived for over an hour",
      series: [
        { series: selector("pg_stat_archiver_failed_count", PG), values: "0x40" },
        { series: selector("pg_stat_archiver_last_archive_age", PG), values: "4000x40" },
      ],
      evalTime: "20m",
      firing: [{ ...PG, severity: "critical" }],
    },
    {
      name: "is silent when archiving succeeds",
      series: [
        { series: selector("pg_stat_archiver_failed_count", PG), values: "3x40" },
        { series: selector("pg_stat_archiver_last_archive_age", PG), values: "120x40" },
      ],
      evalTime: "30m",
      firing: [],
    },
  ],
  RedisMemoryNearMax: [
    {
      name: "fires at 95% of maxmemory",
      series: [
        { series: selector("redis_memory_used_bytes", REDIS), values: "950x20" },
        { series: selector("redis_memory_max_bytes", REDIS), values: "1000x20" },
      ],
      evalTime: "11m",
      firing: [{ ...REDIS, severity: "warning" }],
    },
    {
      name: "is silent at half of maxmemory",
      series: [
        { series: selector("redis_memory_used_bytes", REDIS), values: "500x20" },
        { series: selector("redis_memory_max_bytes", REDIS), values: "1000x20" },
      ],
      evalTime: "11m",
      firing: [],
    },
    {
      name: "is silent when maxmemory is unset (0)",
      series: [
        { series: selector("redis_memory_used_bytes", REDIS), values: "950x20" },
        { series: selector("redis_memory_max_bytes", REDIS), values: "0x20" },
      ],
      evalTime: "11m",
      firing: [],
    },
  ],
  NoSuccessfulBackup26h: [
    {
      name: "fires for every repository whose last success is older than 26h",
      interval: "30m",
      series: ["repo1", "repo2"].map((repo) => ({ series: selector("jewelry_backup_last_success_timestamp_seconds", { ...NODE, repo }), values: "0x60" })),
      evalTime: "28h",
      firing: [{ repo: "repo1", severity: "critical" }, { repo: "repo2", severity: "critical" }],
    },
    {
      name: "fires for a repository that never reported",
      interval: "10m",
      series: [{ series: selector("jewelry_backup_last_success_timestamp_seconds", { ...NODE, repo: "repo1" }), values: "0+600x20" }],
      evalTime: "1h",
      firing: [{ repo: "repo2", severity: "critical" }],
    },
    {
      name: "is silent while both repositories back up",
      interval: "30m",
      series: ["repo1", "repo2"].map((repo) => ({ series: selector("jewelry_backup_last_success_timestamp_seconds", { ...NODE, repo }), values: "0+1800x60" })),
      evalTime: "28h",
      firing: [],
    },
  ],
  DiskFilling: [
    {
      name: "warns when the disk will be full within 24h",
      interval: "15m",
      series: filesystem(ROOT_FS, "800000000000-15000000000x40", 2000000000000),
      evalTime: "7h",
      firing: [{ ...ROOT_FS, severity: "warning" }],
    },
    {
      name: "pages when less than 10% is free",
      interval: "5m",
      series: filesystem(ROOT_FS, "50000000000x40", 1000000000000),
      evalTime: "15m",
      firing: [{ ...ROOT_FS, severity: "critical" }],
    },
    {
      name: "is silent on a steady disk and ignores tmpfs",
      interval: "15m",
      series: [
        ...filesystem(ROOT_FS, "800000000000x40", 2000000000000),
        ...filesystem({ ...NODE, device: "tmpfs", fstype: "tmpfs", mountpoint: "/run" }, "1000x40", 1000000),
      ],
      evalTime: "7h",
      firing: [],
    },
  ],
  CertificateExpiringSoon: [
    {
      name: "fires when the certificate expires in 10 days",
      interval: "10m",
      series: [{ series: selector("probe_ssl_earliest_cert_expiry", PROBE), values: `${10 * 86400}x20` }],
      evalTime: "2h",
      firing: [{ ...PROBE, severity: "warning" }],
    },
    { name: "is silent with 30 days left", interval: "10m", series: [{ series: selector("probe_ssl_earliest_cert_expiry", PROBE), values: `${30 * 86400}x20` }], evalTime: "2h", firing: [] },
  ],
  CeleryQueueBacklog: [
    {
      name: "fires after 15m above 100 tasks",
      series: [{ series: selector("celery_queue_length", { job: "celery", instance: "celery-exporter:9808", queue_name: "default" }), values: "150x30" }],
      evalTime: "20m",
      firing: [{ queue_name: "default", severity: "warning" }],
    },
    {
      name: "is only pending before 15m",
      series: [{ series: selector("celery_queue_length", { job: "celery", instance: "celery-exporter:9808", queue_name: "default" }), values: "150x30" }],
      evalTime: "10m",
      firing: [],
    },
    {
      name: "is silent with a short queue",
      series: [{ series: selector("celery_queue_length", { job: "celery", instance: "celery-exporter:9808", queue_name: "default" }), values: "20x30" }],
      evalTime: "20m",
      firing: [],
    },
  ],
  RestoreDrillFailing: [
    {
      name: "fires when the last drill failed",
      interval: "10m",
      series: [
        { series: selector("jewelry_restore_drill_success", NODE), values: "0x20" },
        { series: selector("jewelry_restore_drill_last_success_timestamp_seconds", NODE), values: "0+600x20" },
      ],
      evalTime: "2h",
      firing: [{ severity: "warning" }],
    },
    {
      name: "fires when no drill succeeded for 8 days",
      interval: "1h",
      series: [
        { series: selector("jewelry_restore_drill_success", NODE), values: "1x240" },
        { series: selector("jewelry_restore_drill_last_success_timestamp_seconds", NODE), values: "0x240" },
      ],
      evalTime: "216h",
      firing: [{ severity: "warning" }],
    },
    {
      name: "fires when no drill ever reported",
      interval: "10m",
      series: [{ series: selector("up", NODE), values: "1x20" }],
      evalTime: "2h",
      firing: [{ severity: "warning" }],
    },
    {
      name: "is silent after a recent successful drill",
      interval: "10m",
      series: [
        { series: selector("jewelry_restore_drill_success", NODE), values: "1x20" },
        { series: selector("jewelry_restore_drill_last_success_timestamp_seconds", NODE), values: "0+600x20" },
      ],
      evalTime: "2h",
      firing: [],
    },
  ],
};

/** The annotations promtool will render: the rule's templates with {{ $labels.x }} filled in. */
function expectedAnnotations(alert: AlertName, labels: Record<string, string> & { severity: Severity }): Record<string, string> {
  const rule = alertRules().find((r) => r.alert === alert && r.severity === labels.severity);
  if (!rule) throw new Error(`no ${labels.severity} rule named ${alert}`);
  const fill = (text: string) => text.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, name: string) => labels[name] ?? "");
  return { summary: fill(rule.summary), description: fill(rule.description) };
}

/**
 * One promtool test file per case: evaluation_interval is per file, and long horizons (8 days)
 * evaluated every minute would take promtool tens of seconds.
 */
function renderRuleTest(ruleFile: string, alert: AlertName, testCase: AlertCase): string {
  const interval = testCase.interval ?? "1m";
  return stringify({
    rule_files: [ruleFile],
    evaluation_interval: interval,
    tests: [
      {
        name: testCase.name,
        interval,
        input_series: testCase.series,
        alert_rule_test: [
          {
            eval_time: testCase.evalTime,
            alertname: alert,
            exp_alerts: testCase.firing.map((labels) => ({ exp_labels: labels, exp_annotations: expectedAnnotations(alert, labels) })),
          },
        ],
      },
    ],
  }, { lineWidth: 0 });
}

// ---- the run ----

let dir: string;

const AM_ARGS: AlertmanagerConfigArgs = {
  smtp: { smarthost: "smtp.example.com:587", from: "alerts@shop.example.com", authUsername: "alerts", authPasswordFile: "" },
  emailTo: ["ops@shop.example.com"],
  paging: { kind: "pagerduty", routingKeyFile: "" },
};

beforeAll(() => {
  dir = workDir("monitoring");
  writeFileSync(join(dir, "rules.yml"), renderAlertRules());
  writeFileSync(
    join(dir, "prometheus.yml"),
    renderPrometheusConfig({
      environment: "production",
      alertmanagerTargets: ["alertmanager:9093"],
      ruleFiles: [join(dir, "rules.yml")],
      scrapeTargets: DEFAULT_SCRAPE_TARGETS,
      blackbox: { exporterAddress: "blackbox-exporter:9115", urls: ["https://shop.example.com/health/"] },
    }),
  );
  // The secret files Alertmanager would read; placeholders, as a mounted secret would be.
  mkdirSync(join(dir, "secrets"));
  for (const name of ["smtp_password", "pagerduty_key", "slack_url"]) writeFileSync(join(dir, "secrets", name), "placeholder\n", { mode: 0o600 });
});

afterAll(() => {
  if (dir) removeDir(dir);
});

describe("prometheus configuration (promtool)", () => {
  it("accepts prometheus.yml and the rule file it names", () => {
    const result = run("promtool", ["check", "config", "prometheus.yml"], dir);
    expect(result.output).toContain("1 rule files found");
    expect(result.code, result.output).toBe(0);
  });

  it("accepts the rule file with every rule", () => {
    const result = run("promtool", ["check", "rules", "rules.yml"], dir);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain(`${alertRules().length} rules found`);
  });

  it.each(ALERT_NAMES.map((alert) => [alert]))("%s fires under its condition after for: and stays silent otherwise", (alert) => {
    const cases = CASES[alert];
    expect(cases.some((c) => c.firing.length > 0), "a case where it fires").toBe(true);
    expect(cases.some((c) => c.firing.length === 0), "a case where it stays silent").toBe(true);
    const files = cases.map((testCase, index) => {
      const file = `test-${alert}-${index}.yml`;
      writeFileSync(join(dir, file), renderRuleTest("rules.yml", alert, testCase));
      return file;
    });
    const result = run("promtool", ["test", "rules", ...files], dir);
    expect(result.code, result.output).toBe(0);
    expect(result.output.match(/SUCCESS/g)).toHaveLength(files.length);
  });

  it("reports a wrong expectation, so the alert tests can fail", () => {
    const wrong = stringify({
      rule_files: ["rules.yml"],
      tests: [{ interval: "1m", input_series: [{ series: selector("up", REDIS), values: "1x10" }], alert_rule_test: [{ eval_time: "10m", alertname: "TargetDown", exp_alerts: [{ exp_labels: { ...REDIS, severity: "warning" } }] }] }],
    });
    writeFileSync(join(dir, "test-wrong.yml"), wrong);
    const result = run("promtool", ["test", "rules", "test-wrong.yml"], dir);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain("FAILED");
  });
});

describe("alertmanager configuration (amtool)", () => {
  function writeConfig(name: string, args: AlertmanagerConfigArgs): string {
    const path = join(dir, name);
    writeFileSync(path, renderAlertmanagerConfig(args));
    return path;
  }

  const variants: Array<[string, AlertmanagerConfigArgs]> = [
    ["PagerDuty paging", AM_ARGS],
    ["Slack paging and Slack warnings", {
      ...AM_ARGS,
      paging: { kind: "slack", apiUrlFile: "", channel: "#oncall" },
      warningSlack: { apiUrlFile: "", channel: "#alerts" },
    }],
  ];

  it.each(variants)("accepts the config with %s and secrets read from files", (label, variant) => {
    const secrets = join(dir, "secrets");
    const args: AlertmanagerConfigArgs = {
      ...variant,
      smtp: { ...variant.smtp, authPasswordFile: join(secrets, "smtp_password") },
      paging: variant.paging.kind === "slack"
        ? { ...variant.paging, apiUrlFile: join(secrets, "slack_url") }
        : { ...variant.paging, routingKeyFile: join(secrets, "pagerduty_key") },
      ...(variant.warningSlack ? { warningSlack: { ...variant.warningSlack, apiUrlFile: join(secrets, "slack_url") } } : {}),
    };
    const path = writeConfig(`alertmanager-${label.replace(/\W+/g, "-")}.yml`, args);
    const check = run("amtool", ["check-config", path], dir);
    expect(check.code, check.output).toBe(0);
    expect(check.output).toContain("1 inhibit rules");

    for (const severity of ["critical", "warning"] as const) {
      const expected = receiversFor(args, severity);
      const route = run("amtool", ["config", "routes", "test", `--config.file=${path}`, `--verify.receivers=${expected.join(",")}`, `severity=${severity}`, "alertname=TargetDown"], dir);
      expect(route.code, `${severity}: ${route.output}`).toBe(0);
      expect(route.output.trim().split("\n")[0]).toBe(expected.join(","));
    }
  });

  it("routes critical to the pager and email but warnings to email only", () => {
    const path = writeConfig("alertmanager-routing.yml", { ...AM_ARGS, smtp: { ...AM_ARGS.smtp, authPasswordFile: join(dir, "secrets", "smtp_password") }, paging: { kind: "pagerduty", routingKeyFile: join(dir, "secrets", "pagerduty_key") } });
    const warningToPager = run("amtool", ["config", "routes", "test", `--config.file=${path}`, "--verify.receivers=pager,email", "severity=warning"], dir);
    expect(warningToPager.code).not.toBe(0);
    const unlabelled = run("amtool", ["config", "routes", "test", `--config.file=${path}`, "--verify.receivers=email", "alertname=Unknown"], dir);
    expect(unlabelled.code, unlabelled.output).toBe(0);
  });
});

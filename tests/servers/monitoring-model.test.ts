// The Prometheus and Alertmanager models (policies/lib/prometheus, policies/lib/alertmanager) against
// the real servers from Debian (Prometheus 2.42, amtool 0.25; the stack runs Prometheus 2.55 and
// Alertmanager 0.27, whose rule-file globbing, relabelling, retention flags and route walk read the
// same): for the stack's own files and for variants, the model's answer equals what a running
// Prometheus reports (/api/v1/rules, /api/v1/targets, /api/v1/status/runtimeinfo) and what
// `amtool check-config` and `amtool config routes test` say.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderAlertmanagerConfig } from "../../components/monitoring/alertmanager-config";
import { renderAlertRules } from "../../components/monitoring/alert-rules";
import { DEFAULT_SCRAPE_TARGETS, renderPrometheusConfig } from "../../components/monitoring/prometheus-config";
import { buildAlertmanagerModel } from "../../policies/lib/alertmanager/model";
import { buildPrometheusModel, promDurationSeconds, type PrometheusModel } from "../../policies/lib/prometheus/model";
import { removeDir, waitFor, workDir, type ServerProcess } from "./fixtures";
import { prometheusRefused, runTool, startPrometheus, type RunningPrometheus } from "./prometheus-server";

interface PromVariant {
  readonly name: string;
  /** Relative path -> text; `@DIR@` is replaced by the variant's folder. */
  readonly files: Readonly<Record<string, string>>;
  readonly flags: readonly string[];
  readonly refusal?: RegExp;
}

const RULES = renderAlertRules({ backupRepos: ["repo1", "repo2", "repo3"] });
const stackConfig = (ruleFiles: string[]) => renderPrometheusConfig({
  environment: "production", alertmanagerTargets: ["alertmanager:9093"], ruleFiles, scrapeTargets: DEFAULT_SCRAPE_TARGETS,
  blackbox: { exporterAddress: "blackbox-exporter:9115", urls: ["https://shop.example.com/health/"] },
});
const group = (name: string, alert: string, extra = "") => `groups:\n  - name: ${name}\n${extra}    rules:\n      - alert: ${alert}\n        expr: up == 0\n        for: 5m\n        labels: { severity: critical }\n`;
const CONFIG = ["--config.file=@DIR@/prometheus.yml"];

const PROM_VARIANTS: readonly PromVariant[] = [
  { name: "the stack's prometheus.yml, rules and flags", files: { "prometheus.yml": stackConfig(["@DIR@/rules/jewelry-shop.yml"]), "rules/jewelry-shop.yml": RULES }, flags: [...CONFIG, "--storage.tsdb.retention.time=30d"] },
  {
    name: "a relative glob: only the matching files load",
    files: { "prometheus.yml": "rule_files: [\"rules/*.yml\"]\n", "rules/a.yml": group("a", "A"), "rules/b.yml": group("b", "B", "    interval: 5m\n"), "rules/c.yaml": group("c", "C"), "other/d.yml": group("d", "D") },
    flags: CONFIG,
  },
  { name: "rule files that match nothing load nothing, silently", files: { "prometheus.yml": "rule_files: [\"@DIR@/missing.yml\", \"@DIR@/none/*.yml\"]\n", "rules.yml": group("r", "R") }, flags: [...CONFIG, "--storage.tsdb.retention=3d"] },
  {
    name: "relabelling drops and keeps targets, also file_sd ones",
    files: {
      "prometheus.yml": [
        "scrape_configs:",
        "  - job_name: app",
        "    static_configs: [{ targets: [\"web:8000\", \"worker:9000\", \"beat:9000\"] }]",
        "    relabel_configs:",
        "      - { source_labels: [__address__], regex: \"beat:.*\", action: drop }",
        "  - job_name: infra",
        "    file_sd_configs: [{ files: [\"targets/*.json\"] }]",
        "    relabel_configs:",
        "      - { source_labels: [tier], regex: \"data\", action: keep }",
        "      - { source_labels: [__address__], target_label: instance, regex: \"([^:]+):.*\", replacement: \"$1\" }",
      ].join("\n"),
      "targets/data.json": JSON.stringify([{ targets: ["redis-exporter:9121", "postgres-exporter:9187"], labels: { tier: "data" } }, { targets: ["node-exporter:9100"], labels: { tier: "host" } }]),
    },
    flags: [...CONFIG, "--storage.tsdb.retention.time=2d"],
  },
  { name: "a flag given twice", files: { "prometheus.yml": "" }, flags: [...CONFIG, "--storage.tsdb.retention.time=2d", "--storage.tsdb.retention.time=90d"], refusal: /flag 'storage.tsdb.retention.time' cannot be repeated/ },
  { name: "a size limit alone: no time limit", files: { "prometheus.yml": "global: { evaluation_interval: 2m }\nrule_files: [rules.yml]\n", "rules.yml": group("r", "R") }, flags: [...CONFIG, "--storage.tsdb.retention.size=1GB"] },
  { name: "a rule group named twice", files: { "prometheus.yml": "rule_files: [rules.yml]\n", "rules.yml": `${group("same", "A")}${group("same", "B").replace("groups:\n", "")}` }, flags: CONFIG, refusal: /repeated in the same file/ },
  { name: "an invalid for: duration", files: { "prometheus.yml": "rule_files: [rules.yml]\n", "rules.yml": group("g", "A").replace("for: 5m", "for: 5 minutes") }, flags: CONFIG, refusal: /./ },
  { name: "a config file that is not there", files: { "other.yml": "" }, flags: CONFIG, refusal: /prometheus.yml/ },
  { name: "two jobs with one name", files: { "prometheus.yml": "scrape_configs:\n  - job_name: x\n  - job_name: x\n" }, flags: CONFIG, refusal: /multiple scrape configs with job name "x"/ },
];

const roots: string[] = [];
const servers: ServerProcess[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  for (const dir of roots) removeDir(dir);
});

function writeVariant(files: Readonly<Record<string, string>>): { dir: string; map: Map<string, string> } {
  const dir = workDir("monitoring-model");
  roots.push(dir);
  const map = new Map<string, string>();
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    const content = text.replaceAll("@DIR@", dir);
    writeFileSync(path, content);
    map.set(path, content);
  }
  return { dir, map };
}

interface RulesData { groups: Array<{ file: string; name: string; interval: number; rules: Array<{ name: string; duration: number; labels: Record<string, string>; type: string }> }> }
interface TargetsData { activeTargets: Array<{ scrapePool: string; labels: Record<string, string>; discoveredLabels: Record<string, string> }>; droppedTargets: Array<{ discoveredLabels: Record<string, string> }> }

describe.each(PROM_VARIANTS.map((v) => [v.name, v] as const))("Prometheus model against prometheus 2.42: %s", (_name, variant) => {
  let dir: string;
  let model: PrometheusModel;
  let flags: string[];
  let server: RunningPrometheus | undefined;

  beforeAll(async () => {
    const written = writeVariant(variant.files);
    dir = written.dir;
    flags = variant.flags.map((f) => f.replaceAll("@DIR@", dir));
    model = buildPrometheusModel({ launch: { kind: "server", args: flags, unresolved: [] }, files: written.map, workingDir: dir });
    if (!variant.refusal && !model.startupError) {
      server = await startPrometheus(dir, flags);
      servers.push(server.process);
    }
  });

  if (variant.refusal) {
    it("the model refuses the configuration, as prometheus does", () => {
      expect(model.startupError).toMatch(variant.refusal!);
      const run = prometheusRefused(dir, flags);
      expect(run.status, run.output).not.toBe(0);
      expect(run.status).not.toBeNull();
    });
    return;
  }

  it("loads exactly the rule files, groups, alerts, for: durations and labels the model lists", async () => {
    const data = await server!.api<RulesData>("/api/v1/rules");
    const real = data.groups.flatMap((g) => g.rules.filter((r) => r.type === "alerting").map((r) => ({ file: g.file, group: g.name, name: r.name, forSeconds: r.duration, labels: r.labels, evaluationSeconds: g.interval })));
    const order = (rules: Array<{ group: string; name: string; forSeconds: number }>) => [...rules].sort((a, b) => `${a.group}|${a.name}|${a.forSeconds}`.localeCompare(`${b.group}|${b.name}|${b.forSeconds}`));
    expect(order(real)).toEqual(order(model.alertRules.map(({ expr: _expr, ...rule }) => rule)));
    expect([...new Set(data.groups.map((g) => g.file))].sort()).toEqual(model.ruleFiles.filter((f) => model.alertRules.some((r) => r.file === f)).sort());
  });

  it("scrapes exactly the targets the model keeps, and drops the ones it drops", async () => {
    // Discovery reaches the scrape manager a few seconds after start-up: wait until every target is accounted for.
    const expected = model.jobs.reduce((n, j) => n + j.targets.length + j.dropped.length, 0);
    let data = await server!.api<TargetsData>("/api/v1/targets?state=any");
    await waitFor("targets to be discovered", async () => {
      data = await server!.api<TargetsData>("/api/v1/targets?state=any");
      return data.activeTargets.length + data.droppedTargets.length >= expected;
    }, 20_000);
    for (const job of model.jobs) {
      const active = data.activeTargets.filter((t) => t.scrapePool === job.name);
      expect(active.map((t) => t.labels.instance).sort(), job.name).toEqual(job.targets.map((t) => t.labels.instance ?? t.labels.__address__).sort());
      expect(data.droppedTargets.filter((t) => t.discoveredLabels.job === job.name).length, `${job.name} dropped`).toBe(job.dropped.length);
    }
    expect(new Set(data.activeTargets.map((t) => t.scrapePool))).toEqual(new Set(model.jobs.filter((j) => j.targets.length > 0).map((j) => j.name)));
  });

  it("keeps data as long as the model says", async () => {
    const info = await server!.api<{ storageRetention: string }>("/api/v1/status/runtimeinfo");
    const time = /^(\w+?)(?: or |$)/.exec(info.storageRetention)?.[1];
    expect(time && /^\d/.test(time) && !/B$/.test(time) ? promDurationSeconds(time) : undefined, info.storageRetention).toBe(model.retention.seconds);
  });
});

interface AmVariant {
  readonly name: string;
  readonly config: string;
  readonly refusal?: RegExp;
}

const secretsDir = "/run/secrets";
const AM_STACK = renderAlertmanagerConfig({
  smtp: { smarthost: "smtp.example.com:587", from: "alerts@shop.example.com", authUsername: "alerts", authPasswordFile: `${secretsDir}/smtp` },
  emailTo: ["ops@shop.example.com"],
  paging: { kind: "pagerduty", routingKeyFile: `${secretsDir}/pd` },
});
const RECEIVERS = `receivers:
  - name: email
    email_configs: [{ to: ops@example.com, smarthost: "smtp.example.com:587", from: a@example.com }]
  - name: pager
    pagerduty_configs: [{ routing_key: "0123456789abcdef0123456789abcdef" }]
  - name: void
`;
const AM_VARIANTS: readonly AmVariant[] = [
  { name: "the stack's alertmanager.yml", config: AM_STACK },
  { name: "a catch-all route before the critical one: first match wins", config: `route:\n  receiver: email\n  routes:\n    - matchers: ['severity=~".+"']\n      receiver: email\n    - matchers: ['severity="critical"']\n      receiver: pager\n${RECEIVERS}` },
  { name: "an unanchored-looking regex is anchored", config: `route:\n  receiver: email\n  routes:\n    - match_re: { severity: crit }\n      receiver: pager\n    - match: { severity: critical, team: db }\n      receiver: void\n${RECEIVERS}` },
  {
    name: "nested routes, continue and inheritance",
    config: `route:\n  receiver: void\n  routes:\n    - matchers: ['env="production"']\n      receiver: email\n      continue: true\n      routes:\n        - matchers: ['severity="critical", alertname!="Watchdog"']\n          receiver: pager\n        - matchers: ['severity!="critical"']\n    - matchers: ['severity="critical"']\n      receiver: pager\n${RECEIVERS}`,
  },
  { name: "a route to an undefined receiver", config: `route:\n  receiver: email\n  routes:\n    - matchers: ['severity="critical"']\n      receiver: oncall\n${RECEIVERS}`, refusal: /undefined receiver "oncall"/ },
  { name: "slack without an API URL", config: `route:\n  receiver: chat\nreceivers:\n  - name: chat\n    slack_configs: [{ channel: "#ops" }]\n`, refusal: /no global Slack API URL set/ },
  { name: "a root route without receiver", config: `route:\n  group_wait: 30s\n${RECEIVERS}`, refusal: /root route must specify a default receiver/ },
  { name: "an unknown field", config: `route:\n  receiver: email\n  matcher: ['severity="critical"']\n${RECEIVERS}`, refusal: /field matcher not found/ },
  {
    name: "active and mute time intervals on the pager route (time_intervals and the older top-level mute_time_intervals)",
    config: `route:\n  receiver: email\n  routes:\n    - matchers: ['severity="critical"']\n      receiver: pager\n      active_time_intervals: [office]\n      mute_time_intervals: [holidays]\n${RECEIVERS}` +
      `time_intervals:\n  - name: office\n    time_intervals:\n      - weekdays: ["monday:friday", "saturday"]\n        times: [{ start_time: "08:00", end_time: "24:00" }]\n` +
      `        days_of_month: ["1:5", "-3:-1"]\n        months: ["1:3", "december"]\n        years: ["2020:2030"]\n` +
      `mute_time_intervals:\n  - name: holidays\n    time_intervals: [{ months: [december], days_of_month: ["24:26"] }]\n`,
  },
  { name: "a route naming an undefined time interval", config: `route:\n  receiver: email\n  routes:\n    - matchers: ['severity="critical"']\n      receiver: pager\n      mute_time_intervals: [nights]\n${RECEIVERS}`, refusal: /undefined time interval "nights" used in route/ },
  {
    name: "active time intervals on the root route",
    config: `route:\n  receiver: email\n  active_time_intervals: [office]\n${RECEIVERS}time_intervals:\n  - name: office\n    time_intervals: [{ weekdays: ["monday:friday"] }]\n`,
    refusal: /root route must not have any active time intervals/,
  },
  {
    name: "a time range that ends before it starts",
    config: `route:\n  receiver: email\n  routes:\n    - matchers: ['severity="critical"']\n      receiver: pager\n      active_time_intervals: [nights]\n${RECEIVERS}` +
      `time_intervals:\n  - name: nights\n    time_intervals: [{ times: [{ start_time: "18:00", end_time: "08:00" }] }]\n`,
    refusal: /start time cannot be equal or greater than end time/,
  },
];

const LABEL_SETS: ReadonlyArray<Record<string, string>> = [
  { severity: "critical", alertname: "PostgresDown" },
  { severity: "warning", alertname: "TargetDown" },
  { alertname: "Unlabelled" },
  { severity: "Critical", alertname: "X" },
  { severity: "crit", alertname: "X" },
  { severity: "critical", team: "db", env: "production", alertname: "Watchdog" },
  { severity: "page", env: "production", alertname: "X" },
];

describe.each(AM_VARIANTS.map((v) => [v.name, v] as const))("Alertmanager model against amtool 0.25: %s", (_name, variant) => {
  let dir: string;
  let path: string;
  beforeAll(() => {
    dir = writeVariant({ "alertmanager.yml": variant.config }).dir;
    path = join(dir, "alertmanager.yml");
  });
  const model = () => buildAlertmanagerModel({ kind: "server", args: [`--config.file=${path}`], unresolved: [] }, new Map([[path, variant.config]]), "/");

  it(variant.refusal ? "is refused by the model and by amtool check-config" : "is accepted by the model and by amtool check-config", () => {
    const check = runTool("amtool", ["check-config", path], dir);
    if (variant.refusal) {
      expect(model().startupError).toMatch(variant.refusal);
      expect(check.code, check.output).not.toBe(0);
    } else {
      expect(model().startupError).toBeUndefined();
      expect(check.code, check.output).toBe(0);
    }
  });

  if (variant.refusal) return;
  it.each(LABEL_SETS.map((labels) => [Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(" "), labels] as const))("routes %s to the receivers amtool names", (_labelText, labels) => {
    const args = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
    const result = runTool("amtool", ["config", "routes", "test", `--config.file=${path}`, ...args], dir);
    expect(result.code, result.output).toBe(0);
    expect(model().routesFor(labels).map((r) => r.receiver).join(",")).toBe(result.output.trim().split("\n")[0]);
  });
});

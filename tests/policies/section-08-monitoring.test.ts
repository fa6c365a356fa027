import { describe, expect, it } from "vitest";
import { OFFLINE_SECRET_PLACEHOLDER } from "../../check/offline-secret";
import { alertmanagerYml, baselineLater, editUpload, findings, mutate, setEnv, setSecretFile } from "./baseline-later";
import { UNKNOWN } from "./harness";

describe("sentry-configured", () => {
  it("accepts a DSN and SENTRY_ENVIRONMENT=production", async () => {
    expect(await findings(baselineLater(), "sentry-configured")).toEqual([]);
  });
  it("refuses SENTRY_ENVIRONMENT other than the stack's environment", async () => {
    const found = await findings(mutate("app-web", (p) => setEnv(p, "SENTRY_ENVIRONMENT", "staging")), "sentry-configured");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/"staging"/);
  });
  it("refuses a DSN that is not a Sentry DSN, without echoing it, as a secret file or an env entry", async () => {
    const asFile = await findings(mutate("app-web", (p) => setSecretFile(p, "SENTRY_DSN", "http://secret-value@sentry/1")), "sentry-configured");
    const asEnv = await findings(mutate("app-web", (p) => { setSecretFile(p, "SENTRY_DSN", undefined); setEnv(p, "SENTRY_DSN", "http://secret-value@sentry/1"); }), "sentry-configured");
    for (const found of [asFile, asEnv]) {
      expect(found.map((f) => f.level)).toEqual(["mandatory"]);
      expect(found[0].message).toMatch(/not an https:\/\/<key>@<host>\/<project> DSN/);
      expect(found[0].message).not.toMatch(/secret-value/);
    }
  });
  it("refuses a DSN file the entrypoint does not export: the process never sees it", async () => {
    const found = await findings(mutate("app-web", (p) => { p.entrypoints = ["gunicorn"]; p.command = ["config.wsgi"]; }), "sentry-configured");
    expect(found.map((f) => f.message.split("\n").pop())).toEqual(["Container jewelry-web has no SENTRY_DSN (/run/secrets/SENTRY_DSN is uploaded but its entrypoint does not export it)."]);
  });
  it("refuses SENTRY_ENVIRONMENT overridden by `env` in the command", async () => {
    const found = await findings(mutate("app-web", (p) => { p.command = ["env", "SENTRY_ENVIRONMENT=staging", ...p.command]; }), "sentry-configured");
    expect(found[0]!.message).toMatch(/SENTRY_ENVIRONMENT "staging"/);
  });
  it("refuses an app without SENTRY_DSN", async () => {
    const found = await findings(mutate("app-web", (p) => setSecretFile(p, "SENTRY_DSN", undefined)), "sentry-configured");
    expect(found.map((f) => f.message.split("\n").pop())).toEqual(["Container jewelry-web has no SENTRY_DSN."]);
  });
  it("takes a DSN the preview cannot read (unknown, or the offline check's stand-in) as present, neither missing nor undecidable", async () => {
    for (const content of [UNKNOWN, OFFLINE_SECRET_PLACEHOLDER]) {
      expect(await findings(mutate("app-web", (p) => setSecretFile(p, "SENTRY_DSN", content)), "sentry-configured"), content).toEqual([]);
    }
    const placeholderEnv = mutate("app-web", (p) => { setSecretFile(p, "SENTRY_DSN", undefined); setEnv(p, "SENTRY_DSN", OFFLINE_SECRET_PLACEHOLDER); });
    expect(await findings(placeholderEnv, "sentry-configured")).toEqual([]);
  });
});

describe("prometheus-configured", () => {
  it("accepts the rendered prometheus.yml", async () => {
    expect(await findings(baselineLater(), "prometheus-configured")).toEqual([]);
  });
  it("refuses a config that does not scrape Redis", async () => {
    const found = await findings(mutate("prometheus", (p) => editUpload(p, "/etc/prometheus/prometheus.yml", (t) => t.replace(/redis/g, "cache"))), "prometheus-configured");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/keeps no scrape target for: redis/);
  });
  it("refuses a relabel step that drops the Redis exporter's target", async () => {
    const drop = mutate("prometheus", (p) => editUpload(p, "/etc/prometheus/prometheus.yml", (t) => t.replace("  - job_name: redis\n", "  - job_name: redis\n    relabel_configs: [{ source_labels: [__address__], regex: \"redis-exporter:.*\", action: drop }]\n")));
    expect((await findings(drop, "prometheus-configured")).map((f) => f.message.split("\n").pop())).toEqual(["Prometheus in jewelry-prometheus keeps no scrape target for: redis."]);
  });
  it("refuses rule_files that match no uploaded file, and a retention flag under 7 days", async () => {
    const moved = mutate("prometheus", (p) => {
      editUpload(p, "/etc/prometheus/prometheus.yml", (t) => t.replace("/etc/prometheus/rules/*.yml", "rules/*.yaml"));
      p.command = ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.retention.time=2d"];
    });
    expect((await findings(moved, "prometheus-configured")).map((f) => f.message.split("\n").pop())).toEqual([
      "Prometheus in jewelry-prometheus: rule_files entry /etc/prometheus/rules/*.yaml matches no file the container has, so it loads nothing.",
      "Prometheus in jewelry-prometheus loads no alerting rule.",
      "Prometheus in jewelry-prometheus keeps 2d of data (--storage.tsdb.retention.time); keep at least 7d.",
    ]);
  });
});

describe("prometheus-configured: where alerts go", () => {
  it("refuses alerts sent to a port the Alertmanager does not listen on, by either end", async () => {
    const clusterPort = mutate("prometheus", (p) => editUpload(p, "/etc/prometheus/prometheus.yml", (t) => t.replace(/(alertmanagers:[\s\S]*?)alertmanager:9093/, "$1alertmanager:9094")));
    const moved = mutate("alertmanager", (p) => { p.command = ["--config.file=/etc/alertmanager/alertmanager.yml", "--web.listen-address=:9095"]; });
    for (const stack of [clusterPort, moved]) {
      expect((await findings(stack, "prometheus-configured")).map((f) => f.message.split("\n").pop())).toEqual([expect.stringMatching(/sends alerts to alertmanager:909\d, but the Alertmanager API listens on port 909\d \(--web.listen-address\): no alert arrives/)]);
    }
  });
});

describe("grafana-dashboards", () => {
  it("accepts provisioned dashboards and a password file", async () => {
    expect(await findings(baselineLater(), "grafana-dashboards")).toEqual([]);
  });
  it("refuses the default admin password", async () => {
    const found = await findings(mutate("grafana", (p) => setEnv(p, "GF_SECURITY_ADMIN_PASSWORD__FILE", undefined)), "grafana-dashboards");
    expect(found[0].message).toMatch(/default admin password/);
  });
  it("refuses a dashboard provider uploaded where Grafana does not read providers", async () => {
    const moved = mutate("grafana", (p) => { p.uploads[0].file = "/etc/grafana/dashboards/jewelry-shop.yaml"; });
    expect((await findings(moved, "grafana-dashboards"))[0]!.message).toMatch(/is not under \/etc\/grafana\/provisioning\/dashboards/);
  });
  it("refuses anonymous access switched on in grafana.ini", async () => {
    const viaIni = mutate("grafana", (p) => { setEnv(p, "GF_AUTH_ANONYMOUS_ENABLED", undefined); p.uploads.push({ file: "/etc/grafana/grafana.ini", content: "[auth.anonymous]\nenabled = true\n" }); });
    expect((await findings(viaIni, "grafana-dashboards"))[0]!.message).toMatch(/allows anonymous access \(\/etc\/grafana\/grafana.ini\)/);
  });
  it("refuses anonymous access", async () => {
    const found = await findings(mutate("grafana", (p) => setEnv(p, "GF_AUTH_ANONYMOUS_ENABLED", "true")), "grafana-dashboards");
    expect(found[0].message).toMatch(/anonymous/);
  });
});

describe("alert-rules-present", () => {
  it("accepts the rendered rules and a paging route for critical alerts", async () => {
    expect(await findings(baselineLater(), "alert-rules-present")).toEqual([]);
  });
  it("refuses rules without a WAL archiving alert", async () => {
    const found = await findings(mutate("prometheus", (p) => editUpload(p, "/etc/prometheus/rules/jewelry.yml", (t) => t.replace(/pg_stat_archiver\w*/g, "pg_nothing"))), "alert-rules-present");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/WAL archiving/);
  });
  it("refuses a paging alert whose severity no route pages, and one whose for: is too long", async () => {
    const edit = mutate("prometheus", (p) => editUpload(p, "/etc/prometheus/rules/jewelry.yml", (t) =>
      t.replace(/(alert: PostgresDown\n\s+expr: pg_up == 0\n\s+for: )1m(\n\s+labels:\n\s+severity: )critical/, "$11m$2page").replace(/(alert: TargetDown\n\s+expr: up == 0\n\s+for: )5m/, "$16h")));
    expect((await findings(edit, "alert-rules-present"))[0]!.message).toMatch(/target down \(TargetDown\) waits for: 360m.*PostgreSQL down \(PostgresDown, severity="page"\) reaches no paging receiver/);
  });
  it("refuses a down alert that can never fire", async () => {
    const never = mutate("prometheus", (p) => editUpload(p, "/etc/prometheus/rules/jewelry.yml", (t) => t.replace("expr: pg_up == 0", "expr: pg_up == 2")));
    expect((await findings(never, "alert-rules-present"))[0]!.message).toMatch(/no alert rule for PostgreSQL down/);
  });
  it("refuses an inhibit rule that lets a warning mute critical alerts", async () => {
    const muted = mutate("alertmanager", (p) => editUpload(p, "/etc/alertmanager/alertmanager.yml", (t) => `${t}inhibit_rules:\n  - source_matchers: ['severity="warning"']\n    target_matchers: ['severity="critical"']\n`));
    expect((await findings(muted, "alert-rules-present"))[0]!.message).toMatch(/can be muted by a warning through inhibit_rules\[0\]/);
  });
  it("refuses a pager whose routing key file is not in the container", async () => {
    const moved = mutate("alertmanager", (p) => editUpload(p, "/etc/alertmanager/alertmanager.yml", (t) => t.replace("/etc/alertmanager/secrets/pagerduty", "/run/secrets/pagerduty")));
    expect((await findings(moved, "alert-rules-present"))[0]!.message).toMatch(/reads receivers\[1\].pagerduty_configs\[0\].routing_key_file from \/run\/secrets\/pagerduty, which the container does not have/);
  });
  const pagerRoute = (extra: string, top = "") => mutate("alertmanager", (p) => editUpload(p, "/etc/alertmanager/alertmanager.yml", (t) =>
    `${t.replace("      receiver: pager\n", `      receiver: pager\n${extra}`)}${top}`));
  const weekdays = "time_intervals:\n  - name: office\n    time_intervals:\n      - weekdays: ['monday:friday']\n";
  it("refuses a paging route silenced by mute_time_intervals or limited by active_time_intervals", async () => {
    const muted = await findings(pagerRoute("      mute_time_intervals: [office]\n", weekdays), "alert-rules-present");
    expect(muted.map((f) => f.message)).toEqual([
      expect.stringMatching(/does not page severity="critical" alerts promptly at any hour: a critical alert pages through route.routes\[0\] \(receiver pager\), which is silent during its mute_time_intervals \(office\), e.g. monday 01-01 00:00/),
      expect.stringMatching(/PostgreSQL down \(PostgresDown, severity="critical"\) pages through route.routes\[0\] .* silent during its mute_time_intervals/),
    ]);
    const active = await findings(pagerRoute("      active_time_intervals: [office]\n", weekdays), "alert-rules-present");
    expect(active[0]!.message).toMatch(/silent outside its active_time_intervals \(office\), e.g. saturday 01-06 00:00/);
  });
  it("accepts time intervals that leave the pager on at every hour: active ones whose entries together cover the week, a mute one that never holds", async () => {
    const allWeek = "time_intervals:\n  - name: office\n    time_intervals:\n      - weekdays: ['monday:friday']\n      - weekdays: ['saturday', 'sunday']\n  - name: never\n    time_intervals:\n      - months: ['february']\n        days_of_month: ['30:31']\n";
    expect(await findings(pagerRoute("      active_time_intervals: [office]\n      mute_time_intervals: [never]\n", allWeek), "alert-rules-present")).toEqual([]);
  });
  it("refuses an Alertmanager config naming a time interval it does not define: it would not start", async () => {
    expect((await findings(pagerRoute("      mute_time_intervals: [nights]\n"), "alert-rules-present"))[0]!.message).toMatch(/would not start: .*undefined time interval "nights" used in route/);
  });
  it("refuses a group_wait above 5m on the paging route, inherited from the root route too", async () => {
    const inherited = mutate("alertmanager", (p) => editUpload(p, "/etc/alertmanager/alertmanager.yml", (t) => t.replace("  receiver: email\n  routes:", "  receiver: email\n  group_wait: 1h\n  routes:")));
    expect((await findings(inherited, "alert-rules-present"))[0]!.message).toMatch(/pages through route.routes\[0\] \(receiver pager\) only after group_wait 60m; at most 5m/);
    expect(await findings(pagerRoute("      group_wait: 2m\n"), "alert-rules-present")).toEqual([]);
  });
  it("refuses an Alertmanager that only emails critical alerts", async () => {
    const found = await findings(mutate("alertmanager", (p) => editUpload(p, "/etc/alertmanager/alertmanager.yml", () => alertmanagerYml.replace("receiver: pager", "receiver: email"))), "alert-rules-present");
    expect(found[0].message).toMatch(/paging receiver/);
  });
});

describe("log-aggregation", () => {
  it("accepts Loki with compactor retention and Promtail pushing to it", async () => {
    expect(await findings(baselineLater(), "log-aggregation")).toEqual([]);
  });
  it("refuses Loki whose retention is not enforced", async () => {
    const found = await findings(mutate("loki", (p) => editUpload(p, "/etc/loki/config.yaml", (t) => t.replace(/retention_enabled: true/, "retention_enabled: false"))), "log-aggregation");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/compactor retention is not enabled/);
  });
  it("refuses a promtail job that keeps only the app's containers", async () => {
    const keep = mutate("promtail", (p) => editUpload(p, "/etc/promtail/config.yaml", (t) => t.replace("    relabel_configs:\n", "    relabel_configs:\n      - source_labels: [__meta_docker_container_name]\n        regex: /jewelry-(web|worker)\n        action: keep\n")));
    expect((await findings(keep, "log-aggregation"))[0]!.message).toMatch(/The logs of .*jewelry-redis.* reach no Loki/);
  });
  it("refuses a Loki whose command line switches retention off", async () => {
    const off = mutate("loki", (p) => { p.command = [...p.command, "-compactor.retention-enabled=false"]; });
    expect((await findings(off, "log-aggregation"))[0]!.message).toMatch(/-compactor.retention-enabled on the command line/);
  });
  it("refuses a retention_stream that keeps some streams under 7 days, accepts a longer one", async () => {
    const stream = (period: string) => mutate("loki", (p) => editUpload(p, "/etc/loki/config.yaml", (t) =>
      t.replace("limits_config:\n", `limits_config:\n  retention_stream:\n    - selector: '{container="jewelry-nginx"}'\n      priority: 1\n      period: ${period}\n`)));
    expect((await findings(stream("24h"), "log-aggregation")).map((f) => f.message.split("\n").pop())).toEqual([
      expect.stringMatching(/keeps the logs of streams matching \{container="jewelry-nginx"\} only 24h \(limits_config.retention_stream\)/),
    ]);
    expect(await findings(stream("2160h"), "log-aggregation")).toEqual([]);
  });
  it("refuses a promtail pushing with another scheme or port than Loki's server block serves, by either end", async () => {
    const https = mutate("promtail", (p) => editUpload(p, "/etc/promtail/config.yaml", (t) => t.replace("http://loki:3100/", "https://loki:3100/")));
    const grpcPort = mutate("promtail", (p) => editUpload(p, "/etc/promtail/config.yaml", (t) => t.replace("http://loki:3100/", "http://loki:9096/")));
    const moved = mutate("loki", (p) => { p.command = [...p.command, "-server.http-listen-port=3101"]; });
    for (const stack of [https, grpcPort, moved]) {
      expect((await findings(stack, "log-aggregation")).map((f) => f.message.split("\n").pop())).toEqual([
        expect.stringMatching(/^promtail \S+ pushes to https?:\/\/loki:\d+\/loki\/api\/v1\/push, no Loki container's \/loki\/api\/v1\/push \(Loki serves http on port 310\d\)\.$/),
        expect.stringMatching(/No log shipper/),
      ]);
    }
  });
  it("refuses a stack without a log shipper", async () => {
    const found = await findings(baselineLater().filter((r) => r.name !== "promtail"), "log-aggregation");
    expect(found[0].message).toMatch(/No log shipper/);
  });
});

describe("services recognised by image", () => {
  it("waits instead of failing while some container's image is unknown at preview", async () => {
    const resources = baselineLater().filter((r) => r.name !== "grafana");
    resources.push({ type: "docker:index/container:Container", name: "mystery", props: { image: UNKNOWN } });
    const found = await findings(resources, "grafana-dashboards");
    expect(found.map((f) => f.level)).toEqual(["advisory"]);
  });
});

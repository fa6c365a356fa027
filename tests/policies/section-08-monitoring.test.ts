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
    expect(found[0].message).toMatch(/nothing for: redis/);
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
    expect(found[0].message).toMatch(/retention_enabled/);
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

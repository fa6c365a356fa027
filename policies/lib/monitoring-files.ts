// Readers for the monitoring stack's YAML files as containers receive them: prometheus.yml, rule
// files, alertmanager.yml, Loki and Promtail configs. Generic shapes, not this program's renderers.
import type { PolicyResource } from "@pulumi/policy";
import { parse } from "yaml";
import { knownUploads, runsImage } from "./containers";
import { containers } from "./stack-resources";
import { asArray, asRecord, asString, type PropRecord } from "./values";

export function parseYamlRecord(text: string): PropRecord {
  return asRecord(parse(text) as unknown) ?? {};
}

/** Containers running an image whose repository matches. */
export const containersOf = (resources: readonly PolicyResource[], image: RegExp): PolicyResource[] =>
  containers(resources).filter((c) => runsImage(c, image));

export interface ScrapeJob {
  readonly job: string;
  readonly targets: readonly string[];
}

export function scrapeJobs(prometheusYml: PropRecord): ScrapeJob[] {
  return asArray(prometheusYml.scrape_configs).flatMap((raw) => {
    const config = asRecord(raw);
    if (!config) return [];
    const targets = asArray(config.static_configs).flatMap((s) => asArray(asRecord(s)?.targets).map((t) => asString(t) ?? ""));
    return [{ job: asString(config.job_name) ?? "", targets }];
  });
}

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly severity: string;
}

/** Alerting rules in a Prometheus rule file (`groups[].rules[]` with `alert`). */
export function alertRules(ruleFile: PropRecord): AlertRule[] {
  return asArray(ruleFile.groups).flatMap((g) =>
    asArray(asRecord(g)?.rules).flatMap((raw) => {
      const rule = asRecord(raw);
      const alert = asString(rule?.alert);
      if (!rule || alert === undefined) return [];
      return [{ alert, expr: String(rule.expr ?? ""), severity: asString(asRecord(rule.labels)?.severity) ?? "" }];
    }),
  );
}

/** Every YAML upload of a container that parses and holds `key` at the top level. */
export function yamlUploadsWith(container: PolicyResource, key: string): PropRecord[] {
  return knownUploads(container, /\.ya?ml$/).flatMap((u) => {
    try {
      const doc = parseYamlRecord(u.content);
      return key in doc ? [doc] : [];
    } catch {
      return [];
    }
  });
}

/** Receiver integrations that wake someone up (email and plain chat are not a pager). */
const PAGING_CONFIGS = ["pagerduty_configs", "opsgenie_configs", "victorops_configs", "pushover_configs", "webhook_configs", "telegram_configs", "sns_configs", "slack_configs"];

/** Whether alertmanager.yml sends severity=critical alerts to a paging receiver. */
export function routesCriticalToPager(alertmanagerYml: PropRecord): boolean {
  const pagers = new Set(
    asArray(alertmanagerYml.receivers)
      .map(asRecord)
      .filter((r): r is PropRecord => r !== undefined && PAGING_CONFIGS.some((k) => asArray(r[k]).length > 0))
      .map((r) => asString(r.name) ?? ""),
  );
  const matchesCritical = (route: PropRecord): boolean => {
    const matchers = [...asArray(route.matchers), ...asArray(route.object_matchers)].map((m) => (Array.isArray(m) ? m.join("") : String(m)));
    const legacy = asRecord(route.match)?.severity ?? asRecord(route.match_re)?.severity;
    return matchers.some((m) => /severity\s*=~?\s*"?[^"]*critical/.test(m)) || (typeof legacy === "string" && /critical/.test(legacy));
  };
  const walk = (route: PropRecord, inherited: string): boolean => {
    const receiver = asString(route.receiver) ?? inherited;
    if (matchesCritical(route) && pagers.has(receiver)) return true;
    return asArray(route.routes).some((child) => {
      const r = asRecord(child);
      return r !== undefined && walk(r, receiver);
    });
  };
  const root = asRecord(alertmanagerYml.route);
  if (!root) return false;
  // A root that pages for everything also pages for critical.
  return pagers.has(asString(root.receiver) ?? "") || walk(root, asString(root.receiver) ?? "");
}

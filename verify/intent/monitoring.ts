// Prometheus and Alertmanager as the program declares them: the scrape targets and alert rules in the
// prometheus.yml and rule files it uploads, and the route tree of the alertmanager.yml it uploads.
import { alertRules, parseYamlRecord, scrapeJobs, type AlertRule } from "../../policies/lib/monitoring-files";
import { asArray, asRecord, asString } from "../../policies/lib/values";
import { uploadsMatching, type DeclaredContainer } from "./containers";

export interface DeclaredPrometheus {
  readonly container: string;
  readonly port: number;
  /** job -> host:port targets. */
  readonly targets: readonly { readonly job: string; readonly target: string }[];
  readonly alertRules: readonly (AlertRule & { readonly labels: Readonly<Record<string, string>> })[];
  readonly alertmanagerTargets: readonly string[];
}

export interface DeclaredAlertmanager {
  readonly container: string;
  readonly port: number;
  readonly configText: string;
  readonly file: string;
}

const portOf = (target: string, fallback: number) => Number(/:(\d+)$/.exec(target)?.[1] ?? fallback);

export function declaredPrometheus(containers: readonly DeclaredContainer[]): DeclaredPrometheus | undefined {
  for (const container of containers) {
    const config = uploadsMatching(container, /prometheus\.ya?ml$/)[0];
    if (!config) continue;
    const yml = parseYamlRecord(config.text);
    const targets = scrapeJobs(yml).flatMap((j) => j.targets.map((target) => ({ job: j.job, target })));
    // Prometheus scrapes itself at its own listen address.
    const self = targets.find((t) => /^(localhost|127\.0\.0\.1):\d+$/.test(t.target));
    const rules = uploadsMatching(container, /\.ya?ml$/).filter((u) => u.file !== config.file).flatMap((u) => {
      const doc = parseYamlRecord(u.text);
      return alertRules(doc).map((rule) => ({ ...rule, labels: ruleLabels(doc, rule.alert) }));
    });
    const alerting = asArray(asRecord(yml.alerting)?.alertmanagers).flatMap((a) =>
      asArray(asRecord(a)?.static_configs).flatMap((s) => asArray(asRecord(s)?.targets).map((t) => asString(t) ?? "")));
    return { container: container.name, port: portOf(self?.target ?? "", 9090), targets, alertRules: rules, alertmanagerTargets: alerting };
  }
  return undefined;
}

function ruleLabels(doc: ReturnType<typeof parseYamlRecord>, alert: string): Record<string, string> {
  for (const group of asArray(doc.groups)) {
    for (const raw of asArray(asRecord(group)?.rules)) {
      const rule = asRecord(raw);
      if (asString(rule?.alert) !== alert) continue;
      return Object.fromEntries(Object.entries(asRecord(rule?.labels) ?? {}).map(([k, v]) => [k, String(v)]));
    }
  }
  return {};
}

export function declaredAlertmanager(containers: readonly DeclaredContainer[], prometheus?: DeclaredPrometheus): DeclaredAlertmanager | undefined {
  for (const container of containers) {
    const config = uploadsMatching(container, /alertmanager\.ya?ml$/)[0];
    if (!config) continue;
    return { container: container.name, port: portOf(prometheus?.alertmanagerTargets[0] ?? "", 9093), configText: config.text, file: config.file };
  }
  return undefined;
}

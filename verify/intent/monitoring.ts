// Prometheus and Alertmanager as the program declares them, read through the pack's models
// (policies/lib/prometheus/, policies/lib/alertmanager/): each scrape job's targets after
// relabelling, the alert rules the rule_files globs really load, where alerts go; and the
// alertmanager.yml text amtool routes with.
import type { PolicyResource } from "@pulumi/policy";
import { alertmanagerModelOf } from "../../policies/lib/alertmanager";
import { containerName, runsImage } from "../../policies/lib/containers";
import { prometheusModelOf } from "../../policies/lib/prometheus";
import { containers } from "../../policies/lib/stack-resources";
import { uploadText, type DeclaredContainer } from "./containers";

/** The official images' names, as the pack's section 8 tells Prometheus and Alertmanager containers. */
const PROMETHEUS_IMAGE = /^prom\/prometheus$|(^|\/)prometheus$/;
const ALERTMANAGER_IMAGE = /^prom\/alertmanager$|(^|\/)alertmanager$/;

export interface DeclaredAlertRule {
  readonly alert: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface DeclaredPrometheus {
  readonly container: string;
  readonly port: number;
  /** job -> what it scrapes: host:port, or a blackbox probe's target (its `target` parameter). */
  readonly targets: readonly { readonly job: string; readonly target: string }[];
  readonly alertRules: readonly DeclaredAlertRule[];
  readonly alertmanagerTargets: readonly string[];
}

export interface DeclaredAlertmanager {
  readonly container: string;
  readonly port: number;
  readonly configText: string;
  readonly file: string;
}

const portOf = (target: string, fallback: number) => Number(/:(\d+)$/.exec(target)?.[1] ?? fallback);

export function declaredPrometheus(resources: readonly PolicyResource[]): DeclaredPrometheus | undefined {
  for (const container of containers(resources).filter((c) => runsImage(c, PROMETHEUS_IMAGE))) {
    const model = prometheusModelOf(container);
    if (model.startupError) continue;
    const targets = model.jobs.flatMap((job) => job.targets.map((t) => ({ job: job.name, target: t.labels.__param_target ?? t.labels.__address__ ?? t.labels.instance ?? "" })));
    // Prometheus scrapes itself at its own listen address.
    const self = targets.find((t) => /^(localhost|127\.0\.0\.1):\d+$/.test(t.target));
    return {
      container: containerName(container), port: portOf(self?.target ?? "", 9090), targets,
      alertRules: model.alertRules.map((rule) => ({ alert: rule.name, labels: rule.labels })),
      alertmanagerTargets: model.alertmanagers,
    };
  }
  return undefined;
}

export function declaredAlertmanager(resources: readonly PolicyResource[], declared: readonly DeclaredContainer[], prometheus?: DeclaredPrometheus): DeclaredAlertmanager | undefined {
  for (const container of containers(resources).filter((c) => runsImage(c, ALERTMANAGER_IMAGE))) {
    const model = alertmanagerModelOf(container);
    const name = containerName(container);
    const own = declared.find((c) => c.name === name);
    const configText = own && uploadText(own, model.configFile);
    if (model.startupError || configText === undefined) continue;
    return { container: name, port: portOf(prometheus?.alertmanagerTargets[0] ?? "", 9093), configText, file: model.configFile };
  }
  return undefined;
}

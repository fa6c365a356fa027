// The Prometheus a container runs (2.42–2.55): its flags (kingpin: --name=value or --name value, the
// last one wins), the config file they name, the rule files its rule_files globs match among the
// files the container really has (relative to the config file's folder; a pattern that matches
// nothing loads nothing, silently), each scrape job's targets after relabelling, the Alertmanagers
// alerts go to, and what alert_relabel_configs does to an alert's labels. Retention is a flag:
// --storage.tsdb.retention.time, else the deprecated --storage.tsdb.retention, else 15d (unless a
// size limit alone is set).
import { parse } from "yaml";
import type { Launch } from "../process-launch";
import { asArray, asRecord, asString, type PropRecord } from "../values";
import { parseRelabelConfigs, relabel, type Labels, type RelabelStep } from "./relabel";

export interface PrometheusInput {
  readonly launch: Launch;
  readonly files: ReadonlyMap<string, string | undefined>;
  readonly workingDir: string;
}

export interface ScrapeTarget {
  readonly labels: Labels;
}

export interface ScrapeJob {
  readonly name: string;
  /** Targets kept after relabel_configs (statically known ones: static_configs and file_sd_configs files the stack holds). */
  readonly targets: readonly ScrapeTarget[];
  /** Targets relabel_configs dropped. */
  readonly dropped: readonly ScrapeTarget[];
  /** Discovery whose targets the stack does not declare (dns_sd, docker_sd …). */
  readonly dynamicDiscovery: readonly string[];
}

export interface AlertRule {
  readonly file: string;
  readonly group: string;
  readonly name: string;
  readonly expr: string;
  readonly forSeconds: number;
  readonly labels: Labels;
  /** How often its group is evaluated (the group's interval, else global.evaluation_interval). */
  readonly evaluationSeconds: number;
}

export interface PrometheusModel {
  readonly startupError?: string;
  readonly configFile: string;
  readonly retention: { readonly seconds?: number; readonly size?: string; readonly flag?: string };
  readonly jobs: readonly ScrapeJob[];
  /** rule_files patterns as written, with the files each one loads. */
  readonly ruleFilePatterns: ReadonlyArray<{ readonly pattern: string; readonly files: readonly string[] }>;
  readonly ruleFiles: readonly string[];
  readonly alertRules: readonly AlertRule[];
  /** Alertmanager addresses (static targets after relabelling). */
  readonly alertmanagers: readonly string[];
  /** An alert's labels as sent: external labels added, alert_relabel_configs applied (undefined: dropped). */
  alertLabels(labels: Labels): Labels | undefined;
  /** Files it reads whose content is unknown at preview. */
  readonly unknownFiles: readonly string[];
}

const UNITS: Readonly<Record<string, number>> = { y: 365 * 86400, w: 7 * 86400, d: 86400, h: 3600, m: 60, s: 1, ms: 0.001 };

/** Prometheus's model.ParseDuration ("1h30m", "15d", "0"); undefined when it refuses the text. */
export function promDurationSeconds(text: string): number | undefined {
  if (text === "0") return 0;
  const match = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(text);
  if (!match || text === "") return undefined;
  const [, y, w, d, h, m, s, ms] = match;
  return [[y, "y"], [w, "w"], [d, "d"], [h, "h"], [m, "m"], [s, "s"], [ms, "ms"]].reduce((sum, [v, u]) => sum + Number(v ?? 0) * UNITS[u!]!, 0);
}

/** Kingpin long flags by name; kingpin refuses a scalar flag given twice ("cannot be repeated"), reported as `repeated`. */
export function kingpinFlags(args: readonly string[]): Map<string, string> & { repeated?: string } {
  const flags: Map<string, string> & { repeated?: string } = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("--")) continue;
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (flags.has(name)) flags.repeated ??= name;
    if (eq > 0) flags.set(arg.slice(2, eq), arg.slice(eq + 1));
    else if (i + 1 < args.length && !args[i + 1]!.startsWith("--")) flags.set(arg.slice(2), args[++i]!);
    else flags.set(arg.slice(2), "true");
  }
  return flags;
}

const dirOf = (path: string) => path.slice(0, path.lastIndexOf("/")) || "/";
const join = (dir: string, path: string) => (path.startsWith("/") ? path : `${dir.replace(/\/$/, "")}/${path}`).replace(/\/\.\//g, "/");

/** Go's filepath.Match: `*`, `?` and `[…]` within one path segment (leading dots included). */
function goGlob(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      out += `[${pattern.slice(i + 1, end).replace(/^\^/, "^")}]`;
      i = end;
    } else if (c === "\\") out += `\\${pattern[++i] ?? ""}`;
    else out += c.replace(/[.+^${}()|\]]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

function globFiles(pattern: string, files: ReadonlyMap<string, string | undefined>): string[] {
  if (!/[*?[]/.test(pattern)) return files.has(pattern) ? [pattern] : [];
  const re = goGlob(pattern);
  return [...files.keys()].filter((f) => re.test(f)).sort();
}

function parseYaml(text: string, file: string): PropRecord {
  try {
    return asRecord(parse(text) as unknown) ?? {};
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message.split("\n")[0]}`);
  }
}

function readRuleFile(file: string, text: string, globalEval: number): AlertRule[] {
  const doc = parseYaml(text, file);
  const groupNames = new Set<string>();
  return asArray(doc.groups).flatMap((rawGroup) => {
    const group = asRecord(rawGroup) ?? {};
    const name = asString(group.name) ?? "";
    if (name === "") throw new Error(`${file}: group name must not be empty`);
    if (groupNames.has(name)) throw new Error(`${file}: groupname: "${name}" is repeated in the same file`);
    groupNames.add(name);
    const interval = group.interval === undefined ? globalEval : promDurationSeconds(String(group.interval));
    if (interval === undefined) throw new Error(`${file}: group "${name}": invalid interval ${String(group.interval)}`);
    return asArray(group.rules).flatMap((rawRule): AlertRule[] => {
      const rule = asRecord(rawRule) ?? {};
      const alert = asString(rule.alert);
      if (alert === undefined) return [];
      const forSeconds = rule.for === undefined ? 0 : promDurationSeconds(String(rule.for));
      if (forSeconds === undefined) throw new Error(`${file}: alert "${alert}": invalid for ${String(rule.for)}`);
      const labels = Object.fromEntries(Object.entries(asRecord(rule.labels) ?? {}).map(([k, v]) => [k, String(v)]));
      return [{ file, group: name, name: alert, expr: String(rule.expr ?? ""), forSeconds, labels, evaluationSeconds: interval }];
    });
  });
}

function staticTargets(job: PropRecord, files: ReadonlyMap<string, string | undefined>, dir: string): { labels: Labels[]; dynamic: string[]; unknown: string[] } {
  const labels: Labels[] = [];
  const unknown: string[] = [];
  const groupTargets = (group: PropRecord) => {
    const extra = Object.fromEntries(Object.entries(asRecord(group.labels) ?? {}).map(([k, v]) => [k, String(v)]));
    for (const t of asArray(group.targets)) labels.push({ ...extra, __address__: String(t) });
  };
  for (const g of asArray(job.static_configs)) groupTargets(asRecord(g) ?? {});
  for (const sd of asArray(job.file_sd_configs)) {
    for (const pattern of asArray(asRecord(sd)?.files)) {
      for (const file of globFiles(join(dir, String(pattern)), files)) {
        const text = files.get(file);
        if (text === undefined) unknown.push(file);
        else for (const g of asArray(parse(text) as unknown)) groupTargets(asRecord(g) ?? {});
      }
    }
  }
  const dynamic = Object.keys(job).filter((k) => k.endsWith("_sd_configs") && k !== "file_sd_configs" && asArray(job[k]).length > 0);
  return { labels, dynamic, unknown };
}

export function buildPrometheusModel(input: PrometheusInput): PrometheusModel {
  const flags = kingpinFlags(input.launch.kind === "server" ? input.launch.args : []);
  const configFile = join(input.workingDir, flags.get("config.file") ?? "prometheus.yml");
  const retentionFlag = flags.has("storage.tsdb.retention.time") ? "storage.tsdb.retention.time" : flags.has("storage.tsdb.retention") ? "storage.tsdb.retention" : undefined;
  const size = flags.get("storage.tsdb.retention.size");
  const retentionSeconds = retentionFlag ? promDurationSeconds(flags.get(retentionFlag)!) : size ? undefined : 15 * 86400;
  const retention = { ...(retentionSeconds !== undefined ? { seconds: retentionSeconds } : {}), ...(size ? { size } : {}), ...(retentionFlag ? { flag: retentionFlag } : {}) };
  const empty = { configFile, retention, jobs: [], ruleFilePatterns: [], ruleFiles: [], alertRules: [], alertmanagers: [], alertLabels: () => undefined, unknownFiles: [] };
  if (input.launch.kind !== "server") return { ...empty, startupError: `the container does not start prometheus (it runs ${input.launch.argv.join(" ") || "nothing"})` };
  if (flags.repeated) return { ...empty, startupError: `Error parsing commandline arguments: flag '${flags.repeated}' cannot be repeated` };
  if (retentionFlag && retentionSeconds === undefined) return { ...empty, startupError: `invalid --${retentionFlag} ${flags.get(retentionFlag)}` };
  if (!input.files.has(configFile)) return { ...empty, startupError: `couldn't load configuration (--config.file=${configFile}): no such file` };
  const text = input.files.get(configFile);
  if (text === undefined) return { ...empty, unknownFiles: [configFile] };
  try {
    const config = parseYaml(text, configFile);
    const global = asRecord(config.global) ?? {};
    const evaluation = promDurationSeconds(String(global.evaluation_interval ?? "1m")) ?? 60;
    const externalLabels = Object.fromEntries(Object.entries(asRecord(global.external_labels) ?? {}).map(([k, v]) => [k, String(v)]));
    const dir = dirOf(configFile);
    const unknownFiles: string[] = [];

    const ruleFilePatterns = asArray(config.rule_files).map((p) => {
      const pattern = join(dir, String(p));
      return { pattern, files: globFiles(pattern, input.files) };
    });
    const ruleFiles = [...new Set(ruleFilePatterns.flatMap((p) => p.files))];
    const alertRules = ruleFiles.flatMap((file) => {
      const content = input.files.get(file);
      if (content === undefined) {
        unknownFiles.push(file);
        return [];
      }
      return readRuleFile(file, content, evaluation);
    });

    const jobNames = new Set<string>();
    const jobs = asArray(config.scrape_configs).map((raw): ScrapeJob => {
      const job = asRecord(raw) ?? {};
      const name = asString(job.job_name) ?? "";
      if (jobNames.has(name)) throw new Error(`found multiple scrape configs with job name "${name}"`);
      jobNames.add(name);
      const steps = parseRelabelConfigs(job.relabel_configs);
      const found = staticTargets(job, input.files, dir);
      unknownFiles.push(...found.unknown);
      const base: Labels = {
        job: name,
        __scheme__: asString(job.scheme) ?? "http",
        __metrics_path__: asString(job.metrics_path) ?? "/metrics",
        ...Object.fromEntries(Object.entries(asRecord(job.params) ?? {}).map(([k, v]) => [`__param_${k}`, String(asArray(v)[0] ?? "")])),
      };
      const targets: ScrapeTarget[] = [];
      const dropped: ScrapeTarget[] = [];
      for (const labels of found.labels) {
        const result = relabel({ ...base, ...labels }, steps);
        if (result === undefined || !result.__address__) dropped.push({ labels });
        else targets.push({ labels: result });
      }
      return { name, targets, dropped, dynamicDiscovery: found.dynamic };
    });

    const alerting = asRecord(config.alerting) ?? {};
    const alertRelabel: RelabelStep[] = parseRelabelConfigs(alerting.alert_relabel_configs);
    const alertmanagers = asArray(alerting.alertmanagers).flatMap((raw) => {
      const am = asRecord(raw) ?? {};
      const steps = parseRelabelConfigs(am.relabel_configs);
      return staticTargets(am, input.files, dir).labels.flatMap((l) => {
        const result = relabel(l, steps);
        return result?.__address__ ? [result.__address__] : [];
      });
    });
    const alertLabels = (labels: Labels): Labels | undefined => relabel({ ...externalLabels, ...labels }, alertRelabel);
    return { configFile, retention, jobs, ruleFilePatterns, ruleFiles, alertRules, alertmanagers, alertLabels, unknownFiles };
  } catch (err) {
    return { ...empty, startupError: `couldn't load configuration (--config.file=${configFile}): ${(err as Error).message}` };
  }
}

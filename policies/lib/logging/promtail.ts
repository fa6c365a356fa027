// The promtail a container runs: the YAML file `-config.file` names (the image's default config
// reads only /var/log files), its Loki clients, and which Docker containers its docker_sd_configs
// discover (Docker API filters) and its relabel_configs keep. A container's logs reach Loki only when
// a job keeps it and Docker keeps its logs readable (log driver `none` keeps nothing).
import { parse } from "yaml";
import { containerInputs, inputsKey } from "../container-inputs";
import { memoized } from "../model-cache";
import { containerLaunch, type Launch } from "../process-launch";
import { parseRelabelConfigs, relabel, type Labels, type RelabelStep } from "../prometheus/relabel";
import { undecidable } from "../unknowns";
import { asArray, asRecord, asString, type PropRecord } from "../values";
import { goFlags } from "./loki";

export interface DockerContainerFacts {
  /** Docker's container name (without the leading "/"). */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly logDriver?: string;
}

export interface PromtailModel {
  readonly configFile: string;
  readonly startupError?: string;
  /** clients[].url */
  readonly pushUrls: readonly string[];
  /** Whether the container's logs are shipped, and by which job. */
  shipperOf(container: DockerContainerFacts): string | undefined;
}

interface DockerJob {
  readonly name: string;
  readonly filters: ReadonlyArray<{ readonly name: string; readonly values: readonly string[] }>;
  readonly steps: readonly RelabelStep[];
}

const IMAGE = { entrypoint: ["/usr/bin/promtail"], command: ["-config.file=/etc/promtail/config.yml"] };
const IMAGE_CONFIG = "/etc/promtail/config.yml";

const metaLabel = (label: string) => `__meta_docker_container_label_${label.replace(/[^a-zA-Z0-9_]/g, "_")}`;

/** Docker's list filters: name (a regex searched in the name), label (key or key=value), status; others are not modelled (kept). */
function passesFilters(job: DockerJob, c: DockerContainerFacts): boolean {
  return job.filters.every((f) => f.values.some((v) => {
    if (f.name === "name") return new RegExp(v).test(`/${c.name}`);
    if (f.name === "label") {
      const eq = v.indexOf("=");
      return eq < 0 ? v in c.labels : c.labels[v.slice(0, eq)] === v.slice(eq + 1);
    }
    if (f.name === "status") return v === "running";
    return true;
  }));
}

export function buildPromtailModel(launch: Launch, files: ReadonlyMap<string, string | undefined>): PromtailModel | "unknown" {
  const flags = goFlags(launch.kind === "server" ? launch.args : [], new Set(["config.expand-env", "dry-run", "inspect"]));
  const configFile = flags.get("config.file") ?? IMAGE_CONFIG;
  const none = { configFile, pushUrls: [], shipperOf: () => undefined };
  if (launch.kind !== "server") return { ...none, startupError: `the container does not start promtail (it runs ${launch.argv.join(" ") || "nothing"})` };
  if (!files.has(configFile)) {
    // The image's own config tails /var/log/*log into http://loki:3100 and discovers no container.
    return configFile === IMAGE_CONFIG ? { ...none, pushUrls: ["http://loki:3100/loki/api/v1/push"] } : { ...none, startupError: `open ${configFile}: no such file or directory` };
  }
  const text = files.get(configFile);
  if (text === undefined) return "unknown";
  let doc: PropRecord;
  let jobs: DockerJob[];
  try {
    doc = asRecord(parse(text) as unknown) ?? {};
    jobs = asArray(doc.scrape_configs).flatMap((raw) => {
      const job = asRecord(raw) ?? {};
      const steps = parseRelabelConfigs(job.relabel_configs);
      return asArray(job.docker_sd_configs).map((sd): DockerJob => ({
        name: asString(job.job_name) ?? "",
        filters: asArray(asRecord(sd)?.filters).map((f) => ({ name: asString(asRecord(f)?.name) ?? "", values: asArray(asRecord(f)?.values).map(String) })),
        steps,
      }));
    });
  } catch (err) {
    return { ...none, startupError: `${configFile}: ${(err as Error).message.split("\n")[0]}` };
  }
  const pushUrls = [...asArray(doc.clients).map((c) => asString(asRecord(c)?.url) ?? ""), ...(asString(asRecord(doc.client)?.url) ? [asString(asRecord(doc.client)?.url)!] : [])];
  return {
    configFile,
    pushUrls,
    shipperOf: (c) => {
      if (c.logDriver === "none") return undefined;
      const labels: Labels = { __meta_docker_container_name: `/${c.name}`, __meta_docker_container_log_stream: "stdout" };
      for (const [k, v] of Object.entries(c.labels)) labels[metaLabel(k)] = v;
      return jobs.find((job) => passesFilters(job, c) && relabel(labels, job.steps) !== undefined)?.name;
    },
  };
}

const isPromtail = (word: string) => /(^|\/)promtail$/.test(word);

export function promtailModelOf(container: { readonly props: PropRecord }): PromtailModel {
  const inputs = containerInputs(container);
  if (inputs.unknownArgv) undecidable("command");
  const model = memoized("promtail", inputsKey(inputs), () =>
    buildPromtailModel(containerLaunch(inputs.entrypoints, inputs.command, IMAGE, { isServer: isPromtail }, inputs.env), inputs.files));
  if (model === "unknown") undecidable("uploads[promtail config].content");
  return model;
}

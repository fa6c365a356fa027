// The effective Prometheus of a container, built once per distinct inputs and shared by every rule
// of section 8 that reads it.
import { containerInputs, inputsKey } from "../container-inputs";
import { memoized } from "../model-cache";
import { containerLaunch, type ImageLaunch } from "../process-launch";
import { undecidable } from "../unknowns";
import type { PropRecord } from "../values";
import { buildPrometheusModel, type PrometheusModel } from "./model";

/** prom/prometheus: ENTRYPOINT /bin/prometheus with the config, storage and console flags as CMD; WORKDIR /prometheus. */
export const PROM_PROMETHEUS_IMAGE: ImageLaunch & { readonly workingDir: string } = {
  entrypoint: ["/bin/prometheus"],
  command: [
    "--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus",
    "--web.console.libraries=/usr/share/prometheus/console_libraries", "--web.console.templates=/usr/share/prometheus/consoles",
  ],
  workingDir: "/prometheus",
};

const isPrometheus = (word: string) => word === "prometheus" || word.endsWith("/prometheus");

export function prometheusModelOf(container: { readonly props: PropRecord }): PrometheusModel {
  const inputs = containerInputs(container);
  if (inputs.unknownArgv) undecidable("command");
  return memoized("prometheus", inputsKey(inputs), () => buildPrometheusModel({
    launch: containerLaunch(inputs.entrypoints, inputs.command, PROM_PROMETHEUS_IMAGE, { isServer: isPrometheus }, inputs.env),
    files: inputs.files,
    workingDir: inputs.workingDir ?? PROM_PROMETHEUS_IMAGE.workingDir,
  }));
}

export { promDurationSeconds } from "./model";
export type { AlertRule, PrometheusModel, ScrapeJob } from "./model";
export type { Labels } from "./relabel";

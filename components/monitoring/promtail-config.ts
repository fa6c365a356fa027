// promtail config: discovers containers through the Docker API and ships their logs to Loki with
// `container` and `service` labels. The Docker API is root-equivalent, so point dockerHost at a
// read-only socket proxy (containers endpoint only) rather than mounting /var/run/docker.sock.
import { toYamlText } from "./yaml-text";

export interface PromtailConfigArgs {
  /** e.g. "http://loki:3100/loki/api/v1/push" */
  lokiPushUrl: string;
  /** Added to every stream, like Prometheus' external label. */
  environment: string;
  /** Docker API, e.g. "tcp://docker-socket-proxy:2375" or "unix:///var/run/docker.sock". */
  dockerHost?: string;
  /** Container label holding the service name (set by the Pulumi program on each container). */
  serviceLabel?: string;
  positionsFile?: string;
}

export const DEFAULT_SERVICE_LABEL = "jewelry.service";

/** Prometheus meta label for a Docker container label: non-alphanumerics become "_". */
function dockerLabelMeta(label: string): string {
  return `__meta_docker_container_label_${label.replace(/[^a-zA-Z0-9_]/g, "_")}`;
}

export function renderPromtailConfig(args: PromtailConfigArgs): string {
  if (!/^https?:\/\/\S+\/loki\/api\/v1\/push$/.test(args.lokiPushUrl)) {
    throw new Error(`lokiPushUrl must end in /loki/api/v1/push, got "${args.lokiPushUrl}"`);
  }
  if (!args.environment) throw new Error("environment must not be empty");
  const dockerHost = args.dockerHost ?? "unix:///var/run/docker.sock";
  if (!/^(unix|tcp):\/\/\S+$/.test(dockerHost)) throw new Error(`dockerHost must be unix:// or tcp://, got "${dockerHost}"`);
  const serviceLabel = args.serviceLabel ?? DEFAULT_SERVICE_LABEL;

  return toYamlText({
    server: { http_listen_port: 9080, grpc_listen_port: 0, log_level: "warn" },
    positions: { filename: args.positionsFile ?? "/var/lib/promtail/positions.yaml" },
    clients: [{ url: args.lokiPushUrl, external_labels: { environment: args.environment } }],
    scrape_configs: [
      {
        job_name: "docker",
        docker_sd_configs: [{ host: dockerHost, refresh_interval: "15s" }],
        relabel_configs: [
          // Docker names start with "/".
          { source_labels: ["__meta_docker_container_name"], regex: "/(.*)", target_label: "container" },
          { source_labels: [dockerLabelMeta(serviceLabel)], target_label: "service" },
          { source_labels: ["__meta_docker_container_log_stream"], target_label: "stream" },
        ],
      },
    ],
  });
}

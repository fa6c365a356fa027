import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";

// Every third-party image the stack runs, pinned to an exact version (checklist 3.1, 4.1, 11.2).
// Bump here, preview, then `pulumi up`; the policy pack refuses `latest` and untagged images.
export const IMAGES = {
  postgres: "postgres:16.6-bookworm",
  pgbouncer: "edoburu/pgbouncer:v1.23.1-p3",
  redis: "redis:7.4.1-bookworm",
  nginx: "nginx:1.27.3-bookworm",
  certbot: "certbot/certbot:v3.0.1",
  pgbackrest: "woblerr/pgbackrest:2.54.1",
  prometheus: "prom/prometheus:v2.55.1",
  alertmanager: "prom/alertmanager:v0.27.0",
  grafana: "grafana/grafana:11.3.1",
  loki: "grafana/loki:3.3.1",
  promtail: "grafana/promtail:3.3.1",
  nodeExporter: "prom/node-exporter:v1.8.2",
  postgresExporter: "quay.io/prometheuscommunity/postgres-exporter:v0.16.0",
  pgbouncerExporter: "prometheuscommunity/pgbouncer-exporter:v0.10.2",
  redisExporter: "oliver006/redis_exporter:v1.66.0",
  nginxExporter: "nginx/nginx-prometheus-exporter:1.3.0",
  celeryExporter: "danihodovic/celery-exporter:0.10.14",
  blackboxExporter: "prom/blackbox-exporter:v0.25.0",
  /** Read-only Docker API for promtail (only GET on containers): the raw socket is root-equivalent. */
  dockerSocketProxy: "tecnativa/docker-socket-proxy:0.3.0",
} as const;

export type ImageName = keyof typeof IMAGES;


/**
 * Pulls a pinned image on the Docker host, as a child of the component that runs it. Containers use
 * `remoteImage.name` (an input, so known at preview and readable by policies) and depend on the pull.
 */
export function pullImage(name: string, reference: string, parent: pulumi.Resource): docker.RemoteImage {
  return new docker.RemoteImage(`${name}-image`, { name: reference, keepLocally: true }, { parent });
}

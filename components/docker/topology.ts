import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

/**
 * The networks, by purpose (checklist 11.8). Only `edge` and `egress` reach the outside world;
 * `backend`, `data` and `monitoring` are internal: no route out, nothing published.
 */
export const NETWORKS = {
  /** nginx, certbot, the web app: the only network with published ports (nginx 80/443). */
  edge: { subnet: "172.30.0.0/24", internal: false },
  /** App containers to PgBouncer and Redis. */
  backend: { subnet: "172.30.1.0/24", internal: true },
  /** PgBouncer, backups and exporters to PostgreSQL. */
  data: { subnet: "172.30.2.0/24", internal: true },
  /** Prometheus, exporters, Grafana, Loki, promtail, Alertmanager. */
  monitoring: { subnet: "172.30.3.0/24", internal: true },
  /** Outbound only (Stripe, email, R2/B2, ACME): no service listens on it. */
  egress: { subnet: "172.30.4.0/24", internal: false },
} as const;
export type NetworkName = keyof typeof NETWORKS;

/** PostgreSQL's fixed address on `data`: the target of the administrators' SSH tunnel. */
export const POSTGRES_DATA_ADDRESS = "172.30.2.10";

/** Named volumes for everything that must outlive a container (checklist 11.7). */
export const VOLUMES = [
  "postgres-data", "postgres-socket", "pgbackrest-repo", "pgbackrest-spool",
  "redis-data", "static", "media", "letsencrypt", "acme-webroot", "nginx-logs",
  "prometheus-data", "alertmanager-data", "grafana-data", "loki-data", "promtail-positions",
  "node-textfile",
] as const;
export type VolumeName = (typeof VOLUMES)[number];

export interface DockerTopologyArgs {
  readonly stack: string;
}

export class DockerTopology extends pulumi.ComponentResource {
  readonly networks: Record<NetworkName, docker.Network>;
  readonly volumes: Record<VolumeName, docker.Volume>;

  constructor(name: string, args: DockerTopologyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jewelry-shop:index:DockerTopology", name, {}, opts);
    const labels = [{ label: "com.jewelry-shop.stack", value: args.stack }];

    const networks = {} as Record<NetworkName, docker.Network>;
    for (const [purpose, spec] of Object.entries(NETWORKS) as [NetworkName, (typeof NETWORKS)[NetworkName]][]) {
      networks[purpose] = new docker.Network(`${name}-${purpose}`, {
        name: `jewelry-${purpose}`,
        driver: "bridge",
        internal: spec.internal,
        attachable: false,
        ipamConfigs: [{ subnet: spec.subnet }],
        labels,
      }, { parent: this });
    }
    this.networks = networks;

    const volumes = {} as Record<VolumeName, docker.Volume>;
    for (const volume of VOLUMES) {
      volumes[volume] = new docker.Volume(`${name}-${volume}`, {
        name: `jewelry-${volume}`,
        driver: "local",
        labels,
      }, { parent: this, protect: args.stack === "production" && isPersistentData(volume) });
    }
    this.volumes = volumes;

    this.registerOutputs({});
  }
}

/** Volumes whose loss loses customer data: protected from `pulumi destroy` in production. */
function isPersistentData(volume: VolumeName): boolean {
  return ["postgres-data", "pgbackrest-repo", "media", "redis-data"].includes(volume);
}

// Grafana provisioning: data sources with fixed uids (dashboards refer to them by uid, so a
// re-created Grafana keeps working) and a file provider for the dashboards in ./dashboards.
import { toYamlText } from "./yaml-text";

export const GRAFANA_DATASOURCE_UIDS = { prometheus: "jewelry-prometheus", loki: "jewelry-loki" } as const;

export interface GrafanaProvisioningArgs {
  /** e.g. "http://prometheus:9090" */
  prometheusUrl: string;
  /** e.g. "http://loki:3100" */
  lokiUrl: string;
  /** Folder (inside the container) holding the dashboard JSON files. */
  dashboardsPath?: string;
  /** Grafana folder the dashboards appear in. */
  folder?: string;
}

export const DEFAULT_GRAFANA_DASHBOARDS_PATH = "/var/lib/grafana/dashboards";

function assertHttpUrl(what: string, url: string): void {
  if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(url)) throw new Error(`${what} must be an http(s) URL, got "${url}"`);
}

/** provisioning/datasources/datasources.yaml */
export function renderGrafanaDatasources(args: GrafanaProvisioningArgs): string {
  assertHttpUrl("prometheusUrl", args.prometheusUrl);
  assertHttpUrl("lokiUrl", args.lokiUrl);
  return toYamlText({
    apiVersion: 1,
    datasources: [
      {
        name: "Prometheus",
        uid: GRAFANA_DATASOURCE_UIDS.prometheus,
        type: "prometheus",
        access: "proxy",
        url: args.prometheusUrl,
        isDefault: true,
        // Provisioned, so edits in the UI would be lost on restart: forbid them.
        editable: false,
        jsonData: { timeInterval: "15s" },
      },
      {
        name: "Loki",
        uid: GRAFANA_DATASOURCE_UIDS.loki,
        type: "loki",
        access: "proxy",
        url: args.lokiUrl,
        editable: false,
        jsonData: { maxLines: 1000 },
      },
    ],
  });
}

/** provisioning/dashboards/jewelry-shop.yaml */
export function renderGrafanaDashboardProvider(args: Pick<GrafanaProvisioningArgs, "dashboardsPath" | "folder"> = {}): string {
  const path = args.dashboardsPath ?? DEFAULT_GRAFANA_DASHBOARDS_PATH;
  if (!path.startsWith("/")) throw new Error(`dashboardsPath must be absolute, got "${path}"`);
  return toYamlText({
    apiVersion: 1,
    providers: [
      {
        name: "jewelry-shop",
        folder: args.folder ?? "jewelry-shop",
        type: "file",
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 60,
        options: { path },
      },
    ],
  });
}

// Minimal typed model of Grafana dashboard JSON (schemaVersion 39) and builders for the few panel
// kinds the jewelry-shop dashboards use.
import { GRAFANA_DATASOURCE_UIDS } from "../grafana-provisioning";

export interface DatasourceRef {
  type: "prometheus" | "loki";
  uid: string;
}

export interface PanelTarget {
  refId: string;
  expr: string;
  legendFormat?: string;
  datasource: DatasourceRef;
}

export interface GrafanaPanel {
  id: number;
  type: "timeseries" | "stat" | "logs";
  title: string;
  datasource: DatasourceRef;
  gridPos: { x: number; y: number; w: number; h: number };
  targets: PanelTarget[];
  fieldConfig: { defaults: { unit?: string; min?: number; max?: number }; overrides: [] };
  options: Record<string, unknown>;
}

export interface GrafanaDashboard {
  uid: string;
  title: string;
  tags: string[];
  timezone: "browser" | "utc";
  schemaVersion: number;
  version: number;
  editable: boolean;
  refresh: string;
  time: { from: string; to: string };
  panels: GrafanaPanel[];
}

export const PROMETHEUS: DatasourceRef = { type: "prometheus", uid: GRAFANA_DATASOURCE_UIDS.prometheus };
export const LOKI: DatasourceRef = { type: "loki", uid: GRAFANA_DATASOURCE_UIDS.loki };

export interface PanelSpec {
  title: string;
  /** [expr, legend] pairs. */
  queries: ReadonlyArray<readonly [string, string]>;
  unit?: string;
  kind?: "timeseries" | "stat" | "logs";
}

const PANEL_WIDTH = 12;
const PANEL_HEIGHT = 8;

/** A dashboard whose panels flow two per row in the order given; log panels take a full row. */
export function dashboard(uid: string, title: string, specs: readonly PanelSpec[]): GrafanaDashboard {
  let x = 0;
  let y = 0;
  const panels = specs.map((spec, index): GrafanaPanel => {
    const kind = spec.kind ?? "timeseries";
    const datasource = kind === "logs" ? LOKI : PROMETHEUS;
    const width = kind === "logs" ? 24 : PANEL_WIDTH;
    if (x + width > 24) {
      x = 0;
      y += PANEL_HEIGHT;
    }
    const gridPos = { x, y, w: width, h: PANEL_HEIGHT };
    x += width;
    return {
      id: index + 1,
      type: kind,
      title: spec.title,
      datasource,
      gridPos,
      targets: spec.queries.map(([expr, legendFormat], q) => ({
        refId: String.fromCharCode(65 + q),
        expr,
        legendFormat,
        datasource,
      })),
      fieldConfig: { defaults: spec.unit ? { unit: spec.unit } : {}, overrides: [] },
      options: kind === "logs" ? { showTime: true, wrapLogMessage: true, sortOrder: "Descending" } : {},
    };
  });
  return {
    uid,
    title,
    tags: ["jewelry-shop"],
    timezone: "utc",
    schemaVersion: 39,
    version: 1,
    editable: false,
    refresh: "1m",
    time: { from: "now-6h", to: "now" },
    panels,
  };
}

// Monitoring configuration renderers for jewelry-shop: pure functions from typed args to file text.
export * from "./prometheus-config";
export * from "./alert-rules";
export * from "./alertmanager-config";
export * from "./grafana-provisioning";
export * from "./dashboards";
export * from "./loki-config";
export * from "./promtail-config";
export * from "./blackbox-config";

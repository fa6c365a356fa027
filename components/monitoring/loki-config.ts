// Loki 3.x single-binary config: filesystem storage, TSDB index, retention enforced by the
// compactor. auth_enabled is false because Loki listens only on the internal monitoring network
// (no published port); multi-tenancy would add an X-Scope-OrgID header for nothing.
import { durationSeconds, toYamlText } from "./yaml-text";

export interface LokiConfigArgs {
  /** How long logs are kept, e.g. "744h" (31 days); a multiple of 24h, the index period. */
  retentionPeriod: string;
  httpPort?: number;
  /** Data folder inside the container (a volume). */
  dataDir?: string;
  /** First day of the schema; never change it for existing data. */
  schemaFrom?: string;
}

const INDEX_PERIOD_HOURS = 24;

export function renderLokiConfig(args: LokiConfigArgs): string {
  const retentionHours = durationSeconds(args.retentionPeriod) / 3600;
  if (retentionHours < INDEX_PERIOD_HOURS || retentionHours % INDEX_PERIOD_HOURS !== 0) {
    throw new Error(`retentionPeriod must be a positive multiple of ${INDEX_PERIOD_HOURS}h, got "${args.retentionPeriod}"`);
  }
  const dataDir = args.dataDir ?? "/loki";
  const schemaFrom = args.schemaFrom ?? "2024-01-01";
  if (!/^\d{4}-\d{2}-\d{2}$/.test(schemaFrom)) throw new Error(`schemaFrom must be YYYY-MM-DD, got "${schemaFrom}"`);

  return toYamlText({
    auth_enabled: false,
    server: { http_listen_port: args.httpPort ?? 3100, grpc_listen_port: 9096, log_level: "warn" },
    common: {
      instance_addr: "127.0.0.1",
      path_prefix: dataDir,
      storage: { filesystem: { chunks_directory: `${dataDir}/chunks`, rules_directory: `${dataDir}/rules` } },
      replication_factor: 1,
      ring: { kvstore: { store: "inmemory" } },
    },
    schema_config: {
      configs: [
        { from: schemaFrom, store: "tsdb", object_store: "filesystem", schema: "v13", index: { prefix: "index_", period: `${INDEX_PERIOD_HOURS}h` } },
      ],
    },
    limits_config: {
      retention_period: args.retentionPeriod,
      reject_old_samples: true,
      reject_old_samples_max_age: "168h",
    },
    compactor: {
      working_directory: `${dataDir}/compactor`,
      compaction_interval: "10m",
      // Without retention_enabled, retention_period is silently ignored and the disk fills.
      retention_enabled: true,
      retention_delete_delay: "2h",
      delete_request_store: "filesystem",
    },
    analytics: { reporting_enabled: false },
  });
}

// The PostgreSQL settings the pack judges, with their type, base unit and built-in default
// (PostgreSQL 16; the same in 15 for every entry here), and the value parsers of guc.c: booleans
// by unique prefix, integers with unit suffixes converted and rounded to the base unit, enums by
// case-insensitive name. A value a parser rejects makes PostgreSQL refuse to start.

export type GucSpec =
  | { readonly type: "bool"; readonly default: boolean }
  | { readonly type: "int"; readonly unit?: "s" | "ms" | "min" | "kB" | "8kB" | "MB"; readonly default: number; readonly min: number; readonly max: number }
  | { readonly type: "enum"; readonly options: Readonly<Record<string, string>>; readonly default: string }
  | { readonly type: "string"; readonly default: string };

const bool = (value: boolean): GucSpec => ({ type: "bool", default: value });
const int = (value: number, min: number, max: number, unit?: "s" | "ms" | "min" | "kB" | "8kB" | "MB"): GucSpec => ({ type: "int", unit, default: value, min, max });
const str = (value: string): GucSpec => ({ type: "string", default: value });
/** Accepted spellings (lower case) -> the canonical value pg_settings shows. */
const enumOf = (value: string, options: Readonly<Record<string, string>>): GucSpec => ({ type: "enum", options, default: value });
const canonical = (...names: string[]) => Object.fromEntries(names.map((n) => [n.toLowerCase(), n]));

const INT_MAX = 2147483647;
const TLS_VERSIONS = canonical("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3");

export const GUCS: Readonly<Record<string, GucSpec>> = {
  listen_addresses: str("localhost"),
  port: int(5432, 1, 65535),
  max_connections: int(100, 1, 262143),
  superuser_reserved_connections: int(3, 0, 262143),
  /** PostgreSQL 16. */
  reserved_connections: int(0, 0, 262143),
  unix_socket_directories: str("/var/run/postgresql"),
  hba_file: str(""),
  ident_file: str(""),
  data_directory: str(""),
  password_encryption: enumOf("scram-sha-256", canonical("md5", "scram-sha-256")),
  ssl: bool(false),
  ssl_cert_file: str("server.crt"),
  ssl_key_file: str("server.key"),
  ssl_ca_file: str(""),
  ssl_min_protocol_version: enumOf("TLSv1.2", TLS_VERSIONS),
  ssl_max_protocol_version: enumOf("", { "": "", ...TLS_VERSIONS }),
  wal_level: enumOf("replica", { minimal: "minimal", replica: "replica", logical: "logical", archive: "replica", hot_standby: "replica" }),
  archive_mode: enumOf("off", {
    always: "always", on: "on", off: "off", true: "on", false: "off", yes: "on", no: "off", "1": "on", "0": "off",
  }),
  archive_command: str(""),
  archive_library: str(""),
  archive_timeout: int(0, 0, INT_MAX / 2, "s"),
  statement_timeout: int(0, 0, INT_MAX, "ms"),
  idle_in_transaction_session_timeout: int(0, 0, INT_MAX, "ms"),
  log_connections: bool(false),
  log_disconnections: bool(false),
  log_min_duration_statement: int(-1, -1, INT_MAX, "ms"),
  shared_preload_libraries: str(""),
  fsync: bool(true),
};

export const gucSpec = (name: string): GucSpec | undefined => GUCS[name.toLowerCase()];

/** Settings only a restart changes (PGC_POSTMASTER): a file line for one that the command line sets differently is not applied. */
export const POSTMASTER_GUCS: ReadonlySet<string> = new Set([
  "listen_addresses", "port", "max_connections", "superuser_reserved_connections", "reserved_connections", "unix_socket_directories",
  "hba_file", "ident_file", "data_directory", "config_file", "wal_level", "archive_mode", "shared_preload_libraries", "shared_buffers",
  "max_wal_senders", "max_worker_processes", "max_replication_slots", "wal_buffers", "huge_pages", "max_prepared_transactions",
  "max_locks_per_transaction", "ssl_library", "dynamic_shared_memory_type", "logging_collector", "track_commit_timestamp",
]);

/** parse_bool: true/false/yes/no by any prefix, on/off by two letters or more, 1/0; any case. */
export function parsePostgresBool(value: string): boolean | undefined {
  const v = value.toLowerCase();
  if (v === "") return undefined;
  const prefixOf = (word: string, minimum = 1) => v.length >= minimum && word.startsWith(v);
  if (prefixOf("true") || prefixOf("yes") || prefixOf("on", 2) || v === "1") return true;
  if (prefixOf("false") || prefixOf("no") || prefixOf("off", 2) || v === "0") return false;
  return undefined;
}

// Conversion factors to each base unit (guc.c's memory and time unit tables).
const MEMORY_KB: Readonly<Record<string, number>> = { B: 1 / 1024, kB: 1, MB: 1024, GB: 1024 ** 2, TB: 1024 ** 3 };
const TIME_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };
const BASE_IN_KB: Readonly<Record<string, number>> = { kB: 1, "8kB": 8, MB: 1024 };
const BASE_IN_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, min: 60_000 };

/** parse_int: strtol base 0 (0x hex, leading-0 octal) or a real rounded, then an optional unit. */
export function parsePostgresInt(value: string, unit?: string): number | undefined {
  const match = /^\s*([-+]?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?))\s*([A-Za-z]*)\s*$/.exec(value);
  if (!match) return undefined;
  const [, digits, suffix] = match as unknown as [string, string, string];
  let number: number;
  if (/^[-+]?0[xX]/.test(digits)) number = Number.parseInt(digits.replace(/0[xX]/, ""), 16) * (digits.startsWith("-") ? -1 : 1);
  else if (/^[-+]?0\d+$/.test(digits)) number = Number.parseInt(digits, 8);
  else number = Number(digits);
  if (!Number.isFinite(number)) return undefined;
  if (suffix !== "") {
    if (unit === undefined) return undefined;
    const memory = BASE_IN_KB[unit];
    const time = BASE_IN_MS[unit];
    if (memory !== undefined && MEMORY_KB[suffix] !== undefined) number = (number * MEMORY_KB[suffix]) / memory;
    else if (time !== undefined && TIME_MS[suffix] !== undefined) number = (number * TIME_MS[suffix]) / time;
    else return undefined;
  }
  // rint(): halves to even.
  const floor = Math.floor(number);
  const diff = number - floor;
  return diff > 0.5 || (diff === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
}

export type GucValue = boolean | number | string;

/** The typed value of `raw` for setting `name`, or undefined when PostgreSQL would reject it. */
export function parseGucValue(name: string, raw: string): GucValue | undefined {
  const spec = gucSpec(name);
  if (!spec) return raw;
  switch (spec.type) {
    case "bool":
      return parsePostgresBool(raw);
    case "int": {
      const n = parsePostgresInt(raw, spec.unit);
      return n !== undefined && n >= spec.min && n <= spec.max ? n : undefined;
    }
    case "enum":
      return spec.options[raw.toLowerCase()];
    case "string":
      return raw;
  }
}

/** The value pg_settings.setting shows for a typed value (booleans as on/off). */
export const settingText = (value: GucValue): string => (typeof value === "boolean" ? (value ? "on" : "off") : String(value));

// The checks' names, in run order, without loading them (the CLI validates --skip and exemptions
// before the probes' libraries load); tests/verify/verify-units.test.ts keeps it equal to CHECKS.
export const CHECK_NAMES: readonly string[] = [
  "https", "http-redirect", "health", "admin", "csrf", "login", "tls", "certificate", "rate-limit", "headers", "ports", "dns",
  "containers", "row-level-security", "redis-auth", "backups", "wal-archiving", "restore-drill", "prometheus", "alertmanager", "celery",
];

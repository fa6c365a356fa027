// Where pgBackRest's repositories are reached from: the backup container is the repository host.
// It owns every repository (local volume, R2, B2) and their secrets, and serves them over TLS
// (`pgbackrest server`) to the PostgreSQL container, which pushes WAL there and holds no secret.

/** The one stanza: the production cluster. */
export const PGBACKREST_STANZA = "main";

/** The repository host on the internal `data` network. */
export const REPOSITORY_HOST = {
  /** Container name: its DNS name on `data`, and the name its TLS certificate carries. */
  host: "jewelry-backup",
  /**
   * Fixed address the TLS server binds to, so it listens on `data` only and never on `egress`.
   * High in the /24: Docker hands out dynamic addresses from the bottom of the range.
   */
  address: "172.30.2.250",
  port: 8432,
  /** repo1 local, repo2 R2, repo3 B2 (components/backup/backups.ts). archive-push pushes to each. */
  repos: [1, 2, 3],
} as const;

/** CN of the PostgreSQL container's client certificate; the repository host authorizes it for the stanza. */
export const PG_HOST_CLIENT_CN = "jewelry-postgres";

/** Where the TLS files live in both containers (pgBackRest reads them; the key is the postgres user's). */
export const PGBACKREST_TLS_PATHS = {
  dir: "/etc/pgbackrest/tls",
  ca: "/etc/pgbackrest/tls/ca.crt",
  cert: "/etc/pgbackrest/tls/pgbackrest.crt",
  key: "/etc/pgbackrest/tls/pgbackrest.key",
} as const;

// libpq's password file (~/.pgpass) for the backup jobs' connection to PostgreSQL. Pure renderer.
// A file rather than PGPASSWORD: the jobs run from cron, which does not pass the container's
// environment on, while libpq finds ~/.pgpass from the job's HOME (the postgres user's home).

export interface PgpassEntry {
  /** Default "*": any host, including the unix socket ("localhost" matches a socket too). */
  host?: string;
  /** Default "*". */
  port?: number | "*";
  /** Default "*". */
  database?: string;
  user: string;
  password: string;
}

/** libpq reads `:` as the field separator and `\` as escape: both are escaped inside a field. */
function field(label: string, value: string): string {
  if (value === "" || /[\r\n]/.test(value)) throw new Error(`.pgpass ${label} must be one non-empty line`);
  return value.replace(/[\\:]/g, (c) => `\\${c}`);
}

/** The file text, one `host:port:database:user:password` line per entry (libpq uses the first match). */
export function renderPgpass(entries: readonly PgpassEntry[]): string {
  if (entries.length === 0) throw new Error(".pgpass needs at least one entry");
  return entries.map((e) => {
    const port = e.port ?? "*";
    if (port !== "*" && !(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new RangeError(`invalid port: ${port}`);
    const host = e.host ?? "*";
    const database = e.database ?? "*";
    return [host === "*" ? "*" : field("host", host), String(port), database === "*" ? "*" : field("database", database),
      field("user", e.user), field("password", e.password)].join(":");
  }).join("\n") + "\n";
}

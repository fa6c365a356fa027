// Row-level security as it is in the running PostgreSQL (3.4): every declared tenant table has RLS
// enabled and forced with a policy, the app role is no superuser, has no BYPASSRLS and owns none of
// them, and as that role, in a read-only transaction with no tenant set, each table shows 0 rows and
// `row_security = off` is refused. And WAL archiving (13.6): archive_mode on, no failure since the last
// success, no segment waiting to be archived beyond the one just finished.
import * as tls from "node:tls";
import { Client } from "pg";
import { missingCredentials } from "../../credentials";
import { result, unreachable, type Check, type VerifyContext } from "../context";
import type { CheckResult } from "../../report";
import { withForward } from "./reach";

async function withDatabase<T>(ctx: VerifyContext, use: (client: Client) => Promise<T>): Promise<T> {
  const app = ctx.intent.app!;
  const credentials = ctx.credentials.postgres!;
  return withForward(ctx, app.database.server, app.database.port, async (port, container) => {
    const ca = ctx.credentials.internalCaCert;
    const client = new Client({
      host: "127.0.0.1", port, user: credentials.user, password: credentials.password, database: app.database.name,
      connectionTimeoutMillis: 10_000, statement_timeout: 20_000, query_timeout: 30_000,
      // TLS as the server requires it; verified against the internal CA when the credentials carry it.
      ssl: ca ? { ca, checkServerIdentity: (_host, cert) => tls.checkServerIdentity(container, cert) } : { rejectUnauthorized: false },
    });
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.end();
    }
  });
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

export const rowLevelSecurity: Check = {
  name: "row-level-security",
  where: "inside",
  ids: ["3.4"],
  summary: "every tenant table has RLS enabled and forced; the app role cannot bypass it and sees 0 rows with no tenant set",
  async run(ctx) {
    const app = ctx.intent.app;
    if (!app || app.database.tenantTables.length === 0) return [result("row-level-security", ["3.4"], "tenant tables", "fail", "the program declares no tenant table under row-level security")];
    if (!ctx.credentials.postgres) return [{ ...result("row-level-security", ["3.4"], app.database.server, "skipped", "not connected"), reason: missingCredentials("postgres") }];
    const role = app.database.appRole;
    try {
      return await withDatabase(ctx, async (client) => {
        const results: CheckResult[] = [];
        const roleRow = (await client.query<{ rolsuper: boolean; rolbypassrls: boolean }>("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1", [role])).rows[0];
        results.push(result("row-level-security", ["3.4"], `role ${role}`, roleRow && !roleRow.rolsuper && !roleRow.rolbypassrls ? "pass" : "fail",
          roleRow ? `superuser ${roleRow.rolsuper}, bypassrls ${roleRow.rolbypassrls}` : "no such role", "no superuser, no BYPASSRLS"));
        for (const t of app.database.tenantTables) {
          const name = `${t.schema}.${t.table}`;
          const row = (await client.query<{ enabled: boolean; forced: boolean; policies: string; owner: string }>(
            `SELECT c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced, pg_get_userbyid(c.relowner) AS owner,
                    (SELECT count(*) FROM pg_policies p WHERE p.schemaname = n.nspname AND p.tablename = c.relname) AS policies
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`, [t.schema, t.table])).rows[0];
          if (!row) {
            results.push(result("row-level-security", ["3.4"], name, "fail", "no such table", "RLS enabled and forced"));
            continue;
          }
          // As the app role, reading only: no tenant set, then RLS switched off.
          let visible = "?";
          let bypass = "?";
          await client.query("BEGIN READ ONLY");
          try {
            await client.query(`SET LOCAL ROLE ${quoteIdent(role)}`);
            visible = (await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(t.schema)}.${quoteIdent(t.table)}`)).rows[0]!.n;
            await client.query("SAVEPOINT bypass");
            try {
              await client.query("SET LOCAL row_security = off");
              await client.query(`SELECT 1 FROM ${quoteIdent(t.schema)}.${quoteIdent(t.table)} LIMIT 1`);
              bypass = "allowed";
            } catch (err) {
              bypass = `refused (${(err as Error).message})`;
              await client.query("ROLLBACK TO SAVEPOINT bypass");
            }
          } finally {
            await client.query("ROLLBACK");
          }
          const ok = row.enabled && row.forced && Number(row.policies) > 0 && row.owner !== role && visible === "0" && bypass.startsWith("refused");
          results.push(result("row-level-security", ["3.4"], name, ok ? "pass" : "fail",
            `enabled ${row.enabled}, forced ${row.forced}, ${row.policies} policies, owner ${row.owner}; as ${role} with no tenant: ${visible} rows, row_security=off ${bypass}`,
            `enabled and forced with a policy, not owned by ${role}, 0 rows with no tenant, row_security=off refused`));
        }
        return results;
      });
    } catch (err) {
      return [unreachable("row-level-security", ["3.4"], app.database.server, err)];
    }
  },
};

export const walArchiving: Check = {
  name: "wal-archiving",
  where: "inside",
  ids: ["13.6"],
  summary: "WAL archiving is on, has not failed since its last success, and no segment waits",
  async run(ctx) {
    const app = ctx.intent.app;
    if (!app) return [];
    if (!ctx.credentials.postgres) return [{ ...result("wal-archiving", ["13.6"], app.database.server, "skipped", "not connected"), reason: missingCredentials("postgres") }];
    try {
      return await withDatabase(ctx, async (client) => {
        const mode = (await client.query<{ archive_mode: string }>("SHOW archive_mode")).rows[0]!.archive_mode;
        const a = (await client.query<{ archived_count: string; last_archived_wal: string | null; last_archived_time: Date | null; failed_count: string; last_failed_wal: string | null; last_failed_time: Date | null; current: string }>(
          "SELECT archived_count, last_archived_wal, last_archived_time, failed_count, last_failed_wal, last_failed_time, pg_walfile_name(pg_current_wal_lsn()) AS current FROM pg_stat_archiver")).rows[0]!;
        const ready = Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'")).rows[0]!.n);
        const failedSince = a.last_failed_time !== null && (a.last_archived_time === null || a.last_failed_time > a.last_archived_time);
        const ok = mode !== "off" && !failedSince && ready <= 1;
        return [result("wal-archiving", ["13.6"], `${app.database.server} archiver`, ok ? "pass" : "fail",
          `archive_mode ${mode}; ${a.archived_count} archived, last ${a.last_archived_wal ?? "none"} at ${a.last_archived_time?.toISOString() ?? "never"}; ${a.failed_count} failed${a.last_failed_time ? `, last ${a.last_failed_wal} at ${a.last_failed_time.toISOString()}` : ""}; ${ready} segment(s) waiting; current ${a.current}`,
          "archive_mode on, no failure after the last success, at most one segment waiting")];
      });
    } catch (err) {
      return [unreachable("wal-archiving", ["13.6"], app.database.server, err)];
    }
  },
};

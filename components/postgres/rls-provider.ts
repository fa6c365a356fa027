// TenantIsolation: a Pulumi dynamic resource that enables and FORCEs row-level security on tenant
// tables and keeps one tenant-isolation policy per table in step with the program.
//
// Identity is the database (connection.database): changing it replaces the resource. Host, port,
// user, password and TLS only say how to reach it, so they update in place (a moved server carries
// its data with it; replacing would drop the policies on the same database after re-creating them).
// Every operation runs in one transaction, so a failure leaves the previous policies intact.
// `pg` is required inside the methods: Pulumi serializes the provider's code, not its imports.
import * as pulumi from "@pulumi/pulumi";
import type { Client } from "pg";
import {
  DEFAULT_POLICY_NAME, DEFAULT_TENANT_SETTING, rlsStatements, tableKey,
  type ResolvedTenantTable, type TenantTable,
} from "./rls-sql";
import { containsUnknown, isUnknown } from "../dynamic/unknowns";

export type PgSslMode = "disable" | "require" | "verify-full";

export interface PgConnection {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** Default "verify-full". */
  sslmode?: PgSslMode;
  /** PEM text of the CA that signed the server certificate (verify-full). */
  sslRootCert?: string;
}

export interface TenantIsolationInputs {
  /** Must be the tables' owner (ALTER TABLE and CREATE POLICY need ownership). */
  connection: PgConnection;
  tables: TenantTable[];
  /** Default "app.current_tenant". */
  settingName?: string;
  /** Default "tenant_isolation". */
  policyName?: string;
  /**
   * Identity of the run that last built the tables (the migrate job's container id). A new migration
   * may drop and re-create a tenant table without its policy, so a new value applies everything again.
   */
  schemaBuild?: string;
}

export interface TenantIsolationOutputs {
  connection: PgConnection;
  /** The tables this resource put under the policy: what an update or delete must undo. */
  tables: Array<Required<TenantTable>>;
  settingName: string;
  policyName: string;
  schemaBuild?: string;
  /** "schema.table" of every one of `tables` that carries the policy with RLS enabled and forced, as last seen. */
  isolatedTables: string[];
}

function normalize(inputs: TenantIsolationInputs): TenantIsolationOutputs {
  const tables = inputs.tables
    .map((t) => ({ schema: t.schema ?? "public", table: t.table, tenantColumn: t.tenantColumn }))
    .sort((a, b) => tableKey(a).localeCompare(tableKey(b)));
  return {
    connection: { ...inputs.connection, sslmode: inputs.connection.sslmode ?? "verify-full" },
    tables,
    settingName: inputs.settingName ?? DEFAULT_TENANT_SETTING,
    policyName: inputs.policyName ?? DEFAULT_POLICY_NAME,
    ...(inputs.schemaBuild === undefined ? {} : { schemaBuild: inputs.schemaBuild }),
    isolatedTables: tables.map(tableKey),
  };
}

function sslOption(c: PgConnection): false | { ca?: string; rejectUnauthorized: boolean } {
  switch (c.sslmode ?? "verify-full") {
    case "disable":
      return false;
    case "require":
      return { rejectUnauthorized: false };
    case "verify-full":
      return { ca: c.sslRootCert, rejectUnauthorized: true };
  }
}

/** Runs `work` inside BEGIN/COMMIT on a fresh connection; rolls back on any error. */
async function inTransaction<T>(c: PgConnection, work: (client: Client) => Promise<T>): Promise<T> {
  const pg = require("pg") as typeof import("pg");
  const client = new pg.Client({ host: c.host, port: c.port, database: c.database, user: c.user, password: c.password, ssl: sslOption(c) });
  await client.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

/** Looks up each tenant column's type so the setting is cast to exactly that type. */
async function resolveTables(client: Client, tables: Array<Required<TenantTable>>): Promise<ResolvedTenantTable[]> {
  const resolved: ResolvedTenantTable[] = [];
  for (const t of tables) {
    const { rows } = await client.query<{ column_type: string }>(
      `SELECT format_type(a.atttypid, a.atttypmod) AS column_type
         FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = to_regclass(quote_ident($1) || '.' || quote_ident($2))
          AND a.attname = $3 AND a.attnum > 0 AND NOT a.attisdropped`,
      [t.schema, t.table, t.tenantColumn],
    );
    if (rows.length !== 1) throw new Error(`tenant column ${t.tenantColumn} not found on ${tableKey(t)}`);
    resolved.push({ ...t, columnType: rows[0].column_type });
  }
  return resolved;
}

async function reconcile(news: TenantIsolationOutputs, previous?: TenantIsolationOutputs): Promise<void> {
  await inTransaction(news.connection, async (client) => {
    const tables = await resolveTables(client, news.tables);
    const plan = {
      desired: { tables, settingName: news.settingName, policyName: news.policyName },
      previous: previous && { tables: previous.tables, policyName: previous.policyName },
    };
    for (const sql of rlsStatements(plan)) await client.query(sql);
  });
}

function comparable(o: TenantIsolationOutputs): string {
  return JSON.stringify([o.tables, o.settingName, o.policyName, o.schemaBuild ?? null]);
}

/** A refresh found a table of ours without its policy, RLS or FORCE: the next update re-applies it. */
function drifted(olds: TenantIsolationOutputs): boolean {
  return JSON.stringify(olds.isolatedTables ?? []) !== JSON.stringify(olds.tables.map(tableKey));
}

export const tenantIsolationProvider: pulumi.dynamic.ResourceProvider<TenantIsolationInputs, TenantIsolationOutputs> = {
  async check(_olds, news) {
    // During a preview any input may still be unknown (an engine sentinel string): judge only what is known.
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (!containsUnknown(news.tables)) {
      if (!news.tables || news.tables.length === 0) failures.push({ property: "tables", reason: "list at least one tenant table" });
      const keys = (news.tables ?? []).map(tableKey);
      if (new Set(keys).size !== keys.length) failures.push({ property: "tables", reason: "a table is listed twice" });
    }
    const connection = news.connection;
    if (!isUnknown(connection) && connection?.sslmode === "verify-full" && !connection.sslRootCert) {
      failures.push({ property: "connection", reason: "sslmode verify-full needs sslRootCert (PEM)" });
    }
    return { inputs: news, failures };
  },

  async diff(_id, olds, news) {
    // The database is the resource's identity; everything else updates in place. At preview the
    // connection is unknown whenever a credential is (a new or rotated password): that says nothing
    // about the database, so it is an update. `pulumi up` diffs again with every value known.
    const database = isUnknown(news.connection) ? news.connection : news.connection.database;
    const replaces = !isUnknown(database) && olds.connection.database !== database ? ["connection"] : [];
    if (containsUnknown(news)) return { changes: true, replaces, deleteBeforeReplace: false };
    const next = normalize(news);
    const changes =
      replaces.length > 0 ||
      drifted(olds) ||
      comparable(olds) !== comparable(next) ||
      JSON.stringify(olds.connection) !== JSON.stringify(next.connection);
    return { changes, replaces, deleteBeforeReplace: false };
  },

  async create(inputs) {
    const outs = normalize(inputs);
    await reconcile(outs);
    const c = outs.connection;
    return { id: `${c.host}:${c.port}/${c.database}/${outs.policyName}`, outs };
  },

  async update(_id, olds, news) {
    const outs = normalize(news);
    await reconcile(outs, olds);
    return { outs };
  },

  // Reports only the tables that still carry the policy with RLS enabled and forced, so drift shows up.
  async read(id, props) {
    if (!props) return { id };
    const isolated = await inTransaction(props.connection, async (client) => {
      const { rows } = await client.query<{ key: string }>(
        `SELECT n.nspname || '.' || c.relname AS key
           FROM pg_catalog.pg_class c
           JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_catalog.pg_policy p ON p.polrelid = c.oid AND p.polname = $1
          WHERE c.relrowsecurity AND c.relforcerowsecurity`,
        [props.policyName],
      );
      return new Set(rows.map((r) => r.key));
    });
    // `tables` stays what this resource installed, so that removing a table from the program later
    // still drops whatever is left of its policy; the drift shows in isolatedTables and diff repairs it.
    const isolatedTables = props.tables.map(tableKey).filter((key) => isolated.has(key));
    return { id, props: { ...props, isolatedTables } };
  },

  async delete(_id, props) {
    await inTransaction(props.connection, async (client) => {
      const plan = { previous: { tables: props.tables, policyName: props.policyName } };
      for (const sql of rlsStatements(plan)) await client.query(sql);
    });
  },
};

export interface TenantIsolationArgs {
  connection: pulumi.Input<{
    host: pulumi.Input<string>;
    port: pulumi.Input<number>;
    database: pulumi.Input<string>;
    user: pulumi.Input<string>;
    password: pulumi.Input<string>;
    sslmode?: pulumi.Input<PgSslMode>;
    sslRootCert?: pulumi.Input<string>;
  }>;
  tables: pulumi.Input<Array<pulumi.Input<TenantTable>>>;
  settingName?: pulumi.Input<string>;
  policyName?: pulumi.Input<string>;
  /** The migrate job's id: a new migration run re-applies every policy (see TenantIsolationInputs). */
  schemaBuild?: pulumi.Input<string>;
}

/** Row-level tenant isolation on the listed tables, reconciled on every `pulumi up`. */
export class TenantIsolation extends pulumi.dynamic.Resource {
  declare readonly tables: pulumi.Output<Array<Required<TenantTable>>>;
  declare readonly settingName: pulumi.Output<string>;
  declare readonly policyName: pulumi.Output<string>;
  declare readonly isolatedTables: pulumi.Output<string[]>;

  constructor(name: string, args: TenantIsolationArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      tenantIsolationProvider,
      name,
      {
        // The connection carries the owner's password: keep it secret in inputs and in state.
        connection: pulumi.secret(args.connection),
        tables: args.tables,
        settingName: args.settingName,
        policyName: args.policyName,
        schemaBuild: args.schemaBuild,
        isolatedTables: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["connection"] }),
      "jewelry-shop",
      "TenantIsolation",
    );
  }
}

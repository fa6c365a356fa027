// Row-level security for tenant tables, as SQL statements (pure). Shared by the TenantIsolation
// dynamic provider and by tests.
//
// The policy compares the tenant column with a custom setting the app sets PER TRANSACTION
// (set_config(name, value, true) / SET LOCAL): with transaction pooling a session-level SET leaks to
// the next client on the same server connection. NULLIF(..., '') matters: once a setting has been
// set in a session, current_setting(name, true) returns '' (not NULL) after the transaction, and ''
// would either fail the cast or match nothing by accident; NULL makes "no tenant" mean "no rows".

export interface TenantTable {
  /** Default "public". */
  schema?: string;
  table: string;
  tenantColumn: string;
}

/** A tenant table with the column's SQL type as the database reports it (format_type). */
export interface ResolvedTenantTable extends TenantTable {
  columnType: string;
}

export interface RlsPlan {
  /** Tables that must end up isolated, with their tenant column types; absent on delete. */
  desired?: { tables: ResolvedTenantTable[]; settingName: string; policyName: string };
  /** What the previous apply installed; absent on create. */
  previous?: { tables: TenantTable[]; policyName: string };
}

export const DEFAULT_TENANT_SETTING = "app.current_tenant";
export const DEFAULT_POLICY_NAME = "tenant_isolation";

const SETTING_NAME = /^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/;
// What format_type() prints: letters, digits, spaces, parentheses, commas, quotes, brackets.
const COLUMN_TYPE = /^[A-Za-z0-9_ (),."[\]]+$/;

export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes("\0")) throw new Error("empty or invalid SQL identifier");
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** "schema.table" — the key tables are matched by across applies. */
export function tableKey(t: TenantTable): string {
  return `${t.schema ?? "public"}.${t.table}`;
}

function qualified(t: TenantTable): string {
  return `${quoteIdent(t.schema ?? "public")}.${quoteIdent(t.table)}`;
}

/** The expression both USING and WITH CHECK use. */
export function tenantPredicate(t: ResolvedTenantTable, settingName: string): string {
  if (!SETTING_NAME.test(settingName)) throw new Error(`setting name must look like "app.current_tenant", got ${JSON.stringify(settingName)}`);
  if (!COLUMN_TYPE.test(t.columnType)) throw new Error(`unexpected column type ${JSON.stringify(t.columnType)} for ${tableKey(t)}`);
  return `${quoteIdent(t.tenantColumn)} = NULLIF(current_setting(${quoteLiteral(settingName)}, true), '')::${t.columnType}`;
}

function applyStatements(t: ResolvedTenantTable, settingName: string, policyName: string): string[] {
  const table = qualified(t);
  const policy = quoteIdent(policyName);
  const predicate = tenantPredicate(t, settingName);
  const exists = `SELECT 1 FROM pg_catalog.pg_policies WHERE schemaname = ${quoteLiteral(t.schema ?? "public")} AND tablename = ${quoteLiteral(t.table)} AND policyname = ${quoteLiteral(policyName)}`;
  return [
    `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
    // FORCE: an owner without BYPASSRLS is filtered too. The migration role owns the tables and has
    // BYPASSRLS on purpose (a data migration sees every row); FORCE confines any other owner.
    `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`,
    // ALTER when present keeps the policy's identity, so re-applying the same inputs is a no-op.
    `DO $rls$ BEGIN
  IF EXISTS (${exists}) THEN
    ALTER POLICY ${policy} ON ${table} TO PUBLIC USING (${predicate}) WITH CHECK (${predicate});
  ELSE
    CREATE POLICY ${policy} ON ${table} AS PERMISSIVE FOR ALL TO PUBLIC USING (${predicate}) WITH CHECK (${predicate});
  END IF;
END $rls$`,
  ];
}

function removeStatements(t: TenantTable, policyName: string, disableRls: boolean): string[] {
  const table = qualified(t);
  const body = [
    `DROP POLICY IF EXISTS ${quoteIdent(policyName)} ON ${table};`,
    ...(disableRls ? [`ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY;`, `ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY;`] : []),
  ];
  // A table dropped since the last apply has nothing left to remove.
  return [`DO $rls$ BEGIN
  IF to_regclass(${quoteLiteral(table)}) IS NOT NULL THEN
    ${body.join("\n    ")}
  END IF;
END $rls$`];
}

/** Statements moving the database from `previous` to `desired`; run them in one transaction. */
export function rlsStatements(plan: RlsPlan): string[] {
  const statements: string[] = [];
  const desired = plan.desired;
  const desiredKeys = new Set((desired?.tables ?? []).map(tableKey));
  for (const t of plan.previous?.tables ?? []) {
    const stillIsolated = desiredKeys.has(tableKey(t));
    if (!stillIsolated) statements.push(...removeStatements(t, plan.previous!.policyName, true));
    else if (plan.previous!.policyName !== desired!.policyName) statements.push(...removeStatements(t, plan.previous!.policyName, false));
  }
  const seen = new Set<string>();
  for (const t of desired?.tables ?? []) {
    if (seen.has(tableKey(t))) throw new Error(`table listed twice: ${tableKey(t)}`);
    seen.add(tableKey(t));
    statements.push(...applyStatements(t, desired!.settingName, desired!.policyName));
  }
  return statements;
}

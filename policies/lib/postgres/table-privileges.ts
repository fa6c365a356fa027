// The table privileges a stack gives a role on one table, as PostgreSQL ends up holding them after
// @pulumi/postgresql (terraform-provider-postgresql) ran: a Grant with objectType "table" is
// `GRANT … ON <objects>` in its schema, or `ON ALL TABLES IN SCHEMA` when it names no objects; a
// DefaultPrivileges for tables is `ALTER DEFAULT PRIVILEGES FOR ROLE <owner> [IN SCHEMA <schema>]
// GRANT …`, which reaches every table that owner creates later (in any schema when none is named).
// "ALL" is every table privilege. A grant to PUBLIC is every role's; a grant to a role is usable by
// its members (SET ROLE, or inherited).
import type { PolicyResource } from "@pulumi/policy";
import { PG_DEFAULT_PRIVILEGES, PG_GRANT } from "../resource-types";
import { ofType } from "../stack-resources";
import { asArray, asString } from "../values";

/** PostgreSQL 15/16's table privileges (what GRANT ALL ON TABLE gives). */
export const TABLE_PRIVILEGES: readonly string[] = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"];

export interface TableRef {
  readonly schema: string;
  readonly table: string;
}

export interface TablePrivilegeGrant {
  readonly resource: PolicyResource;
  /** The role granted to ("public" for PUBLIC). */
  readonly grantee: string;
  readonly privileges: ReadonlySet<string>;
  /** "Grant …" or "DefaultPrivileges for tables <owner> creates …", for messages. */
  readonly how: string;
}

function privilegesOf(resource: PolicyResource): Set<string> {
  const named = asArray(resource.props.privileges).map((p) => String(p).toUpperCase());
  return new Set(named.includes("ALL") ? TABLE_PRIVILEGES : named);
}

/**
 * Grants of table privileges that reach `table` in `database`. `creators` are the roles that create
 * the table (default privileges of another owner never reach it); undefined when unknown, then every
 * owner's default privileges count.
 */
export function tablePrivilegeGrants(resources: readonly PolicyResource[], database: string, table: TableRef, creators: ReadonlySet<string> | undefined): TablePrivilegeGrant[] {
  const inDatabase = (r: PolicyResource) => (asString(r.props.database) ?? database) === database;
  const grants: TablePrivilegeGrant[] = [];
  for (const r of ofType(resources, PG_GRANT)) {
    if (asString(r.props.objectType) !== "table" || !inDatabase(r)) continue;
    if ((asString(r.props.schema) ?? "public") !== table.schema) continue;
    const objects = asArray(r.props.objects).map(String);
    if (objects.length > 0 && !objects.includes(table.table)) continue;
    const grantee = asString(r.props.role) ?? "";
    grants.push({ resource: r, grantee, privileges: privilegesOf(r), how: `Grant "${r.name}" on ${objects.length > 0 ? objects.join(", ") : `every table in schema ${table.schema}`}` });
  }
  for (const r of ofType(resources, PG_DEFAULT_PRIVILEGES)) {
    if (asString(r.props.objectType) !== "table" || !inDatabase(r)) continue;
    const schema = asString(r.props.schema);
    if (schema !== undefined && schema !== "" && schema !== table.schema) continue;
    const owner = asString(r.props.owner) ?? "";
    if (creators !== undefined && !creators.has(owner)) continue;
    const grantee = asString(r.props.role) ?? "";
    grants.push({ resource: r, grantee, privileges: privilegesOf(r), how: `DefaultPrivileges "${r.name}" for the tables ${owner} creates` });
  }
  return grants;
}

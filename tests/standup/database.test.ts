// The database objects the program declares exist in the running PostgreSQL as declared: roles with
// their attributes, limits and settings, the database, grants, default privileges, PgBouncer's auth
// function, extensions; and row-level security, applied by the program's own dynamic provider, on every tenant table.
import { beforeAll, describe, expect, it } from "vitest";
import { inputsOf } from "./program/declared-stack";
import type { StandUpInfo } from "./standup";
import { psql, psqlEach, standUp, standUpSkipped } from "./fixture";

type Inputs = Record<string, unknown>;
/** aclitem letters (https://www.postgresql.org/docs/current/ddl-priv.html). */
const ACL_LETTERS: Record<string, string> = { SELECT: "r", INSERT: "a", UPDATE: "w", DELETE: "d", USAGE: "U", EXECUTE: "X", CONNECT: "c", CREATE: "C", TEMPORARY: "T" };
const letters = (privileges: string[]) => privileges.map((p) => ACL_LETTERS[p]).sort().join("");
const DEFAULT_ACL_TYPES: Record<string, string> = { table: "r", sequence: "S", function: "f" };

describe.skipIf(standUpSkipped())("database objects in the running PostgreSQL", () => {
  let info: StandUpInfo;
  let declared: (type: string) => Inputs[];
  let database: string;
  beforeAll(async () => {
    info = await standUp();
    declared = (type) => info.declared.resources.filter((r) => r.type === type).map((r) => inputsOf(r) as Inputs);
    database = String(declared("postgresql:index/database:Database")[0].name);
  });

  it("has every declared role with its attributes, connection limit, settings and memberships", async () => {
    const roles = declared("postgresql:index/role:Role");
    const rows = await psqlEach(info, roles.map((role) => `SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolinherit, rolconnlimit,
        coalesce(array_to_string(rolconfig, ','), ''), coalesce((SELECT string_agg(m.rolname, ',' ORDER BY m.rolname) FROM pg_auth_members a JOIN pg_roles m ON m.oid = a.roleid WHERE a.member = r.oid), '')
        FROM pg_roles r WHERE rolname = '${String(role.name)}'`));
    roles.forEach((role, i) => {
      const row = rows[i]!;
      const settings = [
        ...(role.statementTimeout !== undefined ? [`statement_timeout=${String(role.statementTimeout)}`] : []),
        ...(role.idleInTransactionSessionTimeout !== undefined ? [`idle_in_transaction_session_timeout=${String(role.idleInTransactionSessionTimeout)}`] : []),
      ];
      const expected = [
        role.login === true, role.superuser === true, role.createDatabase === true, role.createRole === true, role.replication === true,
        role.bypassRowLevelSecurity === true, role.inherit !== false,
      ].map((b): string => (b ? "t" : "f")).concat(String(role.connectionLimit ?? -1), settings.join(","), ((role.roles as string[] | undefined) ?? []).sort().join(","));
      expect({ role: role.name, row: row.split("|") }).toEqual({ role: role.name, row: expected });
    });
  });

  it("has the declared database, owner, encoding and collation", async () => {
    const d = declared("postgresql:index/database:Database")[0];
    const row = await psql(info, `SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding), datcollate, datctype, datallowconn FROM pg_database WHERE datname = '${database}'`);
    expect(row.split("|")).toEqual([d.owner, d.encoding, d.lcCollate, d.lcCtype, d.allowConnections === false ? "f" : "t"]);
  });

  it("grants exactly the declared privileges, with PUBLIC's revoked", async () => {
    const grants = declared("postgresql:index/grant:Grant");
    const helds = await psqlEach(info, grants.map((g) => {
      const role = String(g.role).toLowerCase() === "public" ? "0" : `'${String(g.role)}'::regrole::oid`;
      const acl = g.objectType === "database" ? `(SELECT datacl FROM pg_database WHERE datname = '${database}')`
        : g.objectType === "schema" ? `(SELECT nspacl FROM pg_namespace WHERE nspname = '${String(g.schema)}')`
        : `(SELECT proacl FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = '${String(g.schema)}' AND p.proname = '${String((g.objects as string[])[0])}')`;
      return `SELECT coalesce(string_agg(privilege_type, ',' ORDER BY privilege_type), '') FROM aclexplode(${acl}) WHERE grantee = ${role}`;
    }), database);
    grants.forEach((g, i) => {
      const held = helds[i]!;
      const heldLetters = letters(held ? held.split(",") : []);
      expect({ grant: `${String(g.objectType)} ${String(g.role)}`, privileges: heldLetters }).toEqual({ grant: `${String(g.objectType)} ${String(g.role)}`, privileges: letters(g.privileges as string[]) });
    });
  });

  it("sets the declared default privileges on objects the owner creates later", async () => {
    const defaults = declared("postgresql:index/defaultPrivileges:DefaultPrivileges");
    const acls = await psqlEach(info, defaults.map((d) => `SELECT array_to_string(defaclacl, ',') FROM pg_default_acl a JOIN pg_namespace n ON n.oid = a.defaclnamespace
        WHERE a.defaclrole = '${String(d.owner)}'::regrole AND n.nspname = '${String(d.schema)}' AND a.defaclobjtype = '${DEFAULT_ACL_TYPES[String(d.objectType)]}'`), database);
    defaults.forEach((d, i) => {
      const acl = acls[i]!;
      const entry = acl.split(",").find((item) => item.startsWith(`${String(d.role)}=`)) ?? "";
      const granted = entry.slice(entry.indexOf("=") + 1, entry.indexOf("/")).split("").sort().join("");
      expect({ objects: d.objectType, granted }).toEqual({ objects: d.objectType, granted: letters(d.privileges as string[]) });
    });
  });

  it("has every declared extension in its database and schema", async () => {
    for (const e of declared("postgresql:index/extension:Extension")) {
      const schema = await psql(info, `SELECT n.nspname FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace WHERE x.extname = '${String(e.name)}'`, String(e.database));
      expect({ extension: e.name, schema }).toEqual({ extension: e.name, schema: String(e.schema ?? "public") });
    }
  });

  it("has PgBouncer's auth function as declared: SECURITY DEFINER in its schema", async () => {
    const functions = declared("postgresql:index/function:Function");
    const rows = await psqlEach(info, functions.map((f) => `SELECT p.prosecdef, l.lanname, pg_get_function_result(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        JOIN pg_language l ON l.oid = p.prolang WHERE n.nspname = '${String(f.schema)}' AND p.proname = '${String(f.name)}'`), database);
    functions.forEach((f, i) => {
      expect(rows[i]!.split("|")).toEqual([f.securityDefiner === true ? "t" : "f", f.language, String(f.returns).replace(/\s+/g, " ")]);
    });
  });

  it("enables and forces row-level security with a tenant policy on every declared tenant table", async () => {
    const isolation = info.declared.resources.find((r) => r.type === "pulumi-nodejs:dynamic/jewelry-shop:TenantIsolation")!;
    const tables = (inputsOf(isolation).tables as { schema: string; table: string }[]);
    expect(tables.length).toBeGreaterThan(0);
    const rows = await psqlEach(info, tables.map((t) => `SELECT c.relrowsecurity, c.relforcerowsecurity, (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '${t.schema}' AND c.relname = '${t.table}'`), database);
    tables.forEach((t, i) => {
      expect({ table: t.table, row: rows[i] }).toEqual({ table: t.table, row: "t|t|1" });
    });
  });
});

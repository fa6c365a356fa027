// The SQL that @pulumi/postgresql (terraform-provider-postgresql) runs to create the database objects
// a program declares, so a real-server test gets exactly the roles, grants and extensions the
// program asks for. Only the resource types and attributes the program uses are translated; any
// other one fails loudly rather than being skipped. Statements and their order follow the
// provider's Create functions (postgresql/resource_postgresql_*.go): roles as
// `CREATE ROLE … WITH …` then `GRANT <role>` and `ALTER ROLE … SET`, grants as REVOKE-then-GRANT
// in one transaction, default privileges likewise, `CREATE EXTENSION IF NOT EXISTS`.
import type { CapturedResource, ProgramRun } from "../../check/run-program";
import type { JsonValue } from "../../check/json";
import { revealed } from "../program/production-run-with-secrets";

/** One resource's statements and the database they run in (undefined: the provider's own). */
export interface DeclaredStep {
  readonly resource: string;
  readonly database?: string;
  readonly sql: string;
}

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const literal = (value: string): string => `'${value.replace(/'/g, "''")}'`;

type Props = Record<string, JsonValue>;

function props(resource: CapturedResource, allowed: readonly string[]): Props {
  const plain = revealed(resource.object, resource.name) as Props;
  const unknown = Object.keys(plain).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) throw new Error(`${resource.name}: no translation for ${unknown.join(", ")}; extend tests/servers/declared-postgres.ts`);
  return plain;
}

const str = (p: Props, key: string): string => String(p[key]);
const list = (p: Props, key: string): string[] => ((p[key] ?? []) as JsonValue[]).map(String);
const flag = (p: Props, key: string, fallback: boolean): boolean => (p[key] === undefined ? fallback : p[key] === true);
const inTransaction = (statements: string[]): string => `BEGIN;\n${statements.map((s) => `${s};`).join("\n")}\nCOMMIT;`;

function role(r: CapturedResource): DeclaredStep {
  const p = props(r, ["name", "login", "password", "superuser", "createDatabase", "createRole", "replication",
    "bypassRowLevelSecurity", "inherit", "connectionLimit", "roles", "statementTimeout", "idleInTransactionSessionTimeout"]);
  const name = ident(str(p, "name"));
  const option = (key: string, fallback: boolean, on: string, off: string) => (flag(p, key, fallback) ? on : off);
  const options = [
    ...(p.password ? [`ENCRYPTED PASSWORD ${literal(str(p, "password"))}`] : []),
    "VALID UNTIL 'infinity'",
    `CONNECTION LIMIT ${p.connectionLimit ?? -1}`,
    option("superuser", false, "SUPERUSER", "NOSUPERUSER"),
    option("createDatabase", false, "CREATEDB", "NOCREATEDB"),
    option("createRole", false, "CREATEROLE", "NOCREATEROLE"),
    option("inherit", true, "INHERIT", "NOINHERIT"),
    option("login", false, "LOGIN", "NOLOGIN"),
    option("bypassRowLevelSecurity", false, "BYPASSRLS", "NOBYPASSRLS"),
    option("replication", false, "REPLICATION", "NOREPLICATION"),
  ];
  return {
    resource: r.name,
    sql: inTransaction([
      `CREATE ROLE ${name} WITH ${options.join(" ")}`,
      ...list(p, "roles").map((granted) => `GRANT ${ident(granted)} TO ${name}`),
      ...(p.statementTimeout !== undefined ? [`ALTER ROLE ${name} SET statement_timeout TO ${p.statementTimeout}`] : []),
      ...(p.idleInTransactionSessionTimeout !== undefined
        ? [`ALTER ROLE ${name} SET idle_in_transaction_session_timeout TO ${p.idleInTransactionSessionTimeout}`] : []),
    ]),
  };
}

function database(r: CapturedResource): DeclaredStep {
  const p = props(r, ["name", "owner", "encoding", "lcCollate", "lcCtype", "template", "allowConnections"]);
  return {
    resource: r.name,
    sql: `CREATE DATABASE ${ident(str(p, "name"))} OWNER ${ident(str(p, "owner"))} TEMPLATE ${ident(str(p, "template"))}` +
      ` ENCODING ${literal(str(p, "encoding"))} LC_COLLATE ${literal(str(p, "lcCollate"))} LC_CTYPE ${literal(str(p, "lcCtype"))}` +
      ` ALLOW_CONNECTIONS ${flag(p, "allowConnections", true)} CONNECTION LIMIT -1 IS_TEMPLATE false;`,
  };
}

function grant(r: CapturedResource): DeclaredStep {
  const p = props(r, ["database", "role", "objectType", "privileges", "schema", "objects"]);
  const role = ident(str(p, "role"));
  const privileges = list(p, "privileges");
  let target: string;
  let revoke: string;
  switch (str(p, "objectType")) {
    case "database":
      target = `DATABASE ${ident(str(p, "database"))}`;
      revoke = `REVOKE ALL PRIVILEGES ON ${target} FROM ${role}`;
      break;
    case "schema":
      target = `SCHEMA ${ident(str(p, "schema"))}`;
      revoke = `REVOKE ALL PRIVILEGES ON ${target} FROM ${role}`;
      break;
    case "function": {
      const objects = list(p, "objects");
      if (objects.length === 0) throw new Error(`${r.name}: a function grant without objects is not translated`);
      target = `FUNCTION ${objects.map((o) => `${ident(str(p, "schema"))}.${ident(o)}`).join(",")}`;
      revoke = `REVOKE ${privileges.length > 0 ? privileges.join(",") : "ALL PRIVILEGES"} ON ${target} FROM ${role}`;
      break;
    }
    default:
      throw new Error(`${r.name}: grants on ${str(p, "objectType")} are not translated`);
  }
  return {
    resource: r.name,
    database: str(p, "database"),
    sql: inTransaction([
      // The provider's locks (pgLockRole; pgLockDatabase for database grants, cyrilgdn/terraform-provider-postgresql#224):
      // parallel GRANTs on one database row fail with "tuple concurrently updated" without them.
      `SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_roles WHERE rolname = ${literal(str(p, "role"))}`,
      ...(str(p, "objectType") === "database" ? [`SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_database WHERE datname = ${literal(str(p, "database"))}`] : []),
      revoke,
      ...(privileges.length > 0 ? [`GRANT ${privileges.join(",")} ON ${target} TO ${role}`] : []),
    ]),
  };
}

function defaultPrivileges(r: CapturedResource): DeclaredStep {
  const p = props(r, ["database", "owner", "role", "schema", "objectType", "privileges"]);
  const scope = `ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(str(p, "owner"))} IN SCHEMA ${ident(str(p, "schema"))}`;
  const objects = `${str(p, "objectType").toUpperCase()}S`;
  const role = ident(str(p, "role"));
  const privileges = list(p, "privileges");
  return {
    resource: r.name,
    database: str(p, "database"),
    sql: inTransaction([
      `${scope} REVOKE ALL ON ${objects} FROM ${role}`,
      ...(privileges.length > 0 ? [`${scope} GRANT ${privileges.join(",")} ON ${objects} TO ${role}`] : []),
    ]),
  };
}

function schema(r: CapturedResource): DeclaredStep {
  const p = props(r, ["database", "name", "owner", "policies"]);
  const name = ident(str(p, "name"));
  const grants = ((p.policies ?? []) as Props[]).flatMap((policy) => {
    const unknown = Object.keys(policy).filter((k) => !["role", "usage", "create"].includes(k));
    if (unknown.length > 0) throw new Error(`${r.name}: no translation for policies.${unknown.join(", ")}`);
    const to = policy.role ? ident(String(policy.role)) : "PUBLIC";
    return [...(policy.usage ? [`GRANT USAGE ON SCHEMA ${name} TO ${to}`] : []), ...(policy.create ? [`GRANT CREATE ON SCHEMA ${name} TO ${to}`] : [])];
  });
  return {
    resource: r.name,
    database: str(p, "database"),
    sql: inTransaction([`CREATE SCHEMA ${name}${p.owner ? ` AUTHORIZATION ${ident(str(p, "owner"))}` : ""}`, ...grants]),
  };
}

function fn(r: CapturedResource): DeclaredStep {
  const p = props(r, ["database", "schema", "name", "args", "returns", "language", "volatility", "securityDefiner", "body"]);
  const args = ((p.args ?? []) as Props[]).map((a) => `\n    ${a.name ? `${a.name} ` : ""}${a.type}`).join(",");
  const volatility = p.volatility && p.volatility !== "VOLATILE" ? `\n${p.volatility}` : "";
  return {
    resource: r.name,
    database: str(p, "database"),
    sql: `CREATE FUNCTION ${ident(str(p, "schema"))}.${ident(str(p, "name"))} (${args}${args ? "\n" : ""})` +
      `\nRETURNS ${p.returns}\nLANGUAGE ${p.language}${volatility}${p.securityDefiner ? "\nSECURITY DEFINER" : ""}` +
      `\nAS $function$${p.body}$function$;`,
  };
}

function extension(r: CapturedResource): DeclaredStep {
  const p = props(r, ["database", "name", "schema", "version"]);
  return {
    resource: r.name,
    database: str(p, "database"),
    sql: `CREATE EXTENSION IF NOT EXISTS ${ident(str(p, "name"))}${p.schema ? ` SCHEMA ${ident(str(p, "schema"))}` : ""}` +
      `${p.version ? ` VERSION ${ident(str(p, "version"))}` : ""};`,
  };
}

const TRANSLATIONS: Readonly<Record<string, (r: CapturedResource) => DeclaredStep>> = {
  "postgresql:index/role:Role": role,
  "postgresql:index/database:Database": database,
  "postgresql:index/grant:Grant": grant,
  "postgresql:index/defaultPrivileges:DefaultPrivileges": defaultPrivileges,
  "postgresql:index/schema:Schema": schema,
  "postgresql:index/function:Function": fn,
  "postgresql:index/extension:Extension": extension,
};

/**
 * Every postgresql resource the program declares, in registration order (a resource registers after
 * everything it depends on, so this is an order the engine may create them in).
 */
export function declaredPostgresSteps(program: ProgramRun): DeclaredStep[] {
  return program.resources.filter((r) => r.custom && r.type.startsWith("postgresql:")).map(declaredPostgresStep);
}

/** One postgresql resource's statements (the stand-up runs them in the engine's dependency order). */
export function declaredPostgresStep(r: CapturedResource): DeclaredStep {
  const translate = TRANSLATIONS[r.type];
  if (!translate) throw new Error(`${r.name}: ${r.type} is not translated; extend tests/servers/declared-postgres.ts`);
  return translate(r);
}

// Creates the database objects the program declares with @pulumi/postgresql in the running
// PostgreSQL, with the SQL terraform-provider-postgresql issues for them: roles with their
// attributes, limits and settings, the database, grants (revoke, then grant exactly the listed
// privileges), default privileges, schemas with their usage policies and functions. It knows
// exactly the resource types and inputs the program uses; anything else fails with its name.
import { Client } from "pg";
import { knownInputs, type Inputs } from "../program/inputs";

export interface ProviderConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly sslmode: string;
  readonly connectTimeoutSeconds: number;
}

/** The provider's inputs (JSON-encoded strings, as the SDK sends provider config). */
export function providerConnection(inputs: Inputs): ProviderConnection {
  const args = knownInputs("postgresql provider", inputs, [
    "host", "port", "username", "password", "database", "sslmode", "superuser", "expectedVersion", "connectTimeout", "version",
  ]);
  if (args.sslmode !== undefined && !["require", "disable"].includes(String(args.sslmode))) {
    throw new Error(`postgresql provider sslmode ${String(args.sslmode)}: the stand-up applies require or disable`);
  }
  return {
    host: String(args.host),
    port: Number(args.port ?? 5432),
    user: String(args.username ?? "postgres"),
    password: String(args.password ?? ""),
    database: String(args.database ?? "postgres"),
    sslmode: String(args.sslmode ?? "require"),
    connectTimeoutSeconds: Number(args.connectTimeout ?? 180),
  };
}

type Sql = (client: Client) => string[];
const id = (client: Client, name: unknown) => client.escapeIdentifier(String(name));
const lit = (client: Client, value: unknown) => client.escapeLiteral(String(value));
const grantee = (client: Client, role: unknown) => (String(role).toLowerCase() === "public" ? "PUBLIC" : id(client, role));
const flag = (on: boolean, yes: string, no: string) => (on ? yes : no);
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

function roleSql(inputs: Inputs): Sql {
  const r = knownInputs("postgresql Role", inputs, [
    "name", "login", "password", "superuser", "createDatabase", "createRole", "replication", "bypassRowLevelSecurity", "inherit",
    "connectionLimit", "statementTimeout", "idleInTransactionSessionTimeout", "roles",
  ]);
  return (c) => [
    [
      `CREATE ROLE ${id(c, r.name)} WITH`,
      flag(r.login === true, "LOGIN", "NOLOGIN"),
      flag(r.superuser === true, "SUPERUSER", "NOSUPERUSER"),
      flag(r.createDatabase === true, "CREATEDB", "NOCREATEDB"),
      flag(r.createRole === true, "CREATEROLE", "NOCREATEROLE"),
      flag(r.replication === true, "REPLICATION", "NOREPLICATION"),
      flag(r.bypassRowLevelSecurity === true, "BYPASSRLS", "NOBYPASSRLS"),
      flag(r.inherit !== false, "INHERIT", "NOINHERIT"),
      `CONNECTION LIMIT ${Number(r.connectionLimit ?? -1)}`,
      ...(r.password !== undefined ? [`ENCRYPTED PASSWORD ${lit(c, r.password)}`] : []),
    ].join(" "),
    ...(r.statementTimeout !== undefined ? [`ALTER ROLE ${id(c, r.name)} SET statement_timeout TO ${Number(r.statementTimeout)}`] : []),
    ...(r.idleInTransactionSessionTimeout !== undefined
      ? [`ALTER ROLE ${id(c, r.name)} SET idle_in_transaction_session_timeout TO ${Number(r.idleInTransactionSessionTimeout)}`] : []),
    ...strings(r.roles).map((member) => `GRANT ${id(c, member)} TO ${id(c, r.name)}`),
  ];
}

function databaseSql(inputs: Inputs): Sql {
  const d = knownInputs("postgresql Database", inputs, ["name", "owner", "encoding", "lcCollate", "lcCtype", "template", "allowConnections", "connectionLimit"]);
  return (c) => [
    [
      `CREATE DATABASE ${id(c, d.name)}`,
      ...(d.owner !== undefined ? [`OWNER ${id(c, d.owner)}`] : []),
      ...(d.template !== undefined ? [`TEMPLATE ${id(c, d.template)}`] : []),
      ...(d.encoding !== undefined ? [`ENCODING ${lit(c, d.encoding)}`] : []),
      ...(d.lcCollate !== undefined ? [`LC_COLLATE ${lit(c, d.lcCollate)}`] : []),
      ...(d.lcCtype !== undefined ? [`LC_CTYPE ${lit(c, d.lcCtype)}`] : []),
      `ALLOW_CONNECTIONS ${d.allowConnections !== false}`,
      `CONNECTION LIMIT ${Number(d.connectionLimit ?? -1)}`,
    ].join(" "),
  ];
}

const GRANT_TARGETS: Record<string, (c: Client, g: Inputs) => string[]> = {
  database: (c, g) => [`DATABASE ${id(c, g.database)}`],
  schema: (c, g) => [`SCHEMA ${id(c, g.schema)}`],
  table: (c, g) => objectsIn(c, g, "TABLE", "ALL TABLES"),
  sequence: (c, g) => objectsIn(c, g, "SEQUENCE", "ALL SEQUENCES"),
  function: (c, g) => objectsIn(c, g, "FUNCTION", "ALL FUNCTIONS"),
};

/** Named objects ("FUNCTION s.f"), or every object of the kind in the schema. */
function objectsIn(c: Client, g: Inputs, kind: string, all: string): string[] {
  const objects = strings(g.objects);
  return objects.length > 0 ? objects.map((o) => `${kind} ${id(c, g.schema)}.${id(c, o)}`) : [`${all} IN SCHEMA ${id(c, g.schema)}`];
}

function grantSql(inputs: Inputs): Sql {
  const g = knownInputs("postgresql Grant", inputs, ["database", "role", "schema", "objectType", "objects", "privileges", "withGrantOption"]);
  const targets = GRANT_TARGETS[String(g.objectType)];
  if (!targets) throw new Error(`postgresql Grant objectType ${String(g.objectType)}: not applied by the stand-up`);
  const privileges = strings(g.privileges);
  return (c) =>
    targets(c, g).flatMap((target) => [
      `REVOKE ALL PRIVILEGES ON ${target} FROM ${grantee(c, g.role)}`,
      ...(privileges.length ? [`GRANT ${privileges.join(", ")} ON ${target} TO ${grantee(c, g.role)}${g.withGrantOption === true ? " WITH GRANT OPTION" : ""}`] : []),
    ]);
}

const DEFAULT_KINDS: Record<string, string> = { table: "TABLES", sequence: "SEQUENCES", function: "FUNCTIONS", type: "TYPES", schema: "SCHEMAS" };

function defaultPrivilegesSql(inputs: Inputs): Sql {
  const d = knownInputs("postgresql DefaultPrivileges", inputs, ["database", "owner", "role", "schema", "objectType", "privileges", "withGrantOption"]);
  const kind = DEFAULT_KINDS[String(d.objectType)];
  if (!kind) throw new Error(`postgresql DefaultPrivileges objectType ${String(d.objectType)}: not applied by the stand-up`);
  const privileges = strings(d.privileges);
  return (c) => {
    const scope = `ALTER DEFAULT PRIVILEGES FOR ROLE ${id(c, d.owner)}${d.schema !== undefined ? ` IN SCHEMA ${id(c, d.schema)}` : ""}`;
    return [
      `${scope} REVOKE ALL ON ${kind} FROM ${grantee(c, d.role)}`,
      ...(privileges.length ? [`${scope} GRANT ${privileges.join(", ")} ON ${kind} TO ${grantee(c, d.role)}${d.withGrantOption === true ? " WITH GRANT OPTION" : ""}`] : []),
    ];
  };
}

function schemaSql(inputs: Inputs): Sql {
  const s = knownInputs("postgresql Schema", inputs, ["name", "database", "owner", "policies", "ifNotExists"]);
  const policies = (Array.isArray(s.policies) ? s.policies : []) as Inputs[];
  return (c) => [
    `CREATE SCHEMA ${s.ifNotExists === false ? "" : "IF NOT EXISTS "}${id(c, s.name)}${s.owner !== undefined ? ` AUTHORIZATION ${id(c, s.owner)}` : ""}`,
    ...policies.flatMap((p, i) => {
      knownInputs(`postgresql Schema policies[${i}]`, p, ["role", "usage", "create", "usageWithGrant", "createWithGrant"]);
      const privileges = [...(p.usage === true || p.usageWithGrant === true ? ["USAGE"] : []), ...(p.create === true || p.createWithGrant === true ? ["CREATE"] : [])];
      const withGrant = p.usageWithGrant === true || p.createWithGrant === true ? " WITH GRANT OPTION" : "";
      return privileges.length ? [`GRANT ${privileges.join(", ")} ON SCHEMA ${id(c, s.name)} TO ${grantee(c, p.role)}${withGrant}`] : [];
    }),
  ];
}

function functionSql(inputs: Inputs): Sql {
  const f = knownInputs("postgresql Function", inputs, [
    "name", "schema", "database", "args", "returns", "language", "volatility", "securityDefiner", "body", "strict", "parallel",
  ]);
  const args = ((Array.isArray(f.args) ? f.args : []) as Inputs[]).map((a, i) => {
    knownInputs(`postgresql Function args[${i}]`, a, ["name", "type", "mode", "default"]);
    return [a.mode, a.name, a.type].filter((part) => part !== undefined).map(String).join(" ") + (a.default !== undefined ? ` DEFAULT ${String(a.default)}` : "");
  });
  return (c) => [
    [
      `CREATE OR REPLACE FUNCTION ${f.schema !== undefined ? `${id(c, f.schema)}.` : ""}${id(c, f.name)}(${args.join(", ")})`,
      `RETURNS ${String(f.returns ?? "void")}`,
      `LANGUAGE ${String(f.language ?? "plpgsql")}`,
      String(f.volatility ?? "VOLATILE"),
      ...(f.strict === true ? ["STRICT"] : []),
      ...(f.parallel !== undefined ? [`PARALLEL ${String(f.parallel)}`] : []),
      f.securityDefiner === true ? "SECURITY DEFINER" : "SECURITY INVOKER",
      `AS $function$${String(f.body)}$function$`,
    ].join("\n"),
  ];
}

const APPLIERS: Record<string, (inputs: Inputs) => Sql> = {
  "postgresql:index/role:Role": roleSql,
  "postgresql:index/database:Database": databaseSql,
  "postgresql:index/grant:Grant": grantSql,
  "postgresql:index/defaultPrivileges:DefaultPrivileges": defaultPrivilegesSql,
  "postgresql:index/schema:Schema": schemaSql,
  "postgresql:index/function:Function": functionSql,
};

export const isPostgresqlResource = (type: string) => type.startsWith("postgresql:");

/** Applies one declared resource; returns the statements it ran (passwords redacted) for the record. */
export async function applyPostgresqlResource(type: string, name: string, inputs: Inputs, connection: ProviderConnection): Promise<string[]> {
  const applier = APPLIERS[type];
  if (!applier) throw new Error(`${name}: the stand-up has no applier for ${type}`);
  const sql = applier(inputs);
  // Objects inside a database are created connected to it; roles and databases from the provider's database.
  const database = type.endsWith("Role") || type.endsWith("Database") ? connection.database : String(inputs.database ?? connection.database);
  const client = new Client({
    host: connection.host, port: connection.port, user: connection.user, password: connection.password, database,
    ssl: connection.sslmode === "disable" ? false : { rejectUnauthorized: false },
    connectionTimeoutMillis: connection.connectTimeoutSeconds * 1000,
  });
  await client.connect();
  try {
    const statements = sql(client);
    for (const statement of statements) {
      await client.query(statement).catch((error: Error) => {
        throw new Error(`${name} (${type}): ${error.message}`);
      });
    }
    return statements.map((s) => s.replace(/PASSWORD '(?:[^']|'')*'/g, "PASSWORD '…'"));
  } finally {
    await client.end();
  }
}

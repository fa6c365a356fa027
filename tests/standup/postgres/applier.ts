// Creates the database objects the program declares with @pulumi/postgresql in the running
// PostgreSQL, through the provider's connection settings, with the SQL terraform-provider-postgresql
// issues for each (tests/servers/declared-postgres.ts: exactly the types and inputs the program
// uses; anything else fails with its name).
import { Client } from "pg";
import { declaredPostgresStep } from "../../servers/declared-postgres";
import type { DeclaredResource } from "../program/declared-stack";
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

export const isPostgresqlResource = (type: string) => type.startsWith("postgresql:");

/** Applies one declared resource, connected to the database its statements belong in. */
export async function applyPostgresqlResource(resource: DeclaredResource, connection: ProviderConnection): Promise<void> {
  const step = declaredPostgresStep(resource);
  const client = new Client({
    host: connection.host, port: connection.port, user: connection.user, password: connection.password,
    database: step.database ?? connection.database,
    ssl: connection.sslmode === "disable" ? false : { rejectUnauthorized: false },
    connectionTimeoutMillis: connection.connectTimeoutSeconds * 1000,
  });
  await client.connect();
  try {
    await client.query(step.sql);
  } catch (error) {
    throw new Error(`${resource.name} (${resource.type}): ${(error as Error).message}`);
  } finally {
    await client.end();
  }
}

// The credentials the inside checks use, from a JSON file the operator has: the program exports them
// as the secret stack output `verifyCredentials`, so
//   pulumi stack output --show-secrets --json verifyCredentials > verify-credentials.json
// fills it (the stand-up's tests write the same shape from their generated values). The file never
// reaches a report; a check whose credentials are missing says which key it needs.
import * as fs from "node:fs";
import { z } from "zod";
import { UserInputError } from "../check/errors";

const schema = z.object({
  postgres: z.object({
    user: z.string().min(1),
    password: z.string().min(1),
  }).strict().optional(),
  redis: z.object({
    /** Every ACL user the program creates, with its password. */
    users: z.record(z.string().min(1), z.string().min(1)),
    /** The user the app connects as (must not run admin commands). */
    appUser: z.string().min(1),
  }).strict().optional(),
  /** The internal CA's certificate (PEM): PostgreSQL's certificate is verified against it. */
  internalCaCert: z.string().startsWith("-----BEGIN CERTIFICATE-----").optional(),
  /** A smoke-test user of the app, for --login. */
  smokeUser: z.object({ username: z.string().min(1), password: z.string().min(1) }).strict().optional(),
}).strict();

export type Credentials = z.infer<typeof schema>;

export function readCredentials(file: string | undefined): Credentials {
  if (file === undefined) return {};
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UserInputError(`--credentials ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UserInputError(`--credentials ${file} is not JSON (${(err as Error).message}); write it with \`pulumi stack output --show-secrets --json verifyCredentials\``);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`);
    throw new UserInputError(`--credentials ${file}: ${issues.join("; ")} (README: "Verifying a deployed stack", the credentials file)`);
  }
  return parsed.data;
}

/** What a check says when the credentials it needs are missing. */
export const missingCredentials = (key: string) =>
  `no credentials for ${key}: give --credentials FILE with "${key}" (pulumi stack output --show-secrets --json verifyCredentials)`;

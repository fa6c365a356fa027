// The app's environment exactly as the program renders it (components/app/app-env.ts, with the
// production stack's settings), filled with credentials generated for the run, as plain values:
// the env entries and the /run/secrets files the stack would give the app container.
import { randomBytes } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig as readStackFile } from "../../../check/stack-config";
import { appEnv, type AppEnvInputs } from "../../../components/app/app-env";
import { APP_PATHS } from "../../../components/app/django-app";
import { toStackConfig, validateStackConfig, type StackConfig } from "../../../components/config";
import { REDIS_USERS } from "../../../components/redis/redis";

export interface DatabaseTarget {
  readonly host: string;
  readonly port: number;
  readonly name: string;
  readonly user: string;
  readonly password: string;
}

export interface ResolvedAppEnv {
  /** Plain settings, by name. */
  readonly env: Readonly<Record<string, string>>;
  /** Credentials, by file name under /run/secrets. */
  readonly secrets: Readonly<Record<string, string>>;
}

const resolve = (value: pulumi.Input<string>): Promise<string> =>
  new Promise((done) => { pulumi.output(value).apply((plain) => { done(plain); return plain; }); });

/** A Fernet key (32 random bytes, URL-safe base64), as the program's secrets are. */
export const fernetKey = (): string => randomBytes(32).toString("base64url") + "=";
export const password = (): string => randomBytes(20).toString("hex");

/** The production stack's configuration as the program validates it. */
export function productionStackConfig(root: string): StackConfig {
  const stack = readStackFile(root, "production");
  return toStackConfig(validateStackConfig(stack.config, new Set(stack.secretKeys)));
}

export async function productionAppEnv(root: string, database: DatabaseTarget, redisHost = "jewelry-redis"): Promise<ResolvedAppEnv> {
  const config = productionStackConfig(root);
  const redisPassword = password();
  const inputs: AppEnvInputs = {
    config,
    djangoSecretKey: randomBytes(48).toString("base64url"),
    backupEncryptionKey: fernetKey(),
    fieldEncryptionKey: fernetKey(),
    database: { ...database, viaPgbouncer: false, caFile: APP_PATHS.caCert },
    redis: { host: redisHost, port: 6379, user: REDIS_USERS.app, password: redisPassword },
    extra: ["AWS_STORAGE_BUCKET_NAME=jewelry-shop-media", "AWS_S3_ENDPOINT_URL=https://r2.invalid", "AWS_S3_REGION_NAME=auto"],
    extraSecrets: { AWS_ACCESS_KEY_ID: password(), AWS_SECRET_ACCESS_KEY: password() },
  };
  const rendered = appEnv(inputs);
  const env: Record<string, string> = {};
  for (const entry of rendered.env) {
    const text = await resolve(entry);
    env[text.slice(0, text.indexOf("="))] = text.slice(text.indexOf("=") + 1);
  }
  const secrets: Record<string, string> = {};
  for (const secret of rendered.secrets) secrets[secret.name] = await resolve(secret.value);
  return { env, secrets };
}

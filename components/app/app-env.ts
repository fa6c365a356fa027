// The environment contract of the Django app (checklist 1.3, 1.5–1.8, 3.7, 5.2, 5.4, 7.x, 8.2, 8.3).
// Plain settings are literal env entries (known at preview, so policies can read them); every
// credential is a secret FILE named after its variable (secret-files.ts), so its name stays known too.
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import { isEnvName } from "./secret-files";

export interface AppEnvInputs {
  readonly config: StackConfig;
  readonly djangoSecretKey: pulumi.Input<string>;
  readonly backupEncryptionKey: pulumi.Input<string>;
  readonly fieldEncryptionKey: pulumi.Input<string>;
  /** Where the app's database connections go: PgBouncer for the app, PostgreSQL itself for migrations. */
  readonly database: {
    readonly host: string;
    readonly port: number;
    readonly name: string;
    readonly user: string;
    readonly password: pulumi.Input<string>;
    readonly viaPgbouncer: boolean;
    readonly caFile: string;
  };
  readonly redis: { readonly host: string; readonly port: number; readonly user: string; readonly password: pulumi.Input<string> };
  /** Extra plain settings ("NAME=value"), e.g. the media bucket. */
  readonly extra?: readonly pulumi.Input<string>[];
  /** Extra credentials by variable name, e.g. the media storage key. */
  readonly extraSecrets?: Readonly<Record<string, pulumi.Input<string>>>;
}

/** A credential the app reads as env var `name`, delivered as a secret file. */
export interface AppSecret {
  readonly name: string;
  readonly value: pulumi.Input<string>;
}

export interface AppEnvironment {
  /** Plain settings, "NAME=value". */
  readonly env: pulumi.Input<string>[];
  /** Credentials, one file each; names are unique. */
  readonly secrets: AppSecret[];
}

const appSecret = (name: string, value: pulumi.Input<string>): AppSecret => ({ name, value });

/** Variable names the app receives; policies and tests check them by these names. */
export function appEnv(inputs: AppEnvInputs): AppEnvironment {
  const { config, database, redis } = inputs;
  const s = config.secrets;
  const secrets: AppSecret[] = [
    appSecret("DJANGO_SECRET_KEY", inputs.djangoSecretKey),
    appSecret("BACKUP_ENCRYPTION_KEY", inputs.backupEncryptionKey),
    appSecret("FIELD_ENCRYPTION_KEY", inputs.fieldEncryptionKey),
    appSecret("APP_DB_PASSWORD", database.password),
    appSecret("DATABASE_URL", pulumi.interpolate`postgres://${database.user}:${database.password}@${database.host}:${database.port}/${database.name}?sslmode=verify-full&sslrootcert=${database.caFile}`),
    appSecret("REDIS_PASSWORD", redis.password),
    appSecret("REDIS_URL", pulumi.interpolate`redis://${redis.user}:${redis.password}@${redis.host}:${redis.port}/0`),
    appSecret("CELERY_BROKER_URL", pulumi.interpolate`redis://${redis.user}:${redis.password}@${redis.host}:${redis.port}/1`),
  ];
  const env: pulumi.Input<string>[] = [
    `DJANGO_SETTINGS_MODULE=${config.djangoSettingsModule}`,
    `DEBUG=${config.debug ? "True" : "False"}`,
    `DJANGO_ALLOWED_HOSTS=${config.hosts.join(",")}`,
    `SITE_URL=${config.siteUrl}`,
    `ENVIRONMENT=${config.environment}`,
    `DB_HOST=${database.host}`,
    `DB_PORT=${database.port}`,
    `DB_NAME=${database.name}`,
    `DB_USER=${database.user}`,
    "DB_SSLMODE=verify-full",
    `DB_SSLROOTCERT=${database.caFile}`,
    `USE_PGBOUNCER=${database.viaPgbouncer ? "True" : "False"}`,
    // Transaction pooling: no server-side cursors, and the tenant is set per transaction.
    `DISABLE_SERVER_SIDE_CURSORS=${database.viaPgbouncer ? "True" : "False"}`,
    `REDIS_HOST=${redis.host}`,
    `REDIS_PORT=${redis.port}`,
    `EMAIL_PROVIDER=${config.email.provider}`,
    `DEFAULT_FROM_EMAIL=${config.email.fromAddress}`,
    `SENTRY_ENVIRONMENT=${config.environment}`,
    `STRIPE_PUBLISHABLE_KEY=${config.stripePublishableKey}`,
    `TWILIO_ACCOUNT_SID=${config.twilioAccountSid}`,
    `TWILIO_PHONE_NUMBER=${config.twilioPhoneNumber}`,
  ];
  const optionalSecrets: [string, pulumi.Output<string> | undefined][] = [
    ["SENTRY_DSN", s.sentryDsn],
    ["STRIPE_SECRET_KEY", s.stripeSecretKey],
    ["STRIPE_WEBHOOK_SECRET", s.stripeWebhookSecret],
    ["TWILIO_AUTH_TOKEN", s.twilioAuthToken],
    ["GOLD_API_KEY", s.goldApiKey],
    ["METALS_API_KEY", s.metalsApiKey],
  ];
  for (const [name, value] of optionalSecrets) if (value) secrets.push(appSecret(name, value));
  const email = emailEnv(config);
  env.push(...email.env, ...(inputs.extra ?? []));
  secrets.push(...email.secrets, ...Object.entries(inputs.extraSecrets ?? {}).map(([name, value]) => appSecret(name, value)));
  const names = secrets.map((secret) => secret.name);
  const invalid = names.filter((name, i) => !isEnvName(name) || names.indexOf(name) !== i);
  if (invalid.length > 0) throw new Error(`app secret names must be unique environment variable names: ${invalid.join(", ")}`);
  return { env, secrets };
}

function emailEnv(config: StackConfig): AppEnvironment {
  const { email, secrets } = config;
  switch (email.provider) {
    case "sendgrid":
      return { env: [], secrets: secrets.emailApiKey ? [appSecret("SENDGRID_API_KEY", secrets.emailApiKey)] : [] };
    case "mailgun":
      return {
        env: [`MAILGUN_DOMAIN=${email.mailgunDomain ?? ""}`],
        secrets: secrets.emailApiKey ? [appSecret("MAILGUN_API_KEY", secrets.emailApiKey)] : [],
      };
    case "ses":
      return {
        env: [`AWS_SES_REGION_NAME=${email.sesRegion ?? ""}`, `AWS_SES_ACCESS_KEY_ID=${email.sesAccessKeyId ?? ""}`],
        secrets: secrets.sesSecretAccessKey ? [appSecret("AWS_SES_SECRET_ACCESS_KEY", secrets.sesSecretAccessKey)] : [],
      };
    case "smtp":
      return {
        env: [`EMAIL_HOST=${email.smtpHost ?? ""}`, `EMAIL_PORT=${email.smtpPort}`, `EMAIL_HOST_USER=${email.smtpUser ?? ""}`, "EMAIL_USE_TLS=True"],
        secrets: secrets.smtpPassword ? [appSecret("EMAIL_HOST_PASSWORD", secrets.smtpPassword)] : [],
      };
  }
}

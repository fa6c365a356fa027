// The environment contract of the Django app (checklist 1.3, 1.5–1.8, 3.7, 5.2, 5.4, 7.x, 8.2, 8.3).
// Plain settings are literal strings (known at preview, so policies can read them); every credential
// is its own secret entry.
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";

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
  /** Extra entries, e.g. media storage credentials. */
  readonly extra?: readonly pulumi.Input<string>[];
}

const secretEntry = (name: string, value: pulumi.Input<string>): pulumi.Output<string> =>
  pulumi.secret(pulumi.interpolate`${name}=${value}`);

/** Environment variable names the app receives; a policy and the tests check them by these names. */
export function appEnv(inputs: AppEnvInputs): pulumi.Input<string>[] {
  const { config, database, redis } = inputs;
  const s = config.secrets;
  const env: pulumi.Input<string>[] = [
    `DJANGO_SETTINGS_MODULE=${config.djangoSettingsModule}`,
    `DEBUG=${config.debug ? "True" : "False"}`,
    `DJANGO_ALLOWED_HOSTS=${config.hosts.join(",")}`,
    `SITE_URL=${config.siteUrl}`,
    `ENVIRONMENT=${config.environment}`,
    secretEntry("DJANGO_SECRET_KEY", inputs.djangoSecretKey),
    secretEntry("BACKUP_ENCRYPTION_KEY", inputs.backupEncryptionKey),
    secretEntry("FIELD_ENCRYPTION_KEY", inputs.fieldEncryptionKey),
    `DB_HOST=${database.host}`,
    `DB_PORT=${database.port}`,
    `DB_NAME=${database.name}`,
    `DB_USER=${database.user}`,
    "DB_SSLMODE=verify-full",
    `DB_SSLROOTCERT=${database.caFile}`,
    secretEntry("APP_DB_PASSWORD", database.password),
    secretEntry("DATABASE_URL", pulumi.interpolate`postgres://${database.user}:${database.password}@${database.host}:${database.port}/${database.name}?sslmode=verify-full&sslrootcert=${database.caFile}`),
    `USE_PGBOUNCER=${database.viaPgbouncer ? "True" : "False"}`,
    // Transaction pooling: no server-side cursors, and the tenant is set per transaction.
    `DISABLE_SERVER_SIDE_CURSORS=${database.viaPgbouncer ? "True" : "False"}`,
    `REDIS_HOST=${redis.host}`,
    `REDIS_PORT=${redis.port}`,
    secretEntry("REDIS_PASSWORD", redis.password),
    secretEntry("REDIS_URL", pulumi.interpolate`redis://${redis.user}:${redis.password}@${redis.host}:${redis.port}/0`),
    secretEntry("CELERY_BROKER_URL", pulumi.interpolate`redis://${redis.user}:${redis.password}@${redis.host}:${redis.port}/1`),
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
  for (const [name, value] of optionalSecrets) if (value) env.push(secretEntry(name, value));
  env.push(...emailEnv(config));
  env.push(...(inputs.extra ?? []));
  return env;
}

function emailEnv(config: StackConfig): pulumi.Input<string>[] {
  const { email, secrets } = config;
  switch (email.provider) {
    case "sendgrid":
      return secrets.emailApiKey ? [secretEntry("SENDGRID_API_KEY", secrets.emailApiKey)] : [];
    case "mailgun":
      return [
        `MAILGUN_DOMAIN=${email.mailgunDomain ?? ""}`,
        ...(secrets.emailApiKey ? [secretEntry("MAILGUN_API_KEY", secrets.emailApiKey)] : []),
      ];
    case "ses":
      return [
        `AWS_SES_REGION_NAME=${email.sesRegion ?? ""}`,
        `AWS_SES_ACCESS_KEY_ID=${email.sesAccessKeyId ?? ""}`,
        ...(secrets.sesSecretAccessKey ? [secretEntry("AWS_SES_SECRET_ACCESS_KEY", secrets.sesSecretAccessKey)] : []),
      ];
    case "smtp":
      return [
        `EMAIL_HOST=${email.smtpHost ?? ""}`,
        `EMAIL_PORT=${email.smtpPort}`,
        `EMAIL_HOST_USER=${email.smtpUser ?? ""}`,
        "EMAIL_USE_TLS=True",
        ...(secrets.smtpPassword ? [secretEntry("EMAIL_HOST_PASSWORD", secrets.smtpPassword)] : []),
      ];
  }
}

import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

export interface SecretsArgs {
  /** Recorded as a keeper so each stack's values are its own and the intent is visible in state. */
  readonly stack: string;
}

/** A URL-safe base64 Fernet key from 32 random bytes (what cryptography.fernet.Fernet expects). */
export function fernetKeyFromBase64(standardBase64: string): string {
  return standardBase64.replace(/\+/g, "-").replace(/\//g, "_");
}

/**
 * Every generated secret of the stack (checklist 1.2, 2.1–2.8). Values live only in the stack's
 * encrypted state and stay Pulumi secrets wherever they flow; no two stacks share one.
 */
export class Secrets extends pulumi.ComponentResource {
  /** DJANGO_SECRET_KEY: 64 characters from a wide alphabet; random output never starts "django-insecure-". */
  readonly djangoSecretKey: pulumi.Output<string>;
  readonly backupEncryptionKey: pulumi.Output<string>;
  readonly fieldEncryptionKey: pulumi.Output<string>;
  readonly postgresPassword: pulumi.Output<string>;
  /** Owner of the app database; runs migrations. */
  readonly migrationDbPassword: pulumi.Output<string>;
  readonly appDbPassword: pulumi.Output<string>;
  readonly pgbouncerAuthPassword: pulumi.Output<string>;
  readonly monitoringDbPassword: pulumi.Output<string>;
  readonly redisPassword: pulumi.Output<string>;
  readonly redisExporterPassword: pulumi.Output<string>;
  readonly grafanaAdminPassword: pulumi.Output<string>;
  readonly metricsBasicAuthPassword: pulumi.Output<string>;

  constructor(name: string, args: SecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jewelry-shop:index:Secrets", name, {}, opts);
    const keepers = { stack: args.stack };

    this.djangoSecretKey = new random.RandomPassword(`${name}-django-secret-key`, {
      length: 64,
      special: true,
      overrideSpecial: "!#%&*()-_=+[]{}<>:?",
      minLower: 4,
      minUpper: 4,
      minNumeric: 4,
      minSpecial: 4,
      keepers,
    }, { parent: this }).result;

    const fernet = (purpose: string) =>
      pulumi.secret(new random.RandomBytes(`${name}-${purpose}`, { length: 32, keepers }, { parent: this })
        .base64.apply(fernetKeyFromBase64));
    this.backupEncryptionKey = fernet("backup-encryption-key");
    this.fieldEncryptionKey = fernet("field-encryption-key");

    // Alphanumeric, 40 characters (~238 bits): no quoting trouble in URLs, ini files or ACLs.
    const password = (purpose: string) =>
      new random.RandomPassword(`${name}-${purpose}`, { length: 40, special: false, minLower: 4, minUpper: 4, minNumeric: 4, keepers }, { parent: this }).result;
    this.postgresPassword = password("postgres-password");
    this.migrationDbPassword = password("migration-db-password");
    this.appDbPassword = password("app-db-password");
    this.pgbouncerAuthPassword = password("pgbouncer-auth-password");
    this.monitoringDbPassword = password("monitoring-db-password");
    this.redisPassword = password("redis-password");
    this.redisExporterPassword = password("redis-exporter-password");
    this.grafanaAdminPassword = password("grafana-admin-password");
    this.metricsBasicAuthPassword = password("metrics-basic-auth-password");

    this.registerOutputs({});
  }
}

// A compliant production stack as the engine hands it to the pack, shaped like the program's
// (config files from its real renderers) but built by hand, so each test changes ONE field.
// `secretsKnown: false` is a first deployment's preview (every generated value unknown);
// `true` is an update's preview (generated values known and handed over unwrapped).
import { secretsEntrypoint } from "../../components/app/secret-files";
import { renderPgbouncerIni } from "../../components/pgbouncer/pgbouncer-ini";
import { renderPgHbaConf } from "../../components/postgres/pg-hba";
import { renderPostgresqlConf } from "../../components/postgres/postgresql-conf";
import { renderRedisConf, renderRedisUsersFile } from "../../components/redis/redis-conf";
import {
  CONTAINER, DYNAMIC_RESOURCE, NETWORK, PG_DATABASE, PG_ROLE, RANDOM_BYTES, RANDOM_PASSWORD, REMOTE_IMAGE,
} from "../../policies/lib/resource-types";
import { SECRETS_DIR } from "../../policies/lib/app-settings";
import type { StackContext } from "../../policies/lib/stack-context";
import { UNKNOWN, type TestResource } from "./harness";

export const STACK = "production";
const keepers = { stack: STACK };

/** Generated values as an update's preview knows them. */
export const GENERATED = {
  djangoSecretKey: "kQ7#vR2!mZ9$pL4%tX8&wN3*yB6(cD1)fG5-hJ0_sA2=uE7+iO4[lK9]nM3{qW8}",
  postgresPassword: "PgSuperUser4Tq9Zr2Wm7Xk3Vn8Bp5Lc1Hd6Jf0A",
  migrationDbPassword: "Owner8Migr4Tq7Zx2Wc5Vb9Nm3Lk6Jh1Gf0DsAq",
  appDbPassword: "AppRole7Yt4Qw9Er2Ty5Ui8Op3As6Df1Gh0JkL2",
  redisPassword: "RedisApp3Zx8Cv5Bn2Mq7Wl4Ek9Rt6Yu1Io0PaSd",
  redisExporterPassword: "RedisExp8Kj3Hg6Fd1Sa4Lz7Xc2Vb5Nm0Qw9ErTy",
  backupKeyBase64: Buffer.alloc(32, 0xfb).toString("base64"),
  fieldKeyBase64: Buffer.alloc(32, 0x3e).toString("base64"),
} as const;

export const urlSafe = (b64: string) => b64.replace(/\+/g, "-").replace(/\//g, "_");

/** Secrets set with `pulumi config set --secret` (the pack's env carries them decrypted). */
export const CONFIG_SECRETS = {
  "jewelry-shop:sentryDsn": "https://0123456789abcdef@o0.ingest.sentry.io/1234567",
  "jewelry-shop:stripeSecretKey": "sk_live_51ExampleOnlyReplaceMe0000000000",
  "jewelry-shop:stripeWebhookSecret": "whsec_ExampleOnlyReplaceMe000000000",
  "jewelry-shop:twilioAuthToken": "0123456789abcdef0123456789abcdef",
} as const;

export const TENANT_TABLES = [{ table: "inventory_item" }, { table: "sales_sale", tenantColumn: "tenant_id" }];

export function stackContext(overrides: Partial<StackContext> = {}, config: Record<string, string> = {}): StackContext {
  return {
    stack: STACK,
    environment: "production",
    today: "2025-01-15",
    config: {
      "jewelry-shop:environment": "production",
      "jewelry-shop:postgres": JSON.stringify({ database: "jewelry_shop", tenantTables: TENANT_TABLES }),
      ...CONFIG_SECRETS,
      ...config,
    },
    ...overrides,
  };
}

/** The hardening baseline (components/docker/hardening.ts); the healthcheck probes the service itself on loopback. */
const hardened = (name: string, image: string, memory: number, cpus: string, probe = "nc -z 127.0.0.1 8000 || exit 1") => ({
  name,
  image,
  restart: "unless-stopped",
  memory,
  memorySwap: memory,
  cpus,
  securityOpts: ["no-new-privileges:true"],
  capabilities: { drops: ["ALL"], adds: [] as string[] },
  ulimits: [{ name: "nproc", soft: 512, hard: 512 }],
  logDriver: "json-file",
  logOpts: { "max-size": "10m", "max-file": "5" },
  healthcheck: { tests: ["CMD-SHELL", probe], interval: "30s", timeout: "5s", retries: 3 },
});

const POSTGRES_CONF = "/etc/postgresql/postgresql.conf";
const PG_HBA = "/etc/postgresql/pg_hba.conf";
const REDIS_CONF = "/usr/local/etc/redis/redis.conf";
const REDIS_USERS = "/usr/local/etc/redis/users.acl";
const PGBOUNCER_INI = "/etc/pgbouncer/pgbouncer.ini";

export const postgresConf = renderPostgresqlConf({
  maxConnections: 200, memoryMiB: 4096, cpus: 2,
  tls: { certFile: "/etc/postgresql/tls/server.crt", keyFile: "/etc/postgresql/tls/server.key" },
  hbaFile: PG_HBA, archive: { dir: "/var/lib/postgresql/wal-archive" },
});
export const pgHba = renderPgHbaConf({ allowedCidrs: ["172.30.2.0/24"] });
export const redisConf = renderRedisConf({ bind: ["0.0.0.0"], port: 6379, usersFile: REDIS_USERS, dir: "/data", maxmemoryMb: 768, maxmemoryPolicy: "volatile-lru" });
export const redisUsers = renderRedisUsersFile({
  appUser: "jewelry", appPassword: GENERATED.redisPassword, exporterUser: "exporter", exporterPassword: GENERATED.redisExporterPassword,
});
export const pgbouncerIni = renderPgbouncerIni({
  database: { dbname: "jewelry_shop", host: "jewelry-postgres" },
  authUser: "pgbouncer_auth", authQuery: "SELECT usename, passwd FROM pgbouncer.get_auth($1)", authFile: "/etc/pgbouncer/userlist.txt",
  clientTls: { certFile: "/etc/pgbouncer/tls/server.crt", keyFile: "/etc/pgbouncer/tls/server.key" },
  serverTls: { caFile: "/etc/pgbouncer/tls/ca.crt" },
  pool: { maxDbConnections: 189, defaultPoolSize: 171, reservePoolSize: 18, maxClientConn: 1890 },
});

/** A credential file as the program uploads it (components/app/secret-files.ts). */
export const secretFile = (name: string, content: string) => ({ file: `${SECRETS_DIR}/${name}`, content, permissions: "0444" });

/** The app's settings: plain env entries (known), credentials as secret files (content known or unknown). */
export function appInputs(secretsKnown: boolean, database: { host: string; user: string; password: string; viaPgbouncer: boolean }): { envs: string[]; uploads: ReturnType<typeof secretFile>[] } {
  const secret = (name: string, value: string) => secretFile(name, secretsKnown ? value : UNKNOWN);
  const port = database.viaPgbouncer ? 6432 : 5432;
  return {
    envs: [
      "DJANGO_SETTINGS_MODULE=config.settings.production",
      "DEBUG=False",
      "DJANGO_ALLOWED_HOSTS=shop.example.org,www.shop.example.org",
      "SITE_URL=https://shop.example.org",
      "ENVIRONMENT=production",
      `DB_HOST=${database.host}`,
      `DB_PORT=${port}`,
      "DB_NAME=jewelry_shop",
      `DB_USER=${database.user}`,
      `USE_PGBOUNCER=${database.viaPgbouncer ? "True" : "False"}`,
      "REDIS_HOST=jewelry-redis",
      "EMAIL_PROVIDER=sendgrid",
      "DEFAULT_FROM_EMAIL=shop@shop.example.org",
      "SENTRY_ENVIRONMENT=production",
      "STRIPE_PUBLISHABLE_KEY=pk_live_51ExampleOnlyReplaceMe0000",
      "TWILIO_ACCOUNT_SID=AC00000000000000000000000000000000",
      "TWILIO_PHONE_NUMBER=+15550100000",
    ],
    uploads: [
      secret("DJANGO_SECRET_KEY", GENERATED.djangoSecretKey),
      secret("BACKUP_ENCRYPTION_KEY", urlSafe(GENERATED.backupKeyBase64)),
      secret("FIELD_ENCRYPTION_KEY", urlSafe(GENERATED.fieldKeyBase64)),
      secret("APP_DB_PASSWORD", database.password),
      secret("DATABASE_URL", `postgres://${database.user}:${database.password}@${database.host}:${port}/jewelry_shop?sslmode=verify-full`),
      secret("REDIS_PASSWORD", GENERATED.redisPassword),
      secret("REDIS_URL", `redis://jewelry:${GENERATED.redisPassword}@jewelry-redis:6379/0`),
      secret("CELERY_BROKER_URL", `redis://jewelry:${GENERATED.redisPassword}@jewelry-redis:6379/1`),
      // Config secrets are known at every preview.
      secretFile("SENTRY_DSN", CONFIG_SECRETS["jewelry-shop:sentryDsn"]),
      secretFile("STRIPE_SECRET_KEY", CONFIG_SECRETS["jewelry-shop:stripeSecretKey"]),
      secretFile("STRIPE_WEBHOOK_SECRET", CONFIG_SECRETS["jewelry-shop:stripeWebhookSecret"]),
      secretFile("TWILIO_AUTH_TOKEN", CONFIG_SECRETS["jewelry-shop:twilioAuthToken"]),
    ],
  };
}

const APP_SOURCES = ["secrets-django-secret-key", "secrets-backup-encryption-key", "secrets-field-encryption-key", "secrets-app-db-password", "secrets-redis-password"];
/** The migrate job's sources: the migration role's password instead of the app's. */
const MIGRATION_SOURCES = APP_SOURCES.map((s) => (s === "secrets-app-db-password" ? "secrets-migration-db-password" : s));

export function baseline(options: { secretsKnown: boolean } = { secretsKnown: true }): TestResource[] {
  const known = options.secretsKnown;
  const generated = (value: string) => (known ? value : UNKNOWN);
  const password = (name: string, result: string, extra: Record<string, unknown> = {}): TestResource => ({
    type: RANDOM_PASSWORD, name, props: { length: 40, special: false, minLower: 4, minUpper: 4, minNumeric: 4, keepers, result: generated(result), ...extra },
  });
  const bytes = (name: string, base64: string): TestResource => ({ type: RANDOM_BYTES, name, props: { length: 32, keepers, base64: generated(base64) } });
  const network = (purpose: string, internal: boolean): TestResource => ({ type: NETWORK, name: `topology-${purpose}`, props: { name: `jewelry-${purpose}`, driver: "bridge", internal } });
  const app = (name: string, extra: Record<string, unknown>, database: { host: string; user: string; password: string; viaPgbouncer: boolean } = { host: "jewelry-pgbouncer", user: "jewelry_app", password: GENERATED.appDbPassword, viaPgbouncer: true }) => ({
    type: CONTAINER, name, propertyDependencies: { uploads: database.user === "jewelry_owner" ? MIGRATION_SOURCES : APP_SOURCES },
    props: {
      ...hardened(`jewelry-${name}`, "registry.example.org/jewelry-shop/web:v1.0.0", 2048, "2"), user: "appuser:appgroup",
      entrypoints: secretsEntrypoint(), ...appInputs(known, database), ...extra,
    },
  });

  return [
    network("edge", false), network("backend", true), network("data", true),
    password("secrets-django-secret-key", GENERATED.djangoSecretKey, { length: 64, special: true, overrideSpecial: "!#%&*()-_=+[]{}<>:?" }),
    password("secrets-postgres-password", GENERATED.postgresPassword),
    password("secrets-app-db-password", GENERATED.appDbPassword),
    password("secrets-migration-db-password", GENERATED.migrationDbPassword),
    password("secrets-pgbouncer-auth-password", GENERATED.appDbPassword.split("").reverse().join("")),
    password("secrets-redis-password", GENERATED.redisPassword),
    password("secrets-redis-exporter-password", GENERATED.redisExporterPassword),
    bytes("secrets-backup-encryption-key", GENERATED.backupKeyBase64),
    bytes("secrets-field-encryption-key", GENERATED.fieldKeyBase64),
    { type: REMOTE_IMAGE, name: "postgres-image", props: { name: "postgres:16.6-bookworm", keepLocally: true } },
    {
      type: CONTAINER, name: "postgres-container", propertyDependencies: { envs: ["secrets-postgres-password"] },
      props: {
        ...hardened("jewelry-postgres", "postgres:16.6-bookworm", 4096, "2", "pg_isready -U postgres -h /var/run/postgresql"),
        capabilities: { drops: ["ALL"], adds: ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"] },
        entrypoints: ["sh", "-c", "chown postgres:postgres /var/lib/postgresql/wal-archive && exec docker-entrypoint.sh \"$@\"", "--"],
        command: ["postgres", "-c", `config_file=${POSTGRES_CONF}`],
        envs: [generated(`POSTGRES_PASSWORD=${GENERATED.postgresPassword}`), "PGDATA=/var/lib/postgresql/data/pgdata"],
        networksAdvanced: [{ name: "jewelry-data", aliases: ["postgres"], ipv4Address: "172.30.2.10" }],
        volumes: [
          { volumeName: "jewelry-postgres-data", containerPath: "/var/lib/postgresql/data" },
          { volumeName: "jewelry-wal-archive", containerPath: "/var/lib/postgresql/wal-archive" },
        ],
        uploads: [
          { file: POSTGRES_CONF, content: postgresConf },
          { file: PG_HBA, content: pgHba },
          { file: "/etc/postgresql/tls/server.key", content: UNKNOWN, owner: "999", group: "999", permissions: "0600" },
        ],
      },
    },
    {
      type: CONTAINER, name: "pgbouncer-container", propertyDependencies: { uploads: ["secrets-pgbouncer-auth-password"] },
      props: {
        ...hardened("jewelry-pgbouncer", "edoburu/pgbouncer:v1.23.1-p3", 128, "0.5", "nc -z 127.0.0.1 6432 || exit 1"), user: "70:70",
        command: ["pgbouncer", PGBOUNCER_INI],
        networksAdvanced: [{ name: "jewelry-backend", aliases: ["pgbouncer"] }, { name: "jewelry-data" }],
        uploads: [{ file: PGBOUNCER_INI, content: pgbouncerIni }, { file: "/etc/pgbouncer/userlist.txt", content: UNKNOWN, permissions: "0600" }],
      },
    },
    {
      type: CONTAINER, name: "redis-container", propertyDependencies: { uploads: ["secrets-redis-password", "secrets-redis-exporter-password"] },
      props: {
        ...hardened("jewelry-redis", "redis:7.4.1-bookworm", 1024, "0.5", "redis-cli -p 6379 ping 2>&1 | grep -qE 'PONG|NOAUTH'"), user: "999:999",
        command: ["redis-server", REDIS_CONF],
        networksAdvanced: [{ name: "jewelry-backend", aliases: ["redis"] }],
        volumes: [{ volumeName: "jewelry-redis-data", containerPath: "/data" }],
        uploads: [{ file: REDIS_CONF, content: redisConf }, { file: REDIS_USERS, content: generated(redisUsers), permissions: "0600" }],
      },
    },
    app("app-web", { networksAdvanced: [{ name: "jewelry-edge", aliases: ["web"] }, { name: "jewelry-backend" }] }),
    app("app-migrate", {
      command: ["python", "manage.py", "migrate", "--noinput"], restart: "no", attach: true,
      networksAdvanced: [{ name: "jewelry-data" }, { name: "jewelry-backend" }],
    }, { host: "jewelry-postgres", user: "jewelry_owner", password: GENERATED.migrationDbPassword, viaPgbouncer: false }),
    {
      type: CONTAINER, name: "edge-nginx",
      props: {
        ...hardened("jewelry-nginx", "nginx:1.27.3-bookworm", 256, "0.5", "curl -fsS -o /dev/null http://127.0.0.1:8080/stub_status || exit 1"),
        capabilities: { drops: ["ALL"], adds: ["CHOWN", "SETUID", "SETGID", "NET_BIND_SERVICE"] },
        ports: [{ internal: 80, external: 80, protocol: "tcp" }, { internal: 443, external: 443, protocol: "tcp" }],
        networksAdvanced: [{ name: "jewelry-edge", aliases: ["nginx"] }],
      },
    },
    {
      type: PG_ROLE, name: "database-owner", propertyDependencies: { password: ["secrets-migration-db-password"] },
      props: { name: "jewelry_owner", login: true, password: generated(GENERATED.migrationDbPassword), superuser: false, createDatabase: false, createRole: false, bypassRowLevelSecurity: true },
    },
    {
      type: PG_ROLE, name: "database-app", propertyDependencies: { password: ["secrets-app-db-password"] },
      props: { name: "jewelry_app", login: true, password: generated(GENERATED.appDbPassword), superuser: false, createDatabase: false, createRole: false, replication: false, bypassRowLevelSecurity: false, inherit: true },
    },
    { type: PG_DATABASE, name: "database-database", props: { name: "jewelry_shop", owner: "jewelry_owner", encoding: "UTF8" } },
    {
      type: DYNAMIC_RESOURCE, name: "row-level-security-tenant-isolation",
      props: { connection: UNKNOWN, tables: [{ table: "inventory_item", tenantColumn: "tenant_id" }, { schema: "public", table: "sales_sale", tenantColumn: "tenant_id" }], settingName: "app.current_tenant" },
    },
  ];
}

/** Inputs as a mutation sees them: arbitrary nested JSON the test reaches into (hence `any`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type MutableProps = Record<string, any>;

/** The baseline with one resource's props changed by `change` (on a deep copy). */
export function mutate(resources: readonly TestResource[], name: string, change: (props: MutableProps) => void): TestResource[] {
  let found = false;
  const result = resources.map((r) => {
    if (r.name !== name) return r;
    found = true;
    const props = structuredClone(r.props);
    change(props);
    return { ...r, props };
  });
  if (!found) throw new Error(`no resource ${name} in the baseline`);
  return result;
}

/** Adds a resource (e.g. a second network) to a copy of the stack. */
export const withResource = (resources: readonly TestResource[], extra: TestResource): TestResource[] => [...resources, extra];

/** Replaces (or adds) "KEY=value" in a container's envs; `undefined` removes the key. */
export function setEnv(props: MutableProps, key: string, value: string | undefined): void {
  const envs = (props.envs as string[]).filter((e) => !e.startsWith(`${key}=`));
  props.envs = value === undefined ? envs : [...envs, `${key}=${value}`];
}

/** Replaces (or adds) the secret file /run/secrets/<name> of a container; `undefined` removes it. */
export function setSecretFile(props: MutableProps, name: string, content: string | undefined): void {
  const uploads = ((props.uploads ?? []) as { file: string }[]).filter((u) => u.file !== `${SECRETS_DIR}/${name}`);
  props.uploads = content === undefined ? uploads : [...uploads, secretFile(name, content)];
}

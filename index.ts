// The jewelry-shop production platform: composition only. Each concern is a component in components/;
// the stack configuration is read and validated once, here, and passed on as typed values.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "./components/config";
import { DockerTopology, NETWORKS, POSTGRES_DATA_ADDRESS } from "./components/docker/topology";
import { PgBouncer } from "./components/pgbouncer/pgbouncer";
import { appEnv } from "./components/app/app-env";
import { APP_PATHS, DjangoApp, WEB_CONTAINER, WEB_PORT } from "./components/app/django-app";
import { B2Storage } from "./components/b2/b2-storage";
import { Backups } from "./components/backup/backups";
import { PG_HOST_CLIENT_CN, REPOSITORY_HOST } from "./components/backup/repository-host";
import { CloudflareEdge, R2Storage } from "./components/cloudflare";
import { configuredBrowserProviders } from "./components/edge/browser-providers";
import { Edge, NGINX_CONTAINER, NGINX_STATUS_PORT } from "./components/edge/edge";
import { alertSmtp } from "./components/monitoring/alert-smtp";
import { Monitoring } from "./components/monitoring/monitoring";
import { AppDatabase, DB_ROLES } from "./components/postgres/app-database";
import { RowLevelSecurity } from "./components/postgres/row-level-security";
import { POSTGRES_CONTAINER, PostgresServer } from "./components/postgres/postgres-server";
import { REDIS_USERS, Redis } from "./components/redis/redis";
import { Secrets } from "./components/secrets/secrets";
import { InternalCa } from "./components/tls/internal-ca";

const config = readStackConfig();
const stack = pulumi.getStack();

const dockerHost = new docker.Provider("docker-host", { host: config.dockerHost });
const onHost: pulumi.ComponentResourceOptions = { providers: { docker: dockerHost } };

const secrets = new Secrets("secrets", { stack });
const topology = new DockerTopology("topology", { stack }, onHost);
const internalCa = new InternalCa("internal-ca", {
  services: {
    // 127.0.0.1/localhost: the administrators' SSH tunnel verifies the same certificate.
    postgres: { dnsNames: [POSTGRES_CONTAINER, "postgres", "localhost"], ipAddresses: [POSTGRES_DATA_ADDRESS, "127.0.0.1"] },
    pgbouncer: { dnsNames: ["jewelry-pgbouncer", "pgbouncer"] },
    "pgbackrest-repository": { dnsNames: [REPOSITORY_HOST.host] },
  },
  clients: { "pgbackrest-postgres": { commonName: PG_HOST_CLIENT_CN } },
});

const cloudflareEdge = new CloudflareEdge("cloudflare-edge", { zoneId: config.cloudflare.zoneId, dns: config });
const r2 = new R2Storage("r2", {
  accountId: config.cloudflare.accountId,
  location: config.cloudflare.r2Location,
  buckets: { media: config.cloudflare.mediaBucket, backups: config.cloudflare.backupBucket },
  stack,
});
const b2 = new B2Storage("b2", {
  bucket: config.b2.bucket,
  masterKeyId: config.b2.masterKeyId,
  masterApplicationKey: config.secrets.b2MasterApplicationKey!,
  retentionDays: config.backups.retentionFull * 7 + 7,
  adoptBucketId: config.b2.adoptBucketId,
});

// The repository host first: PostgreSQL archives WAL to it from its first start.
const backups = new Backups("backups", {
  size: config.sizes.backup,
  schedules: {
    full: config.backups.fullSchedule, diff: config.backups.diffSchedule,
    incr: config.backups.incrSchedule, restoreDrill: config.backups.restoreDrillSchedule,
  },
  retention: { full: config.backups.retentionFull, diff: config.backups.retentionDiff },
  r2: { accountId: config.cloudflare.accountId, bucket: config.cloudflare.backupBucket, credentials: r2.backups },
  b2: { region: config.b2.region, bucket: config.b2.bucket, credentials: { accessKeyId: b2.key.applicationKeyId, secretAccessKey: b2.key.applicationKey } },
  backupEncryptionKey: secrets.backupEncryptionKey,
  postgresPassword: secrets.postgresPassword,
  networks: { data: topology.networks.data, egress: topology.networks.egress },
  tls: { serverCert: internalCa.certs["pgbackrest-repository"], caCertPem: internalCa.caCertPem },
  volumes: {
    repo: topology.volumes["pgbackrest-repo"],
    postgresData: topology.volumes["postgres-data"], postgresSocket: topology.volumes["postgres-socket"],
    textfile: topology.volumes["node-textfile"],
  },
}, onHost);

const postgres = new PostgresServer("postgres", {
  size: config.sizes.postgres,
  maxConnections: config.postgres.maxConnections,
  network: topology.networks.data,
  dataVolume: topology.volumes["postgres-data"],
  socketVolume: topology.volumes["postgres-socket"],
  superuserPassword: secrets.postgresPassword,
  tls: internalCa.certs.postgres,
  // WAL goes to the backup container, pgBackRest's repository host, over TLS.
  pgbackrest: {
    host: REPOSITORY_HOST.host, port: REPOSITORY_HOST.port, repos: REPOSITORY_HOST.repos,
    clientCert: internalCa.clientCerts["pgbackrest-postgres"], caCertPem: internalCa.caCertPem,
    spoolVolume: topology.volumes["pgbackrest-spool"],
  },
  repositoryHost: backups.container,
}, onHost);

const pgbouncer = new PgBouncer("pgbouncer", {
  size: config.sizes.pgbouncer,
  clientNetwork: topology.networks.backend,
  dataNetwork: topology.networks.data,
  databaseName: config.postgres.database,
  postgresHost: postgres.host,
  postgresMaxConnections: config.postgres.maxConnections,
  authPassword: secrets.pgbouncerAuthPassword,
  monitorPassword: secrets.monitoringDbPassword,
  tls: internalCa.certs.pgbouncer,
  caCertPem: internalCa.caCertPem,
  dependsOn: [postgres.container],
}, onHost);

const redis = new Redis("redis", {
  size: config.sizes.redis,
  network: topology.networks.backend,
  monitoringNetwork: topology.networks.monitoring,
  dataVolume: topology.volumes["redis-data"],
  maxmemoryMb: config.redis.maxmemoryMb,
  maxmemoryPolicy: config.redis.maxmemoryPolicy,
  appPassword: secrets.redisPassword,
  exporterPassword: secrets.redisExporterPassword,
}, onHost);

const database = new AppDatabase("database", {
  databaseName: config.postgres.database,
  passwords: {
    owner: secrets.migrationDbPassword,
    app: secrets.appDbPassword,
    pgbouncerAuth: secrets.pgbouncerAuthPassword,
    monitor: secrets.monitoringDbPassword,
    superuser: secrets.postgresPassword,
  },
  pgbouncerAuthConnectionLimit: pgbouncer.authRoleConnectionLimit,
  tunnel: { host: "127.0.0.1", port: config.postgres.adminPort },
  server: postgres.container,
});

const appEnvInputs = {
  config,
  djangoSecretKey: secrets.djangoSecretKey,
  backupEncryptionKey: secrets.backupEncryptionKey,
  fieldEncryptionKey: secrets.fieldEncryptionKey,
  redis: { host: redis.host, port: redis.port, user: REDIS_USERS.app, password: secrets.redisPassword },
  // Media on R2 through django-storages' S3 backend; the token reaches the media bucket only.
  extra: [
    pulumi.interpolate`AWS_STORAGE_BUCKET_NAME=${r2.media.bucket}`,
    `AWS_S3_ENDPOINT_URL=${r2.media.endpoint}`,
    "AWS_S3_REGION_NAME=auto",
  ],
  extraSecrets: { AWS_ACCESS_KEY_ID: r2.media.accessKeyId, AWS_SECRET_ACCESS_KEY: r2.media.secretAccessKey },
};
const app = new DjangoApp("app", {
  image: config.appImage,
  sizes: config.sizes,
  env: appEnv({
    ...appEnvInputs,
    database: {
      host: pgbouncer.host, port: pgbouncer.port, name: config.postgres.database, user: DB_ROLES.app,
      password: secrets.appDbPassword, viaPgbouncer: true, caFile: APP_PATHS.caCert,
    },
  }),
  migrationEnv: appEnv({
    ...appEnvInputs,
    database: {
      host: postgres.host, port: postgres.port, name: config.postgres.database, user: DB_ROLES.owner,
      password: secrets.migrationDbPassword, viaPgbouncer: false, caFile: APP_PATHS.caCert,
    },
  }),
  caCertPem: internalCa.caCertPem,
  networks: topology.networks,
  staticVolume: topology.volumes.static,
  mediaVolume: topology.volumes.media,
  gunicornWorkers: config.app.gunicornWorkers,
  celeryConcurrency: config.app.celeryConcurrency,
  dependsOn: [database, pgbouncer, redis],
}, onHost);

const rowLevelSecurity = new RowLevelSecurity("row-level-security", {
  admin: database.adminConnection,
  databaseName: config.postgres.database,
  tenantTables: config.postgres.tenantTables,
  migrate: app.jobs.migrate,
});

const edge = new Edge("edge", {
  domain: config.domain,
  aliases: config.domainAliases,
  acmeEmail: config.monitoring.alertEmail,
  sizes: { nginx: config.sizes.nginx, certbot: config.sizes.certbot },
  edgeNetwork: topology.networks.edge,
  monitoringNetwork: topology.networks.monitoring,
  volumes: {
    static: topology.volumes.static,
    media: topology.volumes.media,
    letsencrypt: topology.volumes.letsencrypt,
    acmeWebroot: topology.volumes["acme-webroot"],
  },
  upstream: { host: WEB_CONTAINER, port: WEB_PORT },
  clientMaxBodyMb: config.app.clientMaxBodyMb,
  browserProviders: configuredBrowserProviders(config),
  behindCloudflare: config.cloudflare.proxied,
  cloudflareZoneId: config.cloudflare.zoneId,
  dependsOn: [app.web],
}, onHost);

const monitoring = new Monitoring("monitoring", {
  sizes: config.sizes,
  environment: config.environment,
  domain: config.domain,
  networks: topology.networks,
  volumes: topology.volumes,
  prometheusRetentionDays: config.monitoring.prometheusRetentionDays,
  lokiRetentionDays: config.monitoring.lokiRetentionDays,
  alerts: {
    email: config.monitoring.alertEmail,
    pager: config.monitoring.pager,
    pagerSecret: config.secrets.alertWebhookSecret,
    slackChannel: config.monitoring.slackChannel,
  },
  smtp: alertSmtp(config),
  grafanaAdminPassword: secrets.grafanaAdminPassword,
  exposeGrafana: config.monitoring.exposeGrafana,
  exporters: {
    postgres: {
      host: postgres.host, port: postgres.port, user: DB_ROLES.monitor, password: secrets.monitoringDbPassword,
      database: config.postgres.database, sslmode: "require",
    },
    pgbouncer: { host: pgbouncer.host, port: pgbouncer.port, user: DB_ROLES.monitor, password: secrets.monitoringDbPassword },
    redis: { host: redis.host, port: redis.port, user: REDIS_USERS.exporter, password: secrets.redisExporterPassword },
    nginxStubStatusUrl: `http://${NGINX_CONTAINER}:${NGINX_STATUS_PORT}/stub_status`,
    servers: { postgres: postgres.container, pgbouncer: pgbouncer.container, redis: redis.container, nginx: edge.nginx },
    celeryBrokerUrl: pulumi.interpolate`redis://${REDIS_USERS.app}:${secrets.redisPassword}@${redis.host}:${redis.port}/1`,
  },
  // nginx relays the app's /metrics from its status port with the public Host (components/nginx).
  webMetricsTarget: `${NGINX_CONTAINER}:${NGINX_STATUS_PORT}`,
  backupRepos: ["repo1", "repo2", "repo3"],
}, onHost);

export const environment = config.environment;
export const siteUrl = config.siteUrl;
export const dataNetworkSubnet = NETWORKS.data.subnet;
export const databaseName = database.databaseName;
export const pgbouncerEndpoint = pulumi.interpolate`${pgbouncer.host}:${pgbouncer.port}`;
export const redisEndpoint = pulumi.interpolate`${redis.host}:${redis.port}`;
export const tenantIsolatedTables = rowLevelSecurity.isolation.isolatedTables;
export const fail2banJailLocal = edge.fail2ban.jailLocal;
export const fail2banFilters = edge.fail2ban.filters;
export const dnsRecords = cloudflareEdge.specs.map((r) => `${r.type} ${r.name}`);
export const backupRepositories = backups.pgbackrestConf.match(/^repo\d+-type=.*$/gm);
export const prometheusUrl = monitoring.prometheusUrl;
// What `npm run verify` needs inside the stack (README, "Verifying a deployed stack"):
//   pulumi stack output --show-secrets --json verifyCredentials > verify-credentials.json
export const verifyCredentials = pulumi.secret(
  pulumi.all([secrets.postgresPassword, secrets.redisPassword, secrets.redisExporterPassword, internalCa.caCertPem]).apply(([postgres, app, exporter, ca]) => ({
    postgres: { user: "postgres", password: postgres },
    redis: { appUser: REDIS_USERS.app, users: { [REDIS_USERS.app]: app, [REDIS_USERS.exporter]: exporter } },
    internalCaCert: ca,
  })),
);

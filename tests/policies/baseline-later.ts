// A stack compliant with the policies of sections 5, 6, 8, 9, 10, 12, 13 and 14, as the engine
// would hand it at preview (generated secrets unknown). Config files come from the program's own
// renderers, so these tests also prove the renderers' output passes the pack. Each test mutates one field.
import { secretsEntrypoint } from "../../components/app/secret-files";
import { renderBackupCrontab, renderBackupWrapper } from "../../components/backup/backup-schedule";
import { renderPgbackrestConf } from "../../components/backup/pgbackrest-conf";
import { renderPgHostPgbackrestConf } from "../../components/backup/pgbackrest-pg-host-conf";
import { renderRestoreDrillScript } from "../../components/backup/restore-drill";
import { CLOUDFLARE_IPV4_RANGES, certbotLoop } from "../../components/edge/edge-files";
import { renderAlertRules } from "../../components/monitoring/alert-rules";
import { renderLokiConfig } from "../../components/monitoring/loki-config";
import { renderPrometheusConfig, DEFAULT_SCRAPE_TARGETS } from "../../components/monitoring/prometheus-config";
import { renderPromtailConfig } from "../../components/monitoring/promtail-config";
import { renderGrafanaDashboardProvider } from "../../components/monitoring/grafana-provisioning";
import { renderNginxConf, type NginxConfArgs } from "../../components/nginx/nginx-conf";
import type { StackContext } from "../../policies/lib/stack-context";
import { mutate as mutateResource, setEnv, setSecretFile, type MutableProps } from "./baseline";
import { analyze, of, UNKNOWN, type TestResource } from "./harness";

export const CONTAINER = "docker:index/container:Container";
export const DOMAIN = "jewelry-shop.com";

export const production: StackContext = { stack: "production", environment: "production", config: {}, today: "2026-11-25" };

export const nginxArgs: NginxConfArgs = {
  primaryDomain: DOMAIN,
  domainAliases: [`www.${DOMAIN}`],
  upstream: { host: "web", port: 8000 },
  httpPort: 80,
  httpsPort: 443,
  acmeWebroot: "/var/www/acme",
  tls: { certificates: [{ certificatePath: "/etc/nginx/tls/current/fullchain.pem", keyPath: "/etc/nginx/tls/current/privkey.pem" }], dhparamPath: "/etc/nginx/tls/ffdhe2048.pem" },
  staticRoot: "/srv/static",
  mediaRoot: "/srv/media",
  clientMaxBodyMb: 20,
  paths: { pidFile: "/var/run/nginx.pid", errorLog: "/var/log/nginx/error.log", accessLog: "/var/log/nginx/access.log", tempDir: "/var/cache/nginx" },
  realIp: { trustedProxyCidrs: CLOUDFLARE_IPV4_RANGES, header: "CF-Connecting-IP" },
  status: { port: 8080, allowCidrs: ["172.30.1.0/24"] },
};

export const appEnv = [
  "DJANGO_SETTINGS_MODULE=config.settings.production",
  "ENVIRONMENT=production",
  "EMAIL_PROVIDER=sendgrid",
  "DEFAULT_FROM_EMAIL=Jewelry Shop <noreply@jewelry-shop.com>",
  "SENTRY_ENVIRONMENT=production",
  "REDIS_HOST=redis",
  "REDIS_PORT=6379",
];

export const SENTRY_DSN = "https://0123456789abcdef0123456789abcdef@o12345.ingest.sentry.io/67890";

/** The app's credentials as the program delivers them: files under /run/secrets, path known, content secret. */
export const appSecretFiles = (): { file: string; content: string }[] => [
  { file: "/run/secrets/DJANGO_SECRET_KEY", content: UNKNOWN }, // generated: unknown at preview
  { file: "/run/secrets/SENDGRID_API_KEY", content: "SG.abcdefghijklmnop" },
  { file: "/run/secrets/SENTRY_DSN", content: SENTRY_DSN },
];

const repos = [
  { type: "posix" as const, name: "local", path: "/var/lib/pgbackrest", retention: { full: 2, diff: 7 } },
  { type: "r2" as const, name: "r2", path: "/pgbackrest", accountId: "0123456789abcdef0123456789abcdef", bucket: "jewelry-backups", retention: { full: 4, diff: 14 } },
  { type: "b2" as const, name: "b2", path: "/pgbackrest", region: "us-west-004", bucket: "jewelry-backups-b2", retention: { full: 4, diff: 14 } },
];
const PGDATA = "/var/lib/postgresql/data/pgdata";
const tlsServer = {
  address: "172.30.2.250", certFile: "/etc/pgbackrest/tls/pgbackrest.crt", keyFile: "/etc/pgbackrest/tls/pgbackrest.key",
  caFile: "/etc/pgbackrest/tls/ca.crt", authorizedClients: { "jewelry-postgres": ["main"] },
};
/** The repository host's config (the backup container) and the PostgreSQL host's, which points at it. */
export const pgbackrestConf = renderPgbackrestConf({ stanza: "main", repos, pg: { dataDir: PGDATA }, tlsServer });
export const pgHostPgbackrestConf = renderPgHostPgbackrestConf({
  stanza: "main", pg: { dataDir: PGDATA },
  repositoryHost: { host: "jewelry-backup", repos: [1, 2, 3], certFile: tlsServer.certFile, keyFile: tlsServer.keyFile, caFile: tlsServer.caFile },
});
export const WRAPPER = "/usr/local/bin/jewelry-backup";
export const DRILL = "/usr/local/bin/jewelry-restore-drill";
export const crontab = renderBackupCrontab({
  repos: [1, 2, 3].map((repo) => ({ repo, full: "15 2 * * 0", diff: "15 2 * * 1-6", incr: "15 */4 * * *" })),
  wrapperPath: WRAPPER,
  restoreDrill: { schedule: "45 4 * * 3", scriptPath: DRILL },
});
const backupWrapper = renderBackupWrapper({ stanza: "main", configPath: "/etc/pgbackrest", textfileDir: "/var/lib/node-exporter/textfile" });
const restoreDrill = renderRestoreDrillScript({
  stanza: "main", configPath: "/etc/pgbackrest", repo: 1, target: "latest", scratchParent: "/var/lib/pgbackrest-drill",
  scratchPort: 55432, pgBinDir: "/usr/lib/postgresql/16/bin", textfileDir: "/var/lib/node-exporter/textfile",
});
export const postgresqlConf = "listen_addresses = '*'\nwal_level = replica\narchive_mode = on\narchive_command = 'pgbackrest --stanza=main archive-push %p'\narchive_timeout = 300s\n";

export const alertmanagerYml = `global:
  smtp_smarthost: smtp.sendgrid.net:587
  smtp_from: alerts@jewelry-shop.com
route:
  receiver: email
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
      continue: true
    - matchers: ['severity=~"critical|warning"']
      receiver: email
receivers:
  - name: email
    email_configs: [{ to: ops@jewelry-shop.com }]
  - name: pager
    pagerduty_configs: [{ routing_key_file: /etc/alertmanager/secrets/pagerduty }]
`;

/** Where collectstatic and compilemessages write (STATIC_ROOT, LOCALE_PATHS) and the app services read. */
const JOB_VOLUMES: Record<string, { volumeName: string; containerPath: string }> = {
  collectstatic: { volumeName: "jewelry-static", containerPath: "/app/staticfiles" },
  compilemessages: { volumeName: "jewelry-locale-1", containerPath: "/app/locale" },
};

const job = (id: string): TestResource => ({
  type: CONTAINER, name: `app-${id}`,
  props: {
    name: `jewelry-${id}`, image: "ghcr.io/jewelry/shop:1.0.0", entrypoints: secretsEntrypoint(), envs: appEnv, uploads: appSecretFiles(),
    command: ["python", "manage.py", id, "--noinput"], restart: "no", attach: true,
    ...(JOB_VOLUMES[id] ? { volumes: [JOB_VOLUMES[id]] } : {}),
  },
});

/** A fresh copy of the compliant stack. */
export function baselineLater(): TestResource[] {
  return [
    job("migrate"),
    job("collectstatic"),
    job("compilemessages"),
    {
      type: CONTAINER, name: "app-web",
      props: {
        name: "jewelry-web", image: "ghcr.io/jewelry/shop:1.0.0", entrypoints: secretsEntrypoint(), envs: appEnv, uploads: appSecretFiles(),
        command: ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000"], restart: "unless-stopped",
        volumes: Object.values(JOB_VOLUMES).map((v) => ({ ...v, readOnly: true })),
      },
      // The engine lists dependsOn among a resource's dependencies; the harness models edges as property dependencies.
      propertyDependencies: { command: ["app-migrate", "app-collectstatic", "app-compilemessages"] },
    },
    {
      type: CONTAINER, name: "redis",
      props: { name: "jewelry-redis", image: "redis:7.4.1-bookworm", networksAdvanced: [{ name: "backend", aliases: ["redis"] }] },
    },
    {
      type: CONTAINER, name: "edge-nginx",
      props: {
        name: "jewelry-nginx", image: "nginx:1.27.3-bookworm", restart: "unless-stopped",
        ports: [{ internal: 80, external: 80 }, { internal: 443, external: 443, protocol: "tcp" }],
        uploads: [{ file: "/etc/nginx/nginx.conf", content: renderNginxConf(nginxArgs) }, { file: "/etc/nginx/tls/bootstrap/privkey.pem", content: UNKNOWN }],
      },
    },
    {
      type: CONTAINER, name: "edge-certbot",
      props: {
        name: "jewelry-certbot", image: "certbot/certbot:v3.0.1", restart: "unless-stopped", entrypoints: ["sh", "-c"],
        command: [certbotLoop({ domains: [DOMAIN, `www.${DOMAIN}`], email: "ops@jewelry-shop.com", webroot: "/var/www/acme" })],
      },
    },
    {
      type: CONTAINER, name: "postgres",
      props: {
        name: "jewelry-postgres", image: "postgres:16.6-bookworm", command: ["postgres", "-c", "config_file=/etc/postgresql/postgresql.conf"],
        uploads: [{ file: "/etc/postgresql/postgresql.conf", content: postgresqlConf }, { file: "/etc/pgbackrest/pgbackrest.conf", content: pgHostPgbackrestConf }],
        ports: [{ internal: 5432, external: 15432, ip: "127.0.0.1" }],
      },
    },
    {
      type: CONTAINER, name: "backup",
      props: {
        // As the program runs it: the postgres user's crontab under Debian's cron, and the TLS server for archive-push.
        name: "jewelry-backup", image: "jewelry-backup:16.6-bookworm-pgbackrest-2.54.1", envs: ["TZ=UTC"],
        command: ["sh", "-c", "crontab -u postgres /etc/pgbackrest/crontab && (gosu postgres pgbackrest server &) && exec cron -f"],
        volumes: [{ volumeName: "jewelry-pgbackrest-repo", containerPath: "/var/lib/pgbackrest" }],
        uploads: [
          { file: "/etc/pgbackrest/pgbackrest.conf", content: pgbackrestConf },
          { file: "/etc/pgbackrest/crontab", content: crontab },
          ...["repo1-cipher-pass", "repo2-cipher-pass", "repo2-s3-credentials", "repo3-cipher-pass", "repo3-s3-credentials"]
            .map((name) => ({ file: `/etc/pgbackrest/conf.d/${name}.conf`, content: UNKNOWN })),
          { file: WRAPPER, content: backupWrapper, executable: true },
          { file: DRILL, content: restoreDrill, executable: true },
        ],
      },
    },
    {
      type: CONTAINER, name: "prometheus",
      props: {
        name: "jewelry-prometheus", image: "prom/prometheus:v2.55.1",
        uploads: [
          {
            file: "/etc/prometheus/prometheus.yml",
            content: renderPrometheusConfig({
              environment: "production", alertmanagerTargets: ["alertmanager:9093"], ruleFiles: ["/etc/prometheus/rules/*.yml"],
              scrapeTargets: DEFAULT_SCRAPE_TARGETS, blackbox: { exporterAddress: "blackbox-exporter:9115", urls: [`https://${DOMAIN}/health/`] },
            }),
          },
          { file: "/etc/prometheus/rules/jewelry.yml", content: renderAlertRules({ backupRepos: ["repo1", "repo2", "repo3"] }) },
        ],
      },
    },
    {
      type: CONTAINER, name: "alertmanager",
      props: { image: "prom/alertmanager:v0.27.0", networksAdvanced: [{ name: "monitoring", aliases: ["alertmanager"] }], uploads: [{ file: "/etc/alertmanager/alertmanager.yml", content: alertmanagerYml }, { file: "/etc/alertmanager/secrets/pagerduty", content: UNKNOWN }] },
    },
    {
      type: CONTAINER, name: "grafana",
      props: {
        image: "grafana/grafana:11.3.1", envs: ["GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana-admin", "GF_AUTH_ANONYMOUS_ENABLED=false"],
        uploads: [
          { file: "/etc/grafana/provisioning/dashboards/jewelry-shop.yaml", content: renderGrafanaDashboardProvider() },
          { file: "/var/lib/grafana/dashboards/overview.json", content: JSON.stringify({ title: "Overview", panels: [] }) },
          { file: "/run/secrets/grafana-admin", content: UNKNOWN },
        ],
      },
    },
    {
      type: CONTAINER, name: "loki",
      props: {
        image: "grafana/loki:3.3.1", command: ["-config.file=/etc/loki/config.yaml"], networksAdvanced: [{ name: "monitoring", aliases: ["loki"] }],
        uploads: [{ file: "/etc/loki/config.yaml", content: renderLokiConfig({ retentionPeriod: "744h" }) }],
      },
    },
    {
      type: CONTAINER, name: "promtail",
      props: {
        image: "grafana/promtail:3.3.1", command: ["-config.file=/etc/promtail/config.yaml"],
        uploads: [{ file: "/etc/promtail/config.yaml", content: renderPromtailConfig({ lokiPushUrl: "http://loki:3100/loki/api/v1/push", environment: "production" }) }],
      },
    },
    { type: "cloudflare:index/dnsRecord:DnsRecord", name: "dns-apex", props: { zoneId: "z", name: DOMAIN, type: "A", content: "203.0.113.10", proxied: true, ttl: 1 } },
    { type: "cloudflare:index/dnsRecord:DnsRecord", name: "dns-www", props: { zoneId: "z", name: `www.${DOMAIN}`, type: "A", content: "203.0.113.10", proxied: true, ttl: 1 } },
    { type: "cloudflare:index/dnsRecord:DnsRecord", name: "dns-spf", props: { zoneId: "z", name: DOMAIN, type: "TXT", content: '"v=spf1 include:sendgrid.net -all"', ttl: 3600 } },
    { type: "cloudflare:index/dnsRecord:DnsRecord", name: "dns-dkim", props: { zoneId: "z", name: `s1._domainkey.${DOMAIN}`, type: "CNAME", content: "s1.domainkey.u123.wl.sendgrid.net", ttl: 3600 } },
    { type: "cloudflare:index/dnsRecord:DnsRecord", name: "dns-caa-issue", props: { zoneId: "z", name: DOMAIN, type: "CAA", data: { flags: 0, tag: "issue", value: "letsencrypt.org" }, ttl: 1 } },
    { type: "cloudflare:index/dnsRecord:DnsRecord", name: "dns-caa-issuewild", props: { zoneId: "z", name: DOMAIN, type: "CAA", data: { flags: 0, tag: "issuewild", value: ";" }, ttl: 1 } },
    { type: "cloudflare:index/dnsRecord:DnsRecord", name: "dns-dmarc", props: { zoneId: "z", name: `_dmarc.${DOMAIN}`, type: "TXT", content: "v=DMARC1; p=quarantine; rua=mailto:dmarc@jewelry-shop.com", ttl: 3600 } },
    { type: "cloudflare:index/r2Bucket:R2Bucket", name: "media-bucket", props: { accountId: "0123456789abcdef0123456789abcdef", name: "jewelry-media", location: "weur" } },
    {
      type: "cloudflare:index/r2ManagedDomain:R2ManagedDomain", name: "media-r2dev-off",
      props: { accountId: "0123456789abcdef0123456789abcdef", bucketName: "jewelry-media", enabled: false },
    },
    {
      type: "cloudflare:index/apiToken:ApiToken", name: "media-token",
      props: {
        name: "jewelry-media",
        policies: [{
          effect: "allow", permissionGroups: [{ id: "2efd5506f9c8494dacb1fa10a3e7d5b6" }],
          resources: JSON.stringify({ "com.cloudflare.edge.r2.bucket.0123456789abcdef0123456789abcdef_default_jewelry-media": "*" }),
        }],
      },
    },
    { type: "pulumi-nodejs:dynamic/b2:Bucket", name: "b2-backups", props: { adminKeyId: "k", adminApplicationKey: "s", bucketName: "jewelry-backups-b2", retentionDays: 30, fileLock: null } },
    {
      type: "pulumi-nodejs:dynamic/b2:ApplicationKey", name: "b2-backup-key",
      props: { adminKeyId: "k", adminApplicationKey: "s", bucketId: UNKNOWN, keyName: "jewelry-backup", namePrefix: null, capabilities: ["listBuckets", "listFiles", "readFiles", "writeFiles", "deleteFiles"] },
    },
    {
      type: "pulumi:pulumi:Stack", name: "jewelry-shop-production",
      props: { fail2banJailLocal: "[DEFAULT]\nbanaction = nftables-multiport\n\n[nginx-limit-req]\nenabled  = true\naction   = %(banaction)s[port=\"http,https\", chain_hook=\"forward\"]\n" },
    },
  ];
}

type Props = MutableProps;

/** The baseline with one resource's props changed. */
export const mutate = (name: string, change: (props: Props) => void): TestResource[] => mutateResource(baselineLater(), name, change);

/** Replaces the content of a container's upload at `file`. */
export function editUpload(props: Props, file: string, edit: (text: string) => string): void {
  const uploads = props.uploads as { file: string; content: string }[];
  const upload = uploads.find((u) => u.file === file);
  if (!upload) throw new Error(`no upload ${file}`);
  upload.content = edit(upload.content);
}

export { setEnv, setSecretFile };

/** Messages of one policy's findings over `resources` in production. */
export async function findings(resources: readonly TestResource[], policy: string): Promise<{ level: string; message: string }[]> {
  return of(await analyze(resources, production), policy).map((f) => ({ level: f.level, message: f.message }));
}

// The stack configuration, as a zod schema: one place that says what a stack may set, its
// defaults (secure by default) and the rules that depend on the environment.
import { z } from "zod";

export const PROJECT = "jewelry-shop";

/** Value the offline check gives to `secure:` keys it cannot decrypt: set and secret, shape unknown. */
export const OFFLINE_SECRET_PLACEHOLDER = "[secret: not decryptable offline]";

const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a lower-case DNS name such as shop.example.org");

const serviceSize = z.strictObject({
  memoryMb: z.number().int().min(64, "must be at least 64 (MiB)"),
  cpus: z.number().positive().max(64),
});
export type ServiceSize = z.infer<typeof serviceSize>;

/** Every container the stack runs, by the name used in sizes and resource names. */
export const SERVICES = [
  "postgres", "pgbouncer", "redis", "web", "worker", "beat", "nginx", "certbot",
  "prometheus", "alertmanager", "grafana", "loki", "promtail", "exporters", "backup",
] as const;
export type ServiceName = (typeof SERVICES)[number];

const DEFAULT_SIZES: Record<ServiceName, ServiceSize> = {
  postgres: { memoryMb: 4096, cpus: 2 },
  pgbouncer: { memoryMb: 128, cpus: 0.5 },
  redis: { memoryMb: 1024, cpus: 0.5 },
  web: { memoryMb: 2048, cpus: 2 },
  worker: { memoryMb: 1536, cpus: 1 },
  beat: { memoryMb: 256, cpus: 0.25 },
  nginx: { memoryMb: 256, cpus: 0.5 },
  certbot: { memoryMb: 128, cpus: 0.25 },
  prometheus: { memoryMb: 1024, cpus: 0.5 },
  alertmanager: { memoryMb: 128, cpus: 0.25 },
  grafana: { memoryMb: 256, cpus: 0.5 },
  loki: { memoryMb: 512, cpus: 0.5 },
  promtail: { memoryMb: 128, cpus: 0.25 },
  exporters: { memoryMb: 64, cpus: 0.1 },
  backup: { memoryMb: 512, cpus: 0.5 },
};

const sizes = z
  .partialRecord(z.enum(SERVICES), serviceSize)
  .default({})
  .transform((given): Record<ServiceName, ServiceSize> => ({ ...DEFAULT_SIZES, ...given }));

/**
 * How many containers run with each size at once. The exporters' size serves the seven exporters and
 * the Docker API proxy; web's also serves the three one-shot deploy jobs, which run while the old web
 * still serves. tests/check/container-sizes.test.ts proves it against the program's containers.
 */
export const CONTAINERS_PER_SIZE: Readonly<Record<ServiceName, number>> = {
  postgres: 1, pgbouncer: 1, redis: 1, web: 4, worker: 1, beat: 1, nginx: 1, certbot: 1,
  prometheus: 1, alertmanager: 1, grafana: 1, loki: 1, promtail: 1, exporters: 8, backup: 1,
};

/** What the Docker host has: container sizes are checked against it. */
const hostSize = z.strictObject({
  memoryMb: z.number().int().min(1024, "must be at least 1024 (MiB)"),
  cpus: z.number().int().min(1).max(1024),
});
export type HostSize = z.infer<typeof hostSize>;

const identifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lower-case SQL identifier (letters, digits, _; at most 63)");

const tenantTable = z.strictObject({
  schema: identifier.default("public"),
  table: identifier,
  tenantColumn: identifier.default("tenant_id"),
});
export type TenantTable = z.infer<typeof tenantTable>;

const postgres = z.strictObject({
  database: identifier.default("jewelry_shop"),
  /** Used for PgBouncer pool sizes and the connections alert. */
  maxConnections: z.number().int().min(20).max(5000).default(200),
  tenantTables: z.array(tenantTable).min(1, "must name at least one tenant table for row-level security"),
  /** Port on the Docker host's loopback for administration through an SSH tunnel. */
  adminPort: z.number().int().min(1).max(65535).default(5432),
});

const redis = z.strictObject({
  /** Defaults to 75% of the container's memory, leaving room for AOF rewrites. */
  maxmemoryMb: z.number().int().min(16).optional(),
  /** volatile-lru: only keys with a TTL (cache) are evicted; Celery's broker keys never are. */
  maxmemoryPolicy: z
    .enum(["noeviction", "volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu", "volatile-ttl"])
    .default("volatile-lru"),
});

const EMAIL_PROVIDERS = ["sendgrid", "mailgun", "ses", "smtp"] as const;
const email = z.strictObject({
  provider: z.enum(EMAIL_PROVIDERS),
  fromAddress: z.string(),
  /** smtp only. */
  smtpHost: hostname.optional(),
  smtpPort: z.number().int().min(1).max(65535).default(587),
  smtpUser: z.string().optional(),
  /** mailgun only: the sending domain. */
  mailgunDomain: hostname.optional(),
  /** ses only. */
  sesRegion: z.string().regex(/^[a-z]{2}-[a-z]+-\d$/, "must be an AWS region such as eu-west-1").optional(),
  sesAccessKeyId: z.string().optional(),
  /** DKIM records the provider gave you: name (relative to the zone) and TXT value or CNAME target. */
  dkim: z
    .array(z.strictObject({ name: z.string().min(1), type: z.enum(["TXT", "CNAME"]), value: z.string().min(1) }))
    .default([]),
  /** SPF include of the provider, e.g. "include:sendgrid.net". */
  spfInclude: z.string().regex(/^(include|ip4|ip6|a|mx):\S+$/).optional(),
  dmarcPolicy: z.enum(["quarantine", "reject"]).default("quarantine"),
  dmarcReportAddress: z.string().optional(),
});
export type EmailProvider = (typeof EMAIL_PROVIDERS)[number];

export const R2_BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
export const B2_BUCKET_NAME = /^[a-zA-Z0-9-]{6,63}$/;

const cloudflare = z.strictObject({
  zoneId: z.string().regex(/^[0-9a-f]{32}$/, "must be the 32-hex-digit zone id from the Cloudflare dashboard"),
  accountId: z.string().regex(/^[0-9a-f]{32}$/, "must be the 32-hex-digit account id from the Cloudflare dashboard"),
  /** Orange-cloud the web records (Cloudflare CDN, checklist 14.5). */
  proxied: z.boolean().default(true),
  /** Public IPv4 address of the Docker host the records point at. */
  hostIpv4: z.ipv4(),
  hostIpv6: z.ipv6().optional(),
  /** R2 bucket names; unset, they derive from the stack name (stack-names.ts). */
  mediaBucket: z.string().regex(R2_BUCKET_NAME).optional(),
  backupBucket: z.string().regex(R2_BUCKET_NAME).optional(),
  r2Location: z.enum(["wnam", "enam", "weur", "eeur", "apac", "oc"]).default("weur"),
});

const b2 = z.strictObject({
  /** Unset, it derives from the stack name (stack-names.ts). */
  bucket: z.string().regex(B2_BUCKET_NAME, "must be 6-63 letters, digits or '-' (B2 bucket names are global)").optional(),
  /** The id of an existing bucket named `bucket` that this stack may take over (the B2 provider refuses any other). */
  adoptBucketId: z.string().regex(/^\w{1,64}$/, "must be the bucket id the refusal to adopt named").optional(),
  /** S3-compatible endpoint region, e.g. eu-central-003. */
  region: z.string().regex(/^[a-z]+-[a-z]+-\d{3}$/, "must be a B2 region such as eu-central-003"),
  /** The master (or bucket-creating) application key id; its key is the secret b2MasterApplicationKey. */
  masterKeyId: z.string().min(1),
});

const backups = z.strictObject({
  /** Full backups kept per repository. */
  retentionFull: z.number().int().min(1).max(52).default(4),
  /** Differential backups kept per repository. */
  retentionDiff: z.number().int().min(1).max(60).default(7),
  fullSchedule: z.string().default("15 2 * * 0"),
  diffSchedule: z.string().default("15 2 * * 1-6"),
  incrSchedule: z.string().default("15 */4 * * *"),
  restoreDrillSchedule: z.string().default("45 4 * * 3"),
});

const monitoring = z.strictObject({
  prometheusRetentionDays: z.number().int().min(1).max(400).default(30),
  lokiRetentionDays: z.number().int().min(1).max(400).default(14),
  alertEmail: z.string(),
  /** Where critical alerts page: the webhook URL / routing key is the secret alertWebhookSecret. */
  pager: z.enum(["slack", "pagerduty", "none"]).default("slack"),
  /** Slack channel the webhook posts to (pager slack). */
  slackChannel: z.string().regex(/^#[a-z0-9_-]{1,80}$/, "must be a Slack channel such as #shop-alerts").default("#shop-alerts"),
  /** Serve Grafana at https://<domain>/grafana/ behind nginx basic auth (else only by SSH tunnel). */
  exposeGrafana: z.boolean().default(false),
});

const app = z.strictObject({
  /** gunicorn workers; defaults to 2 x CPUs + 1 of the web container. */
  gunicornWorkers: z.number().int().min(1).max(64).optional(),
  celeryConcurrency: z.number().int().min(1).max(64).optional(),
  clientMaxBodyMb: z.number().int().min(1).max(1024).default(20),
});

/**
 * The CLI hands every top-level config value to the program as text: an unquoted +15551234567 in the
 * stack file is a YAML number, so the program receives "15551234567" (measured with Go's yaml.v3, which
 * the CLI uses: tests/check/fixtures/go-yaml/). Say so, instead of only "not E.164".
 */
function e164(value: string, ctx: z.RefinementCtx): void {
  if (/^\+[1-9]\d{6,14}$/.test(value)) return;
  if (/^[1-9]\d{6,14}$/.test(value)) {
    ctx.addIssue({
      code: "custom",
      message: `is ${value}, without the leading "+": the stack file has the number unquoted, so YAML reads +${value} as the number ${value}`,
      params: { fix: `quote it in the stack file (jewelry-shop:twilioPhoneNumber: "+${value}"), or: pulumi config set jewelry-shop:twilioPhoneNumber "+${value}"` },
    });
    return;
  }
  ctx.addIssue({ code: "custom", message: "must be an E.164 number such as +15551234567" });
}

/** Keys whose values are credentials: they must be set with `pulumi config set --secret`. */
export const SECRET_KEYS = [
  "stripeSecretKey",
  "stripeWebhookSecret",
  "twilioAuthToken",
  "goldApiKey",
  "metalsApiKey",
  "sentryDsn",
  "emailApiKey",
  "smtpPassword",
  "sesSecretAccessKey",
  "b2MasterApplicationKey",
  "alertWebhookSecret",
  "smtpAlertPassword",
] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];

const secretString = z.string().min(1);

export const stackConfigSchema = z.strictObject({
  environment: z.enum(["production", "staging", "development"]),
  domain: hostname,
  domainAliases: z.array(hostname).default([]),
  siteUrl: z.url({ protocol: /^https?$/ }),
  djangoSettingsModule: z.string().regex(/^[A-Za-z_][\w.]*$/).default("config.settings.production"),
  debug: z.boolean().default(false),
  appImage: z.string(),
  dockerHost: z.string().regex(/^(unix|ssh|tcp):\/\/\S+$/, "must be a Docker host URL such as ssh://deploy@203.0.113.10"),
  sizes,
  hostSize,
  postgres,
  redis: redis.default({ maxmemoryPolicy: "volatile-lru" }),
  app: app.default({ clientMaxBodyMb: 20 }),
  email,
  stripePublishableKey: z.string(),
  twilioAccountSid: z.string().regex(/^AC[0-9a-f]{32}$/, "must be a Twilio Account SID: AC followed by 32 hex digits"),
  twilioPhoneNumber: z.string().superRefine(e164),
  cloudflare,
  b2,
  backups: backups.default({
    retentionFull: 4, retentionDiff: 7, fullSchedule: "15 2 * * 0", diffSchedule: "15 2 * * 1-6",
    incrSchedule: "15 */4 * * *", restoreDrillSchedule: "45 4 * * 3",
  }),
  monitoring,
  /** Read by the policy pack, not the program; validated there. */
  policyExemptions: z.unknown().optional(),
  stripeSecretKey: secretString,
  stripeWebhookSecret: secretString,
  twilioAuthToken: secretString,
  goldApiKey: secretString.optional(),
  metalsApiKey: secretString.optional(),
  sentryDsn: secretString,
  emailApiKey: secretString.optional(),
  smtpPassword: secretString.optional(),
  sesSecretAccessKey: secretString.optional(),
  b2MasterApplicationKey: secretString,
  alertWebhookSecret: secretString.optional(),
  smtpAlertPassword: secretString.optional(),
});

/** The config as zod parses it; storage names may still be unset. */
export type ParsedStackConfig = z.infer<typeof stackConfigSchema>;

/** The validated config, every storage name set (stack-names.ts: withStorageNames). */
export type RawStackConfig = ParsedStackConfig & {
  readonly cloudflare: { readonly mediaBucket: string; readonly backupBucket: string };
  readonly b2: { readonly bucket: string };
};

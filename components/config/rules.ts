// Rules that span several keys or depend on the environment; each returns problems, never throws.
import type { ConfigProblem } from "./errors";
import { CONTAINERS_PER_SIZE, OFFLINE_SECRET_PLACEHOLDER, PROJECT, SERVICES, type RawStackConfig } from "./schema";

const key = (path: string) => `${PROJECT}:${path}`;
const setCmd = (path: string, example: string, secret = false) =>
  `pulumi config set${secret ? " --secret" : ""}${path.includes(".") ? " --path" : ""} ${key(path)} ${example}`;

const EMAIL = /^[A-Za-z0-9._%+-]+@([a-z0-9-]+\.)+[a-z]{2,63}$/;

/** A secret the offline check could not decrypt: present, but its shape cannot be judged. */
const opaque = (value: string | undefined) => value === OFFLINE_SECRET_PLACEHOLDER;

/** Image references must pin a version: a tag other than `latest`, or a digest. */
export function imageProblem(image: string): string | undefined {
  const match = /^([a-z0-9]+([._\/-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*)(:([\w][\w.-]{0,127}))?(@sha256:[0-9a-f]{64})?$/.exec(image);
  if (!match) return "is not a valid image reference";
  const tag = match[7];
  const digest = match[8];
  if (!tag && !digest) return "has no tag or digest, so every pull may bring a different image";
  if (tag === "latest" && !digest) return "uses the `latest` tag, which is not a pinned version";
  return undefined;
}

function hostsOf(config: RawStackConfig): string[] {
  return [config.domain, ...config.domainAliases];
}

function onShopDomain(address: string, config: RawStackConfig): boolean {
  const domain = address.split("@")[1] ?? "";
  return hostsOf(config).some((host) => domain === host || domain.endsWith(`.${host}`) || host.endsWith(`.${domain}`));
}

export function crossFieldProblems(config: RawStackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: string, problem: string, fix: string) => problems.push({ key: key(path), problem, fix });
  const production = config.environment === "production";

  const image = imageProblem(config.appImage);
  if (image) add("appImage", `"${config.appImage}" ${image}`, setCmd("appImage", "registry.example.com/jewelry-shop:v1.4.2"));

  const site = new URL(config.siteUrl);
  if (production && site.protocol !== "https:") {
    add("siteUrl", `must use https:// in production (checklist 1.8), got ${config.siteUrl}`, setCmd("siteUrl", `https://${config.domain}`));
  }
  if (!hostsOf(config).includes(site.hostname)) {
    add("siteUrl", `host ${site.hostname} is neither the domain nor one of domainAliases`, setCmd("siteUrl", `https://${config.domain}`));
  }
  if (config.domainAliases.includes(config.domain) || new Set(config.domainAliases).size !== config.domainAliases.length) {
    add("domainAliases", "repeats a domain", "list each alias once, without the primary domain");
  }
  if (production && config.debug) add("debug", "must be false in production (checklist 1.6)", setCmd("debug", "false"));
  if (production && config.djangoSettingsModule !== "config.settings.production") {
    add("djangoSettingsModule", `must be config.settings.production in production (checklist 1.5), got ${config.djangoSettingsModule}`,
      setCmd("djangoSettingsModule", "config.settings.production"));
  }

  tenantTableProblems(config, add);
  const bucket = b2BucketNameProblem(config.b2.bucket);
  if (bucket) add("b2.bucket", `"${config.b2.bucket}" ${bucket}`, setCmd("b2.bucket", b2BucketNameSuggestion(config.b2.bucket)));
  hostSizeProblems(config, add);

  problems.push(...emailProblems(config, add));
  stripeProblems(config, add);
  otherSecretShapes(config, add);

  if (config.monitoring.pager !== "none" && !config.alertWebhookSecret) {
    add("alertWebhookSecret", `is required when monitoring.pager is ${config.monitoring.pager}`,
      setCmd("alertWebhookSecret", config.monitoring.pager === "slack" ? "https://hooks.slack.com/services/…" : "<pagerduty routing key>", true));
  }
  if ((config.email.provider === "mailgun" || config.email.provider === "ses") && !config.smtpAlertPassword) {
    add("smtpAlertPassword", `is required when email.provider is ${config.email.provider}: Alertmanager sends alert mail over SMTP, whose password differs from the API key`,
      setCmd("smtpAlertPassword", "<SMTP password>", true));
  }
  if (!EMAIL.test(config.monitoring.alertEmail)) {
    add("monitoring.alertEmail", `"${config.monitoring.alertEmail}" is not an email address`, setCmd("monitoring.alertEmail", `ops@${config.domain}`));
  }
  return problems;
}

type Add = (path: string, problem: string, fix: string) => void;

/** A table listed twice would get its row-level security policy created twice. */
function tenantTableProblems(config: RawStackConfig, add: Add): void {
  const seen = new Map<string, number>();
  config.postgres.tenantTables.forEach(({ schema, table }, index) => {
    const name = `${schema}.${table}`;
    const first = seen.get(name);
    if (first === undefined) seen.set(name, index);
    else add(`postgres.tenantTables[${index}]`, `repeats ${name}, already listed as postgres.tenantTables[${first}]`, "remove the repeated entry from jewelry-shop:postgres.tenantTables in the stack file");
  });
}

/**
 * Backblaze's bucket naming rules (https://www.backblaze.com/docs/cloud-storage-buckets, "B2 Native API
 * Naming Rules"): 6 to 63 characters, letters, digits and "-", case-insensitive, and names starting
 * with "b2-" are reserved for Backblaze.
 */
export function b2BucketNameProblem(name: string): string | undefined {
  if (name.length < 6 || name.length > 63) return "must be 6 to 63 characters long (Backblaze B2)";
  if (!/^[A-Za-z0-9-]+$/.test(name)) return "may hold only letters, digits and '-' (Backblaze B2)";
  if (/^b2-/i.test(name)) return "starts with \"b2-\", a prefix Backblaze reserves for itself: B2 refuses the bucket";
  return undefined;
}

/** The given name made acceptable to B2 (reserved prefix dropped, other characters as '-'), so the fix keeps the user's own name. */
function b2BucketNameSuggestion(name: string): string {
  const cleaned = name.replace(/^(b2-)+/i, "").replace(/[^A-Za-z0-9-]+/g, "-").slice(0, 63);
  return cleaned.length >= 6 ? cleaned : `${cleaned}-backups`.replace(/^-+/, "");
}

/** Memory the host keeps for the kernel, Docker, sshd and fail2ban, outside every container limit. */
export const HOST_RESERVED_MEMORY_MB = 1024;

/** The memory limits of every container the stack runs at once, in MiB. */
export function containerMemoryTotalMb(sizes: RawStackConfig["sizes"]): number {
  return SERVICES.reduce((total, service) => total + sizes[service].memoryMb * CONTAINERS_PER_SIZE[service], 0);
}

/**
 * Memory is not shared: with swap off (memorySwap = memory), limits that add up to more than the host
 * has let the kernel's OOM killer pick any process. Docker itself refuses a container with more CPUs
 * than the host has ("range of CPUs is from 0.01 to N").
 */
function hostSizeProblems(config: RawStackConfig, add: Add): void {
  const { hostSize, sizes } = config;
  const total = containerMemoryTotalMb(sizes);
  const available = hostSize.memoryMb - HOST_RESERVED_MEMORY_MB;
  if (total > available) {
    const largest = [...SERVICES].sort((a, b) => sizes[b].memoryMb * CONTAINERS_PER_SIZE[b] - sizes[a].memoryMb * CONTAINERS_PER_SIZE[a])[0];
    add("sizes", `the containers' memory limits add up to ${total} MiB, more than the ${available} MiB the host has for them ` +
      `(hostSize.memoryMb ${hostSize.memoryMb} minus ${HOST_RESERVED_MEMORY_MB} for the system); largest: sizes.${largest}.memoryMb ${sizes[largest].memoryMb}` +
      (CONTAINERS_PER_SIZE[largest] > 1 ? ` x ${CONTAINERS_PER_SIZE[largest]} containers` : ""),
      `lower sizes.<service>.memoryMb (e.g. ${setCmd(`sizes.${largest}.memoryMb`, "2048")}), or declare the host's real size: ${setCmd("hostSize.memoryMb", String(total + HOST_RESERVED_MEMORY_MB))}`);
  }
  for (const service of SERVICES) {
    if (sizes[service].cpus > hostSize.cpus) {
      add(`sizes.${service}.cpus`, `is ${sizes[service].cpus}, more than the host's ${hostSize.cpus} CPUs (hostSize.cpus): Docker refuses the container`,
        setCmd(`sizes.${service}.cpus`, String(hostSize.cpus)));
    }
  }
}

function emailProblems(config: RawStackConfig, add: Add): ConfigProblem[] {
  const email = config.email;
  if (!EMAIL.test(email.fromAddress)) {
    add("email.fromAddress", `"${email.fromAddress}" is not a valid email address`, setCmd("email.fromAddress", `shop@${config.domain}`));
  } else if (!onShopDomain(email.fromAddress, config)) {
    add("email.fromAddress", `"${email.fromAddress}" is not on the shop's domain, so SPF/DKIM/DMARC cannot align`,
      setCmd("email.fromAddress", `shop@${config.domain}`));
  }
  if (email.dmarcReportAddress && !EMAIL.test(email.dmarcReportAddress)) {
    add("email.dmarcReportAddress", `"${email.dmarcReportAddress}" is not an email address`, setCmd("email.dmarcReportAddress", `dmarc@${config.domain}`));
  }
  const need = (present: unknown, path: string, example: string, secret = false) => {
    if (!present) add(path, `is required when email.provider is ${email.provider}`, setCmd(path, example, secret));
  };
  switch (email.provider) {
    case "sendgrid":
      need(config.emailApiKey, "emailApiKey", "SG.xxxx", true);
      if (config.emailApiKey && !opaque(config.emailApiKey) && !/^SG\.[\w-]{16,}\.[\w-]{16,}$/.test(config.emailApiKey)) {
        add("emailApiKey", "is not a SendGrid API key (SG.<id>.<secret>)", setCmd("emailApiKey", "SG.xxxx", true));
      }
      break;
    case "mailgun":
      need(config.emailApiKey, "emailApiKey", "<mailgun private API key>", true);
      need(email.mailgunDomain, "email.mailgunDomain", `mg.${config.domain}`);
      break;
    case "ses":
      need(email.sesRegion, "email.sesRegion", "eu-west-1");
      need(email.sesAccessKeyId, "email.sesAccessKeyId", "AKIA…");
      need(config.sesSecretAccessKey, "sesSecretAccessKey", "<secret access key>", true);
      break;
    case "smtp":
      need(email.smtpHost, "email.smtpHost", "smtp.example.org");
      need(email.smtpUser, "email.smtpUser", `shop@${config.domain}`);
      need(config.smtpPassword, "smtpPassword", "<smtp password>", true);
      break;
  }
  return [];
}

function stripeProblems(config: RawStackConfig, add: Add): void {
  const mode = config.environment === "production" ? "live" : "(live|test)";
  const checks: [keyof RawStackConfig & string, RegExp, string, boolean][] = [
    ["stripeSecretKey", new RegExp(`^sk_${mode}_[A-Za-z0-9]{10,}$`), `sk_${config.environment === "production" ? "live" : "test"}_…`, true],
    ["stripePublishableKey", new RegExp(`^pk_${mode}_[A-Za-z0-9]{10,}$`), `pk_${config.environment === "production" ? "live" : "test"}_…`, false],
    ["stripeWebhookSecret", /^whsec_[A-Za-z0-9]{16,}$/, "whsec_…", true],
  ];
  for (const [path, shape, example, secret] of checks) {
    const value = config[path];
    if (typeof value !== "string" || opaque(value) || shape.test(value)) continue;
    const why = config.environment === "production" && /^(sk|pk)_test_/.test(value)
      ? "is a Stripe TEST key; production needs live mode keys (checklist 7.4)"
      : `does not look like a Stripe key (${example})`;
    add(path, why, setCmd(path, example, secret));
  }
}

function otherSecretShapes(config: RawStackConfig, add: Add): void {
  if (!opaque(config.sentryDsn) && !/^https:\/\/[0-9a-f]{32}@[\w.-]+\/\d+$/.test(config.sentryDsn)) {
    add("sentryDsn", "is not a Sentry DSN (https://<key>@<host>/<project id>)", setCmd("sentryDsn", "https://<key>@o0.ingest.sentry.io/<id>", true));
  }
  if (!opaque(config.twilioAuthToken) && !/^[0-9a-f]{32}$/.test(config.twilioAuthToken)) {
    add("twilioAuthToken", "is not a Twilio auth token (32 hex digits)", setCmd("twilioAuthToken", "<auth token>", true));
  }
}

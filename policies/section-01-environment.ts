// Checklist section 1, Environment Configuration: the Django app containers' settings, as each app
// process really receives them (lib/app/effective-settings.ts: Docker's env in the provider's
// order, the secrets loader's files, env set on the command line, gunicorn --env, manage.py
// --settings), for every app container (web, worker, beat, one-shot jobs: lib/app/django-app.ts).
import type { ReportViolation } from "@pulumi/policy";
import { appSetting, appSettings, isNonEmpty, readableValue, type AppSetting } from "./lib/app-settings";
import { isDjangoApp } from "./lib/app/django-app";
import { checklistFramework, resourcePolicy } from "./lib/framework";
import { CONTAINER } from "./lib/resource-types";
import { configText, configValue, type StackContext } from "./lib/stack-context";
import { undecidable } from "./lib/unknowns";

export const PRODUCTION_SETTINGS_MODULE = "config.settings.production";

/** Every value the setting may take (a repeated env name: each), undecidable when unreadable. */
function candidatesOf(setting: AppSetting, name: string): readonly string[] {
  const value = readableValue(setting);
  if (value === undefined) undecidable(setting.kind === "env" ? `envs.${name}` : `uploads[${setting.where}].content`);
  return setting.candidates && setting.candidates.length > 1 ? setting.candidates : [value];
}

const from = (setting: AppSetting) => (setting.where && setting.where !== "env" ? ` (from ${setting.where})` : "");
const repeated = (setting: AppSetting) =>
  setting.candidates && setting.candidates.length > 1 ? ` (given ${setting.candidates.length} times: ${setting.candidates.map((v) => `"${v}"`).join(", ")}; the docker provider orders env entries by hash, so which one wins does not follow the program)` : "";

export const djangoSettingsModuleProduction = resourcePolicy({
  name: "django-settings-module-production",
  description: `Every Django app container runs with DJANGO_SETTINGS_MODULE=${PRODUCTION_SETTINGS_MODULE}, whichever channel sets it (env, secret file, command line, manage.py --settings).`,
  severity: "high",
  remediationSteps: `Set DJANGO_SETTINGS_MODULE=${PRODUCTION_SETTINGS_MODULE} in every app container's envs (config key jewelry-shop:djangoSettingsModule) and nowhere else: no --settings flag, no override on the command line.`,
  framework: checklistFramework("1.5"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    if (!isDjangoApp(args)) return;
    const setting = appSetting(args, "DJANGO_SETTINGS_MODULE");
    if (setting === undefined) return report("DJANGO_SETTINGS_MODULE is not set: the default in the app's manage.py or wsgi.py decides.");
    const wrong = candidatesOf(setting, "DJANGO_SETTINGS_MODULE").filter((m) => m.trim() !== PRODUCTION_SETTINGS_MODULE);
    if (wrong.length > 0) report(`DJANGO_SETTINGS_MODULE is "${wrong[0]}"${from(setting)}${repeated(setting)}, not "${PRODUCTION_SETTINGS_MODULE}".`);
  },
});

/**
 * Values every common reader takes as false: Django projects parse DEBUG with django-environ
 * (true for int != 0 or true/on/ok/y/yes/1 after strip and lower-case), strtobool or `== "True"`;
 * only these are false for all of them.
 */
const FALSE_VALUES: ReadonlySet<string> = new Set(["false", "0", "no", "off", "n", "f"]);

export const djangoDebugOff = resourcePolicy({
  name: "django-debug-off",
  description: "Every Django app container runs with DEBUG set explicitly to a value every settings parser reads as false, whichever channel sets it.",
  severity: "critical",
  remediationSteps: "Set DEBUG=False in every app container's envs (config key jewelry-shop:debug: false), once, and override it nowhere (no secret file, no command-line env).",
  framework: checklistFramework("1.6"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    if (!isDjangoApp(args)) return;
    const setting = appSetting(args, "DEBUG");
    if (setting === undefined) return report("DEBUG is not set: production must not depend on the settings module's default.");
    const on = candidatesOf(setting, "DEBUG").filter((v) => !FALSE_VALUES.has(v.trim().toLowerCase()));
    if (on.length > 0) report(`DEBUG is "${on[0]}"${from(setting)}${repeated(setting)}: tracebacks and settings would be shown to visitors.`);
  },
});

/** A real DNS name (optionally with Django's leading-dot subdomain wildcard), not an IP or localhost. */
const DOMAIN = /^\.?(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/i;

/** The names the stack serves: config jewelry-shop:domain and domainAliases (nginx, certificate and DNS follow them). */
export function servedNames(ctx: StackContext): string[] | undefined {
  const domain = configText(ctx, "domain");
  if (!domain) return undefined;
  const aliases = configValue(ctx, "domainAliases");
  return [domain, ...(Array.isArray(aliases) ? aliases.filter((a): a is string => typeof a === "string") : [])].map((n) => n.toLowerCase());
}

/** Django's validate_host: "*" matches all, ".example.com" the domain and every subdomain, otherwise exact. */
const hostMatches = (pattern: string, host: string) =>
  pattern === "*" || (pattern.startsWith(".") ? host === pattern.slice(1) || host.endsWith(pattern) : host === pattern);

/**
 * Problems of an ALLOWED_HOSTS value as the app splits it (commas; entries with surrounding spaces
 * never match a Host header), against the names the stack serves when known.
 */
export function allowedHostsProblems(value: string | undefined, served?: readonly string[]): string[] {
  if (value === undefined) return ["DJANGO_ALLOWED_HOSTS is not set."];
  const hosts = value.split(",").filter((h) => h.trim() !== "");
  if (hosts.length === 0) return ["DJANGO_ALLOWED_HOSTS is empty."];
  const problems = hosts.flatMap((raw) => {
    const host = raw.trim().toLowerCase();
    if (host.includes("*")) return [`DJANGO_ALLOWED_HOSTS contains "${host}": a wildcard accepts any Host header (cache poisoning, password-reset links to other sites).`];
    if (!DOMAIN.test(host)) return [`DJANGO_ALLOWED_HOSTS contains "${host}", which is not a domain name (no IP addresses or localhost in production).`];
    if (served && host.startsWith(".")) return [`DJANGO_ALLOWED_HOSTS contains "${host}", which accepts every subdomain, more than the names the stack serves (${served.join(", ")}).`];
    if (served && !served.includes(host)) return [`DJANGO_ALLOWED_HOSTS contains "${host}", a name the stack does not serve (${served.join(", ")}).`];
    return [];
  });
  const patterns = hosts.map((h) => h.trim().toLowerCase());
  const missing = (served ?? []).filter((name) => !patterns.some((p) => hostMatches(p, name)));
  if (missing.length > 0) problems.push(`DJANGO_ALLOWED_HOSTS leaves out ${missing.join(", ")}, which the stack serves: Django answers 400 there.`);
  return problems;
}

/** Judges a setting's every possible value with `problems`, reporting each once. */
function judgeCandidates(setting: AppSetting, name: string, problems: (value: string) => string[], report: ReportViolation): void {
  const seen = new Set<string>();
  for (const value of candidatesOf(setting, name)) {
    for (const problem of problems(value)) {
      if (seen.has(problem)) continue;
      seen.add(problem);
      report(`${problem.replace(/\.$/, "")}${from(setting)}${repeated(setting)}.`);
    }
  }
}

export const djangoAllowedHostsSet = resourcePolicy({
  name: "django-allowed-hosts-set",
  description:
    "Every Django app container sets DJANGO_ALLOWED_HOSTS to exactly the names the stack serves (config domain and domainAliases): not " +
    "empty, no wildcard, no leading-dot subdomain pattern, no IP address, localhost or other host, none of the served names left out.",
  severity: "high",
  remediationSteps: "Set DJANGO_ALLOWED_HOSTS to the comma-separated list of the shop's domain names, without spaces (config keys jewelry-shop:domain and domainAliases).",
  framework: checklistFramework("1.7"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report, stack) => {
    if (!isDjangoApp(args)) return;
    const setting = appSetting(args, "DJANGO_ALLOWED_HOSTS");
    if (setting === undefined) return report("DJANGO_ALLOWED_HOSTS is not set.");
    judgeCandidates(setting, "DJANGO_ALLOWED_HOSTS", (value) => allowedHostsProblems(value, servedNames(stack)), report);
  },
});

export function siteUrlProblem(value: string | undefined, served?: readonly string[]): string | undefined {
  if (value === undefined) return "SITE_URL is not set.";
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return `SITE_URL "${value}" is not a URL.`;
  }
  if (url.protocol !== "https:") return `SITE_URL "${value}" does not use https://.`;
  if (!DOMAIN.test(url.hostname) || url.hostname.startsWith(".")) return `SITE_URL "${value}" does not name a real domain (no IP address or localhost).`;
  if (served && !served.includes(url.hostname.toLowerCase())) return `SITE_URL "${value}" names ${url.hostname}, which the stack does not serve (${served.join(", ")}).`;
  if (url.port !== "") return `SITE_URL "${value}" names port ${url.port}; the site is served on 443.`;
  return undefined;
}

export const siteUrlHttps = resourcePolicy({
  name: "site-url-https",
  description: "Every Django app container sets SITE_URL to https:// on a name the stack serves (config domain or domainAliases), on the default port.",
  severity: "medium",
  remediationSteps: "Set SITE_URL to https://<your domain> (config key jewelry-shop:siteUrl), the domain being the configured domain or an alias.",
  framework: checklistFramework("1.8"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report, stack) => {
    if (!isDjangoApp(args)) return;
    const setting = appSetting(args, "SITE_URL");
    if (setting === undefined) return report("SITE_URL is not set.");
    judgeCandidates(setting, "SITE_URL", (value) => {
      const problem = siteUrlProblem(value, servedNames(stack));
      return problem ? [problem] : [];
    }, report);
  },
});

/** One requirement of the app's env contract: a variable, or alternatives such as a database URL. */
interface EnvRequirement {
  readonly label: string;
  readonly satisfiedBy: (isSet: (name: string) => boolean) => boolean;
}

const variable = (name: string): EnvRequirement => ({ label: name, satisfiedBy: (isSet) => isSet(name) });

/**
 * The app's env contract (names are exact): besides the stack's own settings, every variable the
 * production settings read with required(), which stops every app process at start-up when it is
 * unset or empty (reference-app/config/settings/production.py: ENVIRONMENT, CELERY_BROKER_URL …).
 */
export const REQUIRED_APP_ENV: readonly EnvRequirement[] = [
  ...["DJANGO_SETTINGS_MODULE", "DEBUG", "DJANGO_ALLOWED_HOSTS", "SITE_URL", "ENVIRONMENT", "DJANGO_SECRET_KEY"].map(variable),
  { label: "DATABASE_URL or DB_HOST and DB_PORT", satisfiedBy: (isSet) => isSet("DATABASE_URL") || (isSet("DB_HOST") && isSet("DB_PORT")) },
  ...[
    "REDIS_URL", "CELERY_BROKER_URL", "USE_PGBOUNCER", "EMAIL_PROVIDER", "DEFAULT_FROM_EMAIL", "SENTRY_DSN", "SENTRY_ENVIRONMENT",
    "BACKUP_ENCRYPTION_KEY", "FIELD_ENCRYPTION_KEY",
    "STRIPE_PUBLISHABLE_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET",
    "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER",
  ].map(variable),
];

export const requiredAppEnvVars = resourcePolicy({
  name: "required-app-env-vars",
  description: "Django app containers set every variable of the app's environment contract (settings, environment name, secret key, database, Redis cache and Celery broker, email, Sentry, encryption keys, Stripe, Twilio), none of them empty.",
  severity: "high",
  remediationSteps: "Add the missing settings to the app containers: plain ones as env entries, credentials as secret files /run/secrets/<NAME> (from `pulumi config set --secret` or generated resources).",
  framework: checklistFramework("1.3"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    if (!isDjangoApp(args)) return;
    const settings = appSettings(args);
    const missing = REQUIRED_APP_ENV.filter((r) => !r.satisfiedBy((name) => isNonEmpty(settings.get(name)))).map((r) => r.label);
    if (missing.length === 0) return;
    // Entries unknown as a whole (secret env entries at preview) hide their names; each can satisfy at
    // most one requirement, so the verdict is sure only with more requirements missing than hidden entries.
    if (missing.length <= settings.hidden.length) throw settings.hidden[0];
    report(`missing or empty: ${missing.join(", ")}.`);
  },
});

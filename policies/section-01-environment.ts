// Checklist section 1, Environment Configuration: the Django app containers' env contract.
// App containers are recognised by a known DJANGO_SETTINGS_MODULE entry (lib/containers.ts); their
// settings are env entries or secret files (lib/app-settings.ts).
import { appSettings, appSettingValue, isNonEmpty } from "./lib/app-settings";
import { containerEnv, isAppContainer } from "./lib/containers";
import { checklistFramework, resourcePolicy } from "./lib/framework";
import { CONTAINER } from "./lib/resource-types";
import type { PropRecord } from "./lib/values";

const isApp = (props: PropRecord): boolean => isAppContainer(containerEnv(props));

export const PRODUCTION_SETTINGS_MODULE = "config.settings.production";

export const djangoSettingsModuleProduction = resourcePolicy({
  name: "django-settings-module-production",
  description: `Django app containers run with DJANGO_SETTINGS_MODULE=${PRODUCTION_SETTINGS_MODULE}.`,
  severity: "high",
  remediationSteps: `Set DJANGO_SETTINGS_MODULE=${PRODUCTION_SETTINGS_MODULE} in every app container's envs (config key jewelry-shop:djangoSettingsModule).`,
  framework: checklistFramework("1.5"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    const module = containerEnv(args.props).values.get("DJANGO_SETTINGS_MODULE");
    if (module !== undefined && module !== PRODUCTION_SETTINGS_MODULE) {
      report(`DJANGO_SETTINGS_MODULE is "${module}", not "${PRODUCTION_SETTINGS_MODULE}".`);
    }
  },
});

/** Values Django projects read as false (django-environ / strtobool). */
const FALSE_VALUES: ReadonlySet<string> = new Set(["false", "0", "no", "off", "n", "f"]);

export const djangoDebugOff = resourcePolicy({
  name: "django-debug-off",
  description: "Django app containers set DEBUG=False explicitly.",
  severity: "critical",
  remediationSteps: "Set DEBUG=False in every app container's envs (config key jewelry-shop:debug: false).",
  framework: checklistFramework("1.6"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    if (!isApp(args.props)) return;
    const debug = appSettingValue(args, "DEBUG");
    if (debug === undefined) report("DEBUG is not set: production must not depend on the settings module's default.");
    else if (!FALSE_VALUES.has(debug.trim().toLowerCase())) report(`DEBUG is "${debug}": tracebacks and settings would be shown to visitors.`);
  },
});

/** A real DNS name (optionally with Django's leading-dot subdomain wildcard), not an IP or localhost. */
const DOMAIN = /^\.?(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/i;

export function allowedHostsProblems(value: string | undefined): string[] {
  if (value === undefined) return ["DJANGO_ALLOWED_HOSTS is not set."];
  const hosts = value.split(",").map((h) => h.trim()).filter((h) => h !== "");
  if (hosts.length === 0) return ["DJANGO_ALLOWED_HOSTS is empty."];
  return hosts.flatMap((host) => {
    if (host.includes("*")) return [`DJANGO_ALLOWED_HOSTS contains "${host}": a wildcard accepts any Host header (cache poisoning, password-reset links to other sites).`];
    if (!DOMAIN.test(host)) return [`DJANGO_ALLOWED_HOSTS contains "${host}", which is not a domain name (no IP addresses or localhost in production).`];
    return [];
  });
}

export const djangoAllowedHostsSet = resourcePolicy({
  name: "django-allowed-hosts-set",
  description: "Django app containers set DJANGO_ALLOWED_HOSTS to the site's real domain names: not empty, no wildcard, no IP address or localhost.",
  severity: "high",
  remediationSteps: "Set DJANGO_ALLOWED_HOSTS to a comma-separated list of the shop's domain names (config keys jewelry-shop:domain and domainAliases).",
  framework: checklistFramework("1.7"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    if (!isApp(args.props)) return;
    for (const problem of allowedHostsProblems(appSettingValue(args, "DJANGO_ALLOWED_HOSTS"))) report(problem);
  },
});

export function siteUrlProblem(value: string | undefined): string | undefined {
  if (value === undefined) return "SITE_URL is not set.";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `SITE_URL "${value}" is not a URL.`;
  }
  if (url.protocol !== "https:") return `SITE_URL "${value}" does not use https://.`;
  if (!DOMAIN.test(url.hostname) || url.hostname.startsWith(".")) return `SITE_URL "${value}" does not name a real domain (no IP address or localhost).`;
  return undefined;
}

export const siteUrlHttps = resourcePolicy({
  name: "site-url-https",
  description: "Django app containers set SITE_URL to the production https:// URL on a real domain name.",
  severity: "medium",
  remediationSteps: "Set SITE_URL to https://<your domain> (config key jewelry-shop:siteUrl).",
  framework: checklistFramework("1.8"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    if (!isApp(args.props)) return;
    const problem = siteUrlProblem(appSettingValue(args, "SITE_URL"));
    if (problem) report(problem);
  },
});

/** One requirement of the app's env contract: a variable, or alternatives such as a database URL. */
interface EnvRequirement {
  readonly label: string;
  readonly satisfiedBy: (isSet: (name: string) => boolean) => boolean;
}

const variable = (name: string): EnvRequirement => ({ label: name, satisfiedBy: (isSet) => isSet(name) });

/** The app's env contract (names are exact). */
export const REQUIRED_APP_ENV: readonly EnvRequirement[] = [
  ...["DJANGO_SETTINGS_MODULE", "DEBUG", "DJANGO_ALLOWED_HOSTS", "SITE_URL", "DJANGO_SECRET_KEY"].map(variable),
  { label: "DATABASE_URL or DB_HOST and DB_PORT", satisfiedBy: (isSet) => isSet("DATABASE_URL") || (isSet("DB_HOST") && isSet("DB_PORT")) },
  ...[
    "REDIS_URL", "USE_PGBOUNCER", "EMAIL_PROVIDER", "DEFAULT_FROM_EMAIL", "SENTRY_DSN", "SENTRY_ENVIRONMENT",
    "BACKUP_ENCRYPTION_KEY", "FIELD_ENCRYPTION_KEY",
    "STRIPE_PUBLISHABLE_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET",
    "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER",
  ].map(variable),
];

export const requiredAppEnvVars = resourcePolicy({
  name: "required-app-env-vars",
  description: "Django app containers set every variable of the app's environment contract (settings, secret key, database, Redis, email, Sentry, encryption keys, Stripe, Twilio), none of them empty.",
  severity: "high",
  remediationSteps: "Add the missing settings to the app containers: plain ones as env entries, credentials as secret files /run/secrets/<NAME> (from `pulumi config set --secret` or generated resources).",
  framework: checklistFramework("1.3"),
  resourceTypes: [CONTAINER],
  validateResource: (args, report) => {
    if (!isApp(args.props)) return;
    const settings = appSettings(args);
    const missing = REQUIRED_APP_ENV.filter((r) => !r.satisfiedBy((name) => isNonEmpty(settings.get(name)))).map((r) => r.label);
    if (missing.length === 0) return;
    // Entries unknown as a whole (secret env entries at preview) hide their names; each can satisfy at
    // most one requirement, so the verdict is sure only with more requirements missing than hidden entries.
    if (missing.length <= settings.hidden.length) throw settings.hidden[0];
    report(`missing or empty: ${missing.join(", ")}.`);
  },
});

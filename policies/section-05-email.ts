// Section 5, Email Configuration: the app's email provider, its credentials and sender, and the mail
// DNS records that let receivers trust the sender. 5.5 (a test email arrives) runs after deployment.
import { checklistFramework, stackPolicy, type ChecklistPolicy } from "./lib/framework";
import { containerName } from "./lib/containers";
import { containers, requireAppContainers } from "./lib/stack-resources";
import { dnsRecords } from "./lib/dns-records";
import { isDjangoApp } from "./lib/app/django-app";
import { dkimAt, dmarcAt, PROVIDER_MAIL, spfAt, type Sender } from "./lib/mail/mail-records";
import { SPF_LOOKUP_LIMIT } from "./lib/mail/spf";
import { configText, configValue, type StackContext } from "./lib/stack-context";
import { appSettingValue, isAppSettingSet } from "./lib/app-settings";

/** Settings each provider needs besides EMAIL_PROVIDER (non-empty; credentials as secret files). */
export const EMAIL_PROVIDER_CREDENTIALS: Readonly<Record<string, readonly string[]>> = {
  sendgrid: ["SENDGRID_API_KEY"],
  mailgun: ["MAILGUN_API_KEY", "MAILGUN_DOMAIN"],
  ses: ["AWS_SES_ACCESS_KEY_ID", "AWS_SES_SECRET_ACCESS_KEY", "AWS_SES_REGION_NAME"],
  smtp: ["EMAIL_HOST", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD"],
};

export const emailProviderConfigured = stackPolicy({
  name: "email-provider-configured",
  description: "Every Django app container names a supported email provider in EMAIL_PROVIDER and receives that provider's credentials.",
  severity: "high",
  remediationSteps:
    "Set EMAIL_PROVIDER to sendgrid, mailgun, ses or smtp and pass the provider's credentials as secret files /run/secrets/<NAME> " +
    "(SendGrid: SENDGRID_API_KEY; Mailgun: MAILGUN_API_KEY, MAILGUN_DOMAIN; SES: AWS_SES_ACCESS_KEY_ID, AWS_SES_SECRET_ACCESS_KEY, " +
    "AWS_SES_REGION_NAME; SMTP: EMAIL_HOST, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD).",
  framework: checklistFramework("5.1", "5.2", "5.3"),
  validateStack: (args, report) => {
    for (const app of requireAppContainers(args.resources, report)) {
      const provider = appSettingValue(app, "EMAIL_PROVIDER")?.trim().toLowerCase();
      const needed = provider === undefined ? undefined : EMAIL_PROVIDER_CREDENTIALS[provider];
      if (!needed) {
        report(`Container ${containerName(app)} has EMAIL_PROVIDER ${provider === undefined ? "unset" : `"${provider}"`}; expected one of ${Object.keys(EMAIL_PROVIDER_CREDENTIALS).join(", ")}.`, app.urn);
        continue;
      }
      const missing = needed.filter((name) => !isAppSettingSet(app, name));
      if (missing.length > 0) report(`Container ${containerName(app)} uses ${provider} but lacks ${missing.join(", ")}.`, app.urn);
    }
  },
});

const EMAIL_ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+)$/;
/** Domains that can never deliver or be trusted as a production sender (RFC 2606/6761 and placeholders). */
const PLACEHOLDER_DOMAIN = /(^|\.)(example\.(com|net|org)|localhost|local|test|invalid|example|localdomain)$/i;

/** The address part of `addr` or `Display Name <addr>`; undefined when it is not a valid address. */
export function senderAddress(value: string): string | undefined {
  const angle = /^[^<>]*<([^<>]+)>\s*$/.exec(value.trim());
  const address = (angle ? angle[1]! : value).trim();
  const match = EMAIL_ADDRESS.exec(address);
  if (!match || PLACEHOLDER_DOMAIN.test(match[1]!)) return undefined;
  return address;
}

export const defaultFromEmailValid = stackPolicy({
  name: "default-from-email-valid",
  description: "Every Django app container sets DEFAULT_FROM_EMAIL to a deliverable address on a real domain.",
  severity: "medium",
  remediationSteps: 'Set DEFAULT_FROM_EMAIL to an address such as "Jewelry Shop <noreply@yourdomain.com>" on a domain you send mail for.',
  framework: checklistFramework("5.4"),
  validateStack: (args, report) => {
    for (const app of requireAppContainers(args.resources, report)) {
      const value = appSettingValue(app, "DEFAULT_FROM_EMAIL");
      if (value === undefined || senderAddress(value) === undefined) {
        report(`Container ${containerName(app)} has DEFAULT_FROM_EMAIL ${value === undefined ? "unset" : `"${value}"`}, which is not a valid address on a real domain.`, app.urn);
      }
    }
  },
});

/** Every (From domain, sending domain, provider) the app containers send as; config email.* when no app container says. */
function senders(resources: Parameters<typeof requireAppContainers>[0], stack: StackContext): Sender[] {
  const email = (configValue(stack, "email") ?? {}) as { provider?: string; fromAddress?: string; spfInclude?: string; mailgunDomain?: string };
  const found = new Map<string, Sender>();
  const add = (from: string | undefined, provider: string | undefined, mailgunDomain: string | undefined) => {
    const address = from === undefined ? undefined : senderAddress(from);
    if (!address || !provider) return;
    const fromDomain = address.slice(address.lastIndexOf("@") + 1).toLowerCase();
    const sendingDomain = provider === "mailgun" && mailgunDomain ? mailgunDomain.toLowerCase() : fromDomain;
    const spfMechanism = email.spfInclude ?? PROVIDER_MAIL[provider]?.spf;
    found.set(`${fromDomain}|${sendingDomain}|${provider}`, { fromDomain, sendingDomain, provider, spfMechanism });
  };
  for (const app of containers(resources).filter(isDjangoApp)) {
    add(appSettingValue(app, "DEFAULT_FROM_EMAIL"), appSettingValue(app, "EMAIL_PROVIDER")?.trim().toLowerCase(), appSettingValue(app, "MAILGUN_DOMAIN"));
  }
  if (found.size === 0) add(email.fromAddress, email.provider, email.mailgunDomain);
  return [...found.values()];
}

export const mailDnsRecords = stackPolicy({
  name: "mail-dns-records",
  description:
    "For every domain the app sends mail as, the stack's DNS has exactly one valid SPF record authorizing the configured provider and " +
    "failing other senders, a valid DKIM key (or the provider's CNAME) under <selector>._domainkey, and exactly one DMARC record at " +
    "_dmarc.<From domain> that enforces quarantine or reject on all failing mail, subdomains included.",
  severity: "medium",
  remediationSteps:
    'Publish ONE TXT "v=spf1 include:<provider> -all" at the sending domain (~all only with an enforcing DMARC; never +all or ?all; at most ' +
    `${SPF_LOOKUP_LIMIT} lookups), the provider's DKIM key(s) at <selector>._domainkey (TXT with a non-empty p=, or the provider's CNAMEs), and ONE ` +
    '"v=DMARC1; p=quarantine; rua=mailto:<address>" at _dmarc.<From domain> with pct absent or 100 and sp absent, quarantine or reject.',
  framework: checklistFramework("5.6"),
  validateStack: (args, report, stack) => {
    const records = dnsRecords(args.resources);
    const apex = (configText(stack, "domain") ?? "").toLowerCase();
    const list = senders(args.resources, stack);
    if (list.length === 0) report("No sender to judge: no app container sets DEFAULT_FROM_EMAIL and EMAIL_PROVIDER, and config email.fromAddress is unset.");
    for (const sender of list) {
      const dmarc = dmarcAt(records, sender.fromDomain, apex);
      for (const problem of [...spfAt(records, sender, dmarc.record, apex), ...dkimAt(records, sender, apex, dmarc.record), ...dmarc.problems]) report(`${problem}.`);
    }
  },
});

export const section05Policies: readonly ChecklistPolicy[] = [emailProviderConfigured, defaultFromEmailValid, mailDnsRecords];

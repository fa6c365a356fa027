// Section 5, Email Configuration: the app's email provider, its credentials and sender, and the mail
// DNS records that let receivers trust the sender. 5.5 (a test email arrives) runs after deployment.
import { checklistFramework, stackPolicy, type ChecklistPolicy } from "./lib/framework";
import { containerName } from "./lib/containers";
import { requireAppContainers } from "./lib/stack-resources";
import { dnsRecords, recordText } from "./lib/dns-records";
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

const unquoteTxt = (text: string): string => text.replace(/"\s*"/g, "").replace(/^"|"$/g, "").trim();

export const mailDnsRecords = stackPolicy({
  name: "mail-dns-records",
  description: "The stack's DNS has an SPF record, at least one DKIM record and a DMARC record whose policy is quarantine or reject.",
  severity: "medium",
  remediationSteps:
    'Add TXT records: "v=spf1 include:<provider> -all" at the domain, the DKIM key(s) your provider gives at <selector>._domainkey, ' +
    'and "v=DMARC1; p=quarantine; rua=mailto:…" at _dmarc.',
  framework: checklistFramework("5.6"),
  validateStack: (args, report) => {
    const records = dnsRecords(args.resources);
    const txt = records.filter((r) => r.type === "TXT");
    const spf = txt.filter((r) => /^v=spf1\b/i.test(unquoteTxt(recordText(r.resource))));
    if (spf.length === 0) report("No SPF record: a TXT record beginning with v=spf1 is missing.");
    for (const r of spf) {
      if (!/\s[-~]all$/i.test(unquoteTxt(recordText(r.resource)))) report(`SPF record ${r.name} does not end with -all or ~all, so it vouches for any sender.`, r.resource.urn);
    }
    const dkim = records.filter((r) => (r.type === "TXT" || r.type === "CNAME") && /(^|\.)_domainkey(\.|$)/i.test(r.name));
    if (dkim.length === 0) report("No DKIM record: a TXT or CNAME record at <selector>._domainkey is missing.");
    const dmarc = txt.filter((r) => /^_dmarc(\.|$)/i.test(r.name));
    if (dmarc.length === 0) report("No DMARC record: a TXT record at _dmarc is missing.");
    for (const r of dmarc) {
      const text = unquoteTxt(recordText(r.resource));
      const policy = /(?:^|;)\s*p\s*=\s*([a-z]+)/i.exec(text)?.[1]?.toLowerCase();
      if (!/^v=DMARC1\b/i.test(text) || (policy !== "quarantine" && policy !== "reject")) {
        report(`DMARC record ${r.name} must start with v=DMARC1 and set p=quarantine or p=reject (found p=${policy ?? "none"}).`, r.resource.urn);
      }
    }
  },
});

export const section05Policies: readonly ChecklistPolicy[] = [emailProviderConfigured, defaultFromEmailValid, mailDnsRecords];

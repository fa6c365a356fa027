// The zone's records as plain data: web hosts, CAA, and the mail authentication trio (SPF, DKIM,
// DMARC; checklist 5.6, 9.1, 14.5). No Pulumi here: CloudflareEdge turns each spec into a DnsRecord.
import type { EmailProvider, StackConfig } from "../config";

/** The stack settings the records depend on; a StackConfig satisfies it as is. */
export interface DnsRecordsConfig {
  /** Primary domain first, then the aliases. */
  readonly hosts: readonly string[];
  readonly cloudflare: Pick<StackConfig["cloudflare"], "proxied" | "hostIpv4" | "hostIpv6">;
  readonly email: Pick<StackConfig["email"],
    "provider" | "fromAddress" | "mailgunDomain" | "dkim" | "spfInclude" | "dmarcPolicy" | "dmarcReportAddress">;
  /** CAA iodef reports (a CA refusing or seeing a bad request) go to the on-call address. */
  readonly monitoring: Pick<StackConfig["monitoring"], "alertEmail">;
}

export type CaaTag = "issue" | "issuewild" | "iodef";

interface RecordBase {
  /** Suffix of the resource's logical name: derived from type and name only, so it never drifts. */
  readonly key: string;
  /** Fully qualified: the API stores FQDNs, and a relative name would show as a diff on every refresh. */
  readonly name: string;
  readonly comment: string;
}

export interface AddressRecordSpec extends RecordBase {
  readonly type: "A" | "AAAA";
  readonly content: string;
  readonly proxied: boolean;
}

export interface TextRecordSpec extends RecordBase {
  readonly type: "TXT" | "CNAME";
  readonly content: string;
  /** Mail records are never proxied: a proxied CNAME would hide the provider's DKIM key. */
  readonly proxied: false;
}

export interface CaaRecordSpec extends RecordBase {
  readonly type: "CAA";
  readonly data: { readonly flags: 0; readonly tag: CaaTag; readonly value: string };
  readonly proxied: false;
}

export type DnsRecordSpec = AddressRecordSpec | TextRecordSpec | CaaRecordSpec;

/** Only Let's Encrypt (certbot on the host) may issue for our names. */
export const CAA_ISSUER = "letsencrypt.org";

/**
 * SPF mechanism of each provider's sending servers, used when email.spfInclude is not set. A plain
 * SMTP relay has no well-known one: it must be configured.
 */
export const DEFAULT_SPF_INCLUDES: Readonly<Record<EmailProvider, string | undefined>> = {
  sendgrid: "include:sendgrid.net",
  mailgun: "include:mailgun.org",
  ses: "include:amazonses.com",
  smtp: undefined,
};

const slug = (fqdn: string) => fqdn.replace(/\./g, "-");
const isWithin = (name: string, domain: string) => name === domain || name.endsWith(`.${domain}`);
const domainOf = (address: string) => address.slice(address.lastIndexOf("@") + 1).toLowerCase();

/**
 * "-all": the sending domain is dedicated to one provider, so anything else is forged and may be
 * rejected outright. "~all" only helps while senders are still being discovered; DMARC decides the
 * final treatment either way.
 */
export function spfRecordText(mechanism: string): string {
  return `v=spf1 ${mechanism} -all`;
}

export interface DmarcArgs {
  readonly policy: "quarantine" | "reject";
  readonly reportAddress?: string;
  /** "s" when DKIM signs as the From domain itself; "r" when the provider signs as a subdomain of it. */
  readonly alignment: "s" | "r";
}

/** Aggregate reports only: no ruf/fo, since forensic reports carry message content and few receivers send them. */
export function dmarcRecordText(args: DmarcArgs): string {
  const parts = [
    "v=DMARC1",
    `p=${args.policy}`,
    ...(args.reportAddress ? [`rua=mailto:${args.reportAddress}`] : []),
    `adkim=${args.alignment}`,
    `aspf=${args.alignment}`,
    "pct=100",
  ];
  return parts.join("; ");
}

/**
 * CAA for one name. issuewild ";" forbids wildcard certificates outright (certbot asks for exact
 * names). On a proxied zone Cloudflare adds, unseen, the CAA records its own edge-certificate CAs
 * need; what we publish governs every other request, including certbot's for the origin.
 */
export function caaRecordSpecs(host: string, iodefAddress: string): CaaRecordSpec[] {
  const caa = (tag: CaaTag, value: string): CaaRecordSpec => ({
    key: `caa-${tag}-${slug(host)}`, type: "CAA", name: host, data: { flags: 0, tag, value }, proxied: false,
    comment: "Only Let's Encrypt may issue",
  });
  return [caa("issue", CAA_ISSUER), caa("issuewild", ";"), caa("iodef", `mailto:${iodefAddress}`)];
}

/**
 * Where the provider sends from: its envelope (SPF) and DKIM signing domain. Mailgun signs and bounces
 * as its own sending domain, often a subdomain such as mg.shop.example.org; the others as the From domain.
 */
function sendingDomain(email: DnsRecordsConfig["email"], fromDomain: string): string {
  if (email.provider !== "mailgun") return fromDomain;
  if (!email.mailgunDomain) throw new Error("email.mailgunDomain is required when email.provider is mailgun");
  const mailgun = email.mailgunDomain;
  // Relaxed DMARC alignment needs a shared organizational domain; parent/child is what we can check.
  if (!isWithin(mailgun, fromDomain) && !isWithin(fromDomain, mailgun)) {
    throw new Error(`email.mailgunDomain ${mailgun} and the From domain ${fromDomain} must be the same domain or one inside the other, or DMARC cannot align`);
  }
  return mailgun;
}

function mailRecordSpecs(config: DnsRecordsConfig): DnsRecordSpec[] {
  const email = config.email;
  const fromDomain = domainOf(email.fromAddress);
  const sender = sendingDomain(email, fromDomain);
  const spfMechanism = email.spfInclude ?? DEFAULT_SPF_INCLUDES[email.provider];
  if (!spfMechanism) {
    throw new Error(`email.spfInclude is required when email.provider is ${email.provider}: SPF must name the relay's servers (e.g. include:relay.example.net)`);
  }
  const records: DnsRecordSpec[] = [{
    key: `spf-${slug(sender)}`, type: "TXT", name: sender, content: spfRecordText(spfMechanism), proxied: false,
    comment: `SPF for ${email.provider}`,
  }];
  for (const dkim of email.dkim) {
    // Names come from the provider, relative to the domain it signs for; full names are kept as given.
    const name = isWithin(dkim.name, sender) ? dkim.name : `${dkim.name}.${sender}`;
    records.push({ key: `dkim-${slug(name)}`, type: dkim.type, name, content: dkim.value, proxied: false, comment: `DKIM for ${email.provider}` });
  }
  // DMARC is looked up at the From domain. SendGrid and SES bounce through their own return-path
  // subdomain, so under strict alignment their mail passes on the (strictly aligned) DKIM signature.
  records.push({
    key: `dmarc-${slug(fromDomain)}`, type: "TXT", name: `_dmarc.${fromDomain}`, proxied: false, comment: "DMARC",
    content: dmarcRecordText({ policy: email.dmarcPolicy, reportAddress: email.dmarcReportAddress, alignment: sender === fromDomain ? "s" : "r" }),
  });
  return records;
}

/**
 * Every record the stack owns in its zone. Web hosts point at the Docker host; when proxied (orange
 * cloud, CDN), nginx sees Cloudflare's addresses and must take the client's from CF-Connecting-IP
 * (the Edge component's realIp), or logs, rate limits and fail2ban all see Cloudflare.
 * No MX: the shop only sends mail. Throws an Error naming the setting when the config cannot work.
 */
export function dnsRecordSpecs(config: DnsRecordsConfig): DnsRecordSpec[] {
  if (config.hosts.length === 0) throw new Error("hosts must list at least the primary domain");
  const records: DnsRecordSpec[] = [];
  for (const host of config.hosts) {
    const address = (type: "A" | "AAAA", content: string): AddressRecordSpec => ({
      key: `${type.toLowerCase()}-${slug(host)}`, type, name: host, content, proxied: config.cloudflare.proxied,
      comment: "Docker host (nginx)",
    });
    records.push(address("A", config.cloudflare.hostIpv4));
    if (config.cloudflare.hostIpv6) records.push(address("AAAA", config.cloudflare.hostIpv6));
  }
  // CAA applies to a name and everything below it: an alias inside another host is already covered.
  const caaHosts = config.hosts.filter((host) => !config.hosts.some((other) => other !== host && isWithin(host, other)));
  for (const host of caaHosts) records.push(...caaRecordSpecs(host, config.monitoring.alertEmail));
  records.push(...mailRecordSpecs(config));

  const seen = new Set<string>();
  for (const record of records) {
    if (seen.has(record.key)) throw new Error(`two DNS records would share the name ${record.name} and type ${record.type}; check email.dkim and domainAliases`);
    seen.add(record.key);
  }
  return records;
}

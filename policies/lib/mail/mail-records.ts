// The mail authentication a receiver finds in the stack's zone for each domain the app sends as:
// SPF at the sending (envelope/signing) domain, DKIM keys under <selector>._domainkey there, and
// DMARC at _dmarc.<From domain> exactly (a record at any other name protects nothing). Judged by
// effect, with the thresholds the rule states.
import type { DnsRecordView } from "../dns-records";
import { fqdn, txtText } from "../dns-records";
import { parseDmarc, isDmarc, type DmarcRecord } from "./dmarc";
import { isSpf, parseSpf } from "./spf";

/** Each provider's sending servers and the zone its hosted DKIM keys live in. */
export const PROVIDER_MAIL: Readonly<Record<string, { readonly spf?: string; readonly dkimZone?: string }>> = {
  sendgrid: { spf: "include:sendgrid.net", dkimZone: "sendgrid.net" },
  mailgun: { spf: "include:mailgun.org", dkimZone: "mailgun.org" },
  ses: { spf: "include:amazonses.com", dkimZone: "amazonses.com" },
  smtp: {},
};

export interface Sender {
  /** The domain of the From address. */
  readonly fromDomain: string;
  /** Where SPF is checked and DKIM signs: the From domain, or Mailgun's sending domain. */
  readonly sendingDomain: string;
  readonly provider: string;
  /** The SPF mechanism the provider needs (config email.spfInclude, else the provider's). */
  readonly spfMechanism?: string;
}

const within = (name: string, domain: string) => name === domain || name.endsWith(`.${domain}`);

/** An enforcing DMARC policy: quarantine or reject, applied to all failing mail. */
export const enforces = (dmarc: DmarcRecord | undefined): boolean =>
  dmarc !== undefined && (dmarc.policy === "quarantine" || dmarc.policy === "reject") && dmarc.pct === 100;

/** The organizational domain: the zone apex when the name is in it, else its last two labels (no public-suffix list here). */
export const organizationalDomain = (name: string, apex: string): string =>
  apex !== "" && (name === apex || name.endsWith(`.${apex}`)) ? apex : name.split(".").slice(-2).join(".");

const dmarcTexts = (records: readonly DnsRecordView[], name: string, apex: string) =>
  records.filter((r) => r.type === "TXT" && fqdn(r.name, apex) === name).map((r) => txtText(r.resource)).filter((t) => /^v\s*=\s*dmarc/i.test(t));

/**
 * The DMARC policy in force for mail From `fromDomain` (RFC 7489 6.6.3): the record at
 * _dmarc.<fromDomain>, else the organizational domain's, whose sp applies.
 */
export function dmarcAt(records: readonly DnsRecordView[], fromDomain: string, apex: string): { problems: string[]; record?: DmarcRecord } {
  let name = `_dmarc.${fromDomain}`;
  let texts = dmarcTexts(records, name, apex);
  let inherited = false;
  const org = organizationalDomain(fromDomain, apex);
  if (texts.length === 0 && fromDomain !== org && dmarcTexts(records, `_dmarc.${org}`, apex).length > 0) {
    name = `_dmarc.${org}`;
    texts = dmarcTexts(records, name, apex);
    inherited = true;
  }
  if (texts.length === 0) {
    const elsewhere = records.filter((r) => r.type === "TXT" && /^_dmarc\./.test(fqdn(r.name, apex))).map((r) => fqdn(r.name, apex));
    return { problems: [`No DMARC record at ${name}${elsewhere.length > 0 ? ` (${elsewhere.join(", ")} covers other names, not mail From ${fromDomain})` : ""}`] };
  }
  if (texts.length > 1) return { problems: [`${texts.length} DMARC records at ${name}: receivers then apply no DMARC policy at all (RFC 7489 6.6.3)`] };
  const record = parseDmarc(texts[0]!);
  const problems = record.errors.map((e) => `DMARC at ${name}: ${e}`);
  if (!isDmarc(texts[0]!)) return { problems };
  if (inherited) {
    if (record.subdomainPolicy !== "quarantine" && record.subdomainPolicy !== "reject") problems.push(`mail From ${fromDomain} falls back to ${name}, whose subdomain policy is ${record.subdomainPolicy ?? "(void)"}: forged mail is delivered`);
    if (record.pct < 100) problems.push(`DMARC at ${name} has pct=${record.pct}: the policy applies to ${record.pct}% of failing mail only`);
    return { problems, record: { ...record, policy: record.subdomainPolicy } };
  }
  if (record.policy !== "quarantine" && record.policy !== "reject") problems.push(`DMARC at ${name} has p=${record.policy ?? "(void)"}: forged mail is delivered; use quarantine or reject`);
  if (record.pct < 100) problems.push(`DMARC at ${name} has pct=${record.pct}: the policy applies to ${record.pct}% of failing mail only`);
  if (record.sp === "none" && record.policy !== "none") problems.push(`DMARC at ${name} has sp=none: mail forged from any subdomain of ${fromDomain} is delivered`);
  return { problems, record };
}

export function spfAt(records: readonly DnsRecordView[], sender: Sender, dmarc: DmarcRecord | undefined, apex: string): string[] {
  const name = sender.sendingDomain;
  const texts = records.filter((r) => r.type === "TXT" && fqdn(r.name, apex) === name).map((r) => txtText(r.resource)).filter(isSpf);
  if (texts.length === 0) return [`No SPF record at ${name}`];
  if (texts.length > 1) return [`${texts.length} SPF records at ${name}: receivers return permerror and SPF fails for every message (RFC 7208 4.5)`];
  const spf = parseSpf(texts[0]!);
  const problems = spf.errors.map((e) => `SPF at ${name} is a permerror: ${e}`);
  const mechanism = sender.spfMechanism?.toLowerCase();
  if (mechanism && !spf.terms.some((t) => `${t.mechanism}${t.value ? `:${t.value.toLowerCase()}` : ""}` === mechanism.replace(/^\+/, "") && t.qualifier === "+")) {
    problems.push(`SPF at ${name} does not authorize ${sender.provider} (${mechanism}): its mail fails SPF`);
  }
  switch (spf.fallback) {
    case "+": problems.push(`SPF at ${name} ends in +all: it vouches for every server on the internet`); break;
    case "?": problems.push(`SPF at ${name} ${spf.terms.some((t) => t.mechanism === "all") ? "ends in ?all" : "has no all"}: unlisted senders get neutral, as if there were no SPF`); break;
    case "~": if (!enforces(dmarc)) problems.push(`SPF at ${name} ends in ~all (softfail) while DMARC for ${sender.fromDomain} does not enforce quarantine/reject at pct=100: forged mail is delivered`); break;
    default: break;
  }
  return problems;
}

const DKIM_KEY_TYPES = new Set(["rsa", "ed25519"]);

/**
 * DKIM keys for the sending domain; under relaxed DKIM alignment (DMARC's default adkim=r) keys of
 * the organizational domain sign for its subdomains too.
 */
export function dkimAt(records: readonly DnsRecordView[], sender: Sender, apex: string, dmarc?: DmarcRecord): string[] {
  const org = organizationalDomain(sender.sendingDomain, apex);
  const domains = [sender.sendingDomain, ...(dmarc?.adkim !== "s" && org !== sender.sendingDomain ? [org] : [])];
  const zone = `._domainkey.${sender.sendingDomain}`;
  const found = records.filter((r) => (r.type === "TXT" || r.type === "CNAME") && domains.some((d) => fqdn(r.name, apex).endsWith(`._domainkey.${d}`)));
  if (found.length === 0) return [`No DKIM record at <selector>${zone}${domains.length > 1 ? ` or <selector>._domainkey.${org}` : dmarc?.adkim === "s" ? " (DMARC asks strict alignment, adkim=s)" : ""}`];
  const problems: string[] = [];
  let valid = 0;
  const providerZone = PROVIDER_MAIL[sender.provider]?.dkimZone;
  for (const r of found) {
    const name = fqdn(r.name, apex);
    if (r.type === "CNAME") {
      const target = txtText(r.resource).toLowerCase().replace(/\.$/, "");
      if (providerZone && !within(target, providerZone)) problems.push(`DKIM ${name} points to ${target}, not to ${sender.provider}'s keys under ${providerZone}`);
      else valid++;
      continue;
    }
    const tags = new Map(txtText(r.resource).split(";").map((t) => t.trim()).filter((t) => t.includes("=")).map((t) => [t.slice(0, t.indexOf("=")).trim().toLowerCase(), t.slice(t.indexOf("=") + 1).replace(/\s+/g, "")]));
    const text = txtText(r.resource).trim();
    if (tags.has("v") && (!/^v\s*=/.test(text) || tags.get("v") !== "DKIM1")) problems.push(`DKIM ${name}: v= must come first and be DKIM1`);
    else if (!DKIM_KEY_TYPES.has((tags.get("k") ?? "rsa").toLowerCase())) problems.push(`DKIM ${name}: key type k=${tags.get("k")} is not rsa or ed25519`);
    else if (!tags.get("p")) problems.push(`DKIM ${name} has an empty p=: the key is revoked, every signature fails`);
    else if (!/^[A-Za-z0-9+/]+={0,2}$/.test(tags.get("p")!)) problems.push(`DKIM ${name}: p= is not base64`);
    else valid++;
  }
  return valid > 0 ? [] : problems;
}

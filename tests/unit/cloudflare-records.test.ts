import { describe, expect, it } from "vitest";
import {
  dnsRecordSpecs, type CaaRecordSpec, type DnsRecordSpec, type DnsRecordsConfig,
} from "../../components/cloudflare/dns-records";

const BASE: DnsRecordsConfig = {
  hosts: ["shop.example.org", "www.shop.example.org"],
  cloudflare: { proxied: true, hostIpv4: "203.0.113.10" },
  email: {
    provider: "sendgrid",
    fromAddress: "shop@shop.example.org",
    spfInclude: "include:sendgrid.net",
    dkim: [
      { name: "s1._domainkey", type: "CNAME", value: "s1.domainkey.u0000000.wl000.sendgrid.net" },
      { name: "s2._domainkey.shop.example.org", type: "CNAME", value: "s2.domainkey.u0000000.wl000.sendgrid.net" },
    ],
    dmarcPolicy: "quarantine",
    dmarcReportAddress: "dmarc@shop.example.org",
  },
  monitoring: { alertEmail: "ops@shop.example.org" },
};

const withEmail = (email: Partial<DnsRecordsConfig["email"]>): DnsRecordsConfig => ({ ...BASE, email: { ...BASE.email, ...email } });
const ofType = (records: DnsRecordSpec[], type: DnsRecordSpec["type"]) => records.filter((r) => r.type === type);
const contentAt = (records: DnsRecordSpec[], type: "TXT" | "CNAME", name: string) =>
  records.filter((r) => r.type === type && r.name === name).map((r) => ("content" in r ? r.content : ""));
const spfAt = (records: DnsRecordSpec[], name: string) => contentAt(records, "TXT", name).filter((t) => t.startsWith("v=spf1"));

describe("web host records", () => {
  it("points the domain and every alias at the Docker host, proxied when the CDN is on", () => {
    const a = ofType(dnsRecordSpecs(BASE), "A");
    expect(a.map((r) => [r.name, r.type === "A" && r.content, r.proxied])).toEqual([
      ["shop.example.org", "203.0.113.10", true],
      ["www.shop.example.org", "203.0.113.10", true],
    ]);
  });

  it("adds AAAA records only when the host has an IPv6 address", () => {
    expect(ofType(dnsRecordSpecs(BASE), "AAAA")).toEqual([]);
    const v6 = dnsRecordSpecs({ ...BASE, cloudflare: { ...BASE.cloudflare, hostIpv6: "2001:db8::10" } });
    expect(ofType(v6, "AAAA").map((r) => r.name)).toEqual(["shop.example.org", "www.shop.example.org"]);
  });

  it("leaves the web records DNS-only when proxied is off", () => {
    const records = dnsRecordSpecs({ ...BASE, cloudflare: { ...BASE.cloudflare, proxied: false } });
    expect(records.some((r) => r.proxied)).toBe(false);
  });

  it("never proxies a mail or CAA record, and publishes no MX", () => {
    const records = dnsRecordSpecs(BASE);
    for (const record of records.filter((r) => r.type !== "A" && r.type !== "AAAA")) expect(record.proxied).toBe(false);
    expect(records.map((r) => r.type)).not.toContain("MX");
  });
});

describe("CAA records", () => {
  const caa = (config: DnsRecordsConfig) => ofType(dnsRecordSpecs(config), "CAA") as CaaRecordSpec[];

  it("lets only Let's Encrypt issue, forbids wildcards and reports to the on-call address", () => {
    expect(caa(BASE).map((r) => [r.name, r.data.flags, r.data.tag, r.data.value])).toEqual([
      ["shop.example.org", 0, "issue", "letsencrypt.org"],
      ["shop.example.org", 0, "issuewild", ";"],
      ["shop.example.org", 0, "iodef", "mailto:ops@shop.example.org"],
    ]);
  });

  it("adds CAA at an alias outside the primary domain, which the domain's records do not cover", () => {
    const names = caa({ ...BASE, hosts: ["shop.example.org", "www.shop.example.org", "shop.example.com"] }).map((r) => r.name);
    expect(new Set(names)).toEqual(new Set(["shop.example.org", "shop.example.com"]));
    expect(names.filter((n) => n === "shop.example.com")).toHaveLength(3);
  });
});

describe("SPF, DKIM and DMARC", () => {
  it("publishes one hard-fail SPF record at the sending domain with the provider's include", () => {
    expect(spfAt(dnsRecordSpecs(BASE), "shop.example.org")).toEqual(["v=spf1 include:sendgrid.net -all"]);
  });

  it("falls back to the provider's own SPF include, and refuses an SMTP relay without one", () => {
    expect(spfAt(dnsRecordSpecs(withEmail({ provider: "ses", spfInclude: undefined })), "shop.example.org"))
      .toEqual(["v=spf1 include:amazonses.com -all"]);
    expect(() => dnsRecordSpecs(withEmail({ provider: "smtp", spfInclude: undefined }))).toThrow(/email\.spfInclude is required/);
    expect(spfAt(dnsRecordSpecs(withEmail({ provider: "smtp", spfInclude: "include:relay.example.net" })), "shop.example.org"))
      .toEqual(["v=spf1 include:relay.example.net -all"]);
  });

  it("publishes the provider's DKIM records under the sending domain, keeping full names as given", () => {
    const records = dnsRecordSpecs(BASE);
    expect(contentAt(records, "CNAME", "s1._domainkey.shop.example.org")).toEqual(["s1.domainkey.u0000000.wl000.sendgrid.net"]);
    expect(contentAt(records, "CNAME", "s2._domainkey.shop.example.org")).toEqual(["s2.domainkey.u0000000.wl000.sendgrid.net"]);
    const txt = dnsRecordSpecs(withEmail({ dkim: [{ name: "k1._domainkey", type: "TXT", value: "v=DKIM1; k=rsa; p=MIIB" }] }));
    expect(contentAt(txt, "TXT", "k1._domainkey.shop.example.org")).toEqual(["v=DKIM1; k=rsa; p=MIIB"]);
  });

  it("publishes DMARC at _dmarc of the From domain with strict alignment and aggregate reports", () => {
    expect(contentAt(dnsRecordSpecs(BASE), "TXT", "_dmarc.shop.example.org"))
      .toEqual(["v=DMARC1; p=quarantine; rua=mailto:dmarc@shop.example.org; adkim=s; aspf=s; pct=100"]);
  });

  it("carries the reject policy through and drops rua when no report address is set", () => {
    expect(contentAt(dnsRecordSpecs(withEmail({ dmarcPolicy: "reject", dmarcReportAddress: undefined })), "TXT", "_dmarc.shop.example.org"))
      .toEqual(["v=DMARC1; p=reject; adkim=s; aspf=s; pct=100"]);
  });

  it("refuses two DKIM entries for the same name instead of creating a clashing resource", () => {
    const dkim = [{ name: "s1._domainkey", type: "CNAME" as const, value: "a.example.net" }, { name: "s1._domainkey.shop.example.org", type: "CNAME" as const, value: "b.example.net" }];
    expect(() => dnsRecordSpecs(withEmail({ dkim }))).toThrow(/s1\._domainkey\.shop\.example\.org/);
  });

  it("gives every record a distinct key derived only from its type and name", () => {
    const keys = dnsRecordSpecs(BASE).map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain("a-shop-example-org");
    expect(keys).toContain("dmarc-shop-example-org");
  });
});

describe("Mailgun on a sending subdomain", () => {
  const mailgun = withEmail({
    provider: "mailgun", mailgunDomain: "mg.shop.example.org", spfInclude: undefined,
    dkim: [{ name: "pic._domainkey", type: "TXT", value: "k=rsa; p=MIGf" }],
  });

  it("puts SPF and DKIM at the Mailgun domain and no SPF at the From domain", () => {
    const records = dnsRecordSpecs(mailgun);
    expect(spfAt(records, "mg.shop.example.org")).toEqual(["v=spf1 include:mailgun.org -all"]);
    expect(spfAt(records, "shop.example.org")).toEqual([]);
    expect(contentAt(records, "TXT", "pic._domainkey.mg.shop.example.org")).toEqual(["k=rsa; p=MIGf"]);
  });

  it("relaxes DMARC alignment at the From domain, since Mailgun signs as the subdomain", () => {
    expect(contentAt(dnsRecordSpecs(mailgun), "TXT", "_dmarc.shop.example.org"))
      .toEqual(["v=DMARC1; p=quarantine; rua=mailto:dmarc@shop.example.org; adkim=r; aspf=r; pct=100"]);
  });

  it("keeps strict alignment when mail is sent From the Mailgun domain itself", () => {
    const records = dnsRecordSpecs({ ...mailgun, email: { ...mailgun.email, fromAddress: "shop@mg.shop.example.org" } });
    expect(contentAt(records, "TXT", "_dmarc.mg.shop.example.org")[0]).toContain("adkim=s; aspf=s");
  });

  it("refuses a Mailgun domain that cannot align with the From domain, or none at all", () => {
    expect(() => dnsRecordSpecs({ ...mailgun, email: { ...mailgun.email, mailgunDomain: "mg.other.example.net" } })).toThrow(/cannot align/);
    expect(() => dnsRecordSpecs({ ...mailgun, email: { ...mailgun.email, mailgunDomain: undefined } })).toThrow(/mailgunDomain is required/);
  });
});

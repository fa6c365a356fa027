// What a resolver answers for each name the site serves, from the stack's zone: A/AAAA records
// (through CNAMEs inside the zone), each of which must reach the Docker host (config
// cloudflare.hostIpv4/hostIpv6: a stale or foreign address sends part of the visitors elsewhere),
// and the CAA set in force for the name (RFC 8659: the records at the name, else at the closest
// parent that has some), which must let Let's Encrypt, and only it, issue.
import { caaValue, fqdn, recordText, type DnsRecordView } from "./dns-records";

export interface HostAddresses {
  readonly ipv4?: string;
  readonly ipv6?: string;
}

/** CAA issuer (RFC 8659 4.2: the domain before any ";" parameters) that may issue for the stack. */
export const CAA_ISSUER = "letsencrypt.org";
const KNOWN_CAA_TAGS = new Set(["issue", "issuewild", "iodef", "issuemail", "contactemail", "contactphone"]);

const sameAddress = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** Problems of the address records a resolver returns for `name`. */
export function addressProblems(records: readonly DnsRecordView[], name: string, apex: string, host: HostAddresses): string[] {
  const problems: string[] = [];
  let current = name;
  for (let hops = 0; hops < 8; hops++) {
    const here = records.filter((r) => fqdn(r.name, apex) === current);
    const cname = here.filter((r) => r.type === "CNAME");
    if (cname.length > 0) {
      if (here.some((r) => r.type === "A" || r.type === "AAAA")) problems.push(`${current} has a CNAME beside A/AAAA records, which DNS forbids`);
      current = recordText(cname[0]!.resource).toLowerCase().replace(/\.$/, "");
      if (!(current === apex || current.endsWith(`.${apex}`))) return problems; // resolved outside the zone (a CDN): not judged here
      continue;
    }
    const a = here.filter((r) => r.type === "A");
    const aaaa = here.filter((r) => r.type === "AAAA");
    if (a.length + aaaa.length === 0) return [...problems, `no A/AAAA record answers for ${name}`];
    for (const r of a) {
      const address = recordText(r.resource);
      if (host.ipv4 && !sameAddress(address, host.ipv4)) problems.push(`${name} has an A record ${address}, not the Docker host's ${host.ipv4}: resolvers hand it out to part of the visitors`);
    }
    for (const r of aaaa) {
      const address = recordText(r.resource);
      if (!host.ipv6) problems.push(`${name} has an AAAA record ${address} but the host has no IPv6 address configured: IPv6 visitors go elsewhere`);
      else if (!sameAddress(address, host.ipv6)) problems.push(`${name} has an AAAA record ${address}, not the Docker host's ${host.ipv6}`);
    }
    return problems;
  }
  return [...problems, `${name}: CNAME chain too long or looping`];
}

/** The CAA records in force for `name`: at the name, else at the closest parent with some. */
export function caaInForce(records: readonly DnsRecordView[], name: string, apex: string): DnsRecordView[] {
  const labels = name.split(".");
  for (let i = 0; i < labels.length - 1; i++) {
    const at = labels.slice(i).join(".");
    const found = records.filter((r) => r.type === "CAA" && fqdn(r.name, apex) === at);
    if (found.length > 0) return found;
  }
  return [];
}

export function caaProblems(records: readonly DnsRecordView[], name: string, apex: string): string[] {
  const set = caaInForce(records, name, apex).map((r) => caaValue(r.resource)).filter((v) => v !== undefined);
  if (set.length === 0) return [`no CAA record covers ${name}: any CA may issue for it`];
  const problems: string[] = [];
  const issuer = (value: string) => value.split(";")[0]!.trim().toLowerCase();
  const issue = set.filter((v) => v.tag === "issue");
  if (issue.length === 0) problems.push(`the CAA records for ${name} have no issue tag: ${set.some((v) => v.tag === "issuewild") ? "only issuewild restricts, so any CA may issue non-wildcard certificates" : "any CA may issue"}`);
  for (const v of issue) {
    if (issuer(v.value) === "") problems.push(`CAA issue ";" for ${name} forbids every CA, Let's Encrypt included: certbot cannot renew`);
    else if (issuer(v.value) !== CAA_ISSUER) problems.push(`CAA for ${name} lets ${issuer(v.value)} issue, besides ${CAA_ISSUER}`);
  }
  for (const v of set.filter((x) => x.tag === "issuewild")) {
    if (issuer(v.value) !== "" && issuer(v.value) !== CAA_ISSUER) problems.push(`CAA issuewild for ${name} lets ${issuer(v.value)} issue wildcard certificates`);
  }
  for (const v of set.filter((x) => (x.flags & 128) !== 0 && !KNOWN_CAA_TAGS.has(x.tag))) {
    problems.push(`CAA for ${name} marks the unknown tag ${v.tag} critical: every CA, Let's Encrypt included, must refuse to issue`);
  }
  return problems;
}

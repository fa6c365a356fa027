// Cloudflare DNS records as the engine hands them (cloudflare:index/dnsRecord:DnsRecord, v5+ schema:
// name, type, content, proxied; CAA and SRV values in `data`).
import type { PolicyResource } from "@pulumi/policy";
import { known, stringProp, UNKNOWN } from "./unknowns";

export const DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord";
/** The v4 provider's name for the same thing, still seen in older stacks. */
export const LEGACY_DNS_RECORD = "cloudflare:index/record:Record";

export interface DnsRecordView {
  readonly resource: PolicyResource;
  /** As written: a full name ("shop.example.com"), a relative one ("www") or "@" for the apex. */
  readonly name: string;
  readonly type: string;
  /** Missing `proxied` is the provider's default: false (DNS only). */
  readonly proxied: boolean;
}

/** DNS records whose name and type are known (both are plain inputs in any sane program). */
export function dnsRecords(resources: readonly PolicyResource[]): DnsRecordView[] {
  return resources
    .filter((r) => r.type === DNS_RECORD || r.type === LEGACY_DNS_RECORD)
    .map((resource) => {
      const proxied = known(() => resource.props.proxied as boolean | undefined);
      return {
        resource,
        name: stringProp(resource, (p) => p.name).toLowerCase().replace(/\.$/, ""),
        type: stringProp(resource, (p) => p.type).toUpperCase(),
        proxied: proxied === UNKNOWN ? false : proxied === true,
      };
    });
}

/** The record's value (`content`, or v4's `value`); throws (undecidable) when it is unknown. */
export function recordText(resource: PolicyResource): string {
  const content = stringProp(resource, (p) => p.content);
  return content !== "" ? content : stringProp(resource, (p) => p.value);
}

/** Whether a record name denotes `domain` (full name, relative first label(s), or "@" for an apex). */
export function recordNames(record: DnsRecordView, domain: string): boolean {
  const d = domain.toLowerCase().replace(/\.$/, "");
  return record.name === d || d.startsWith(`${record.name}.`) || (record.name === "@" && d.split(".").length === 2);
}

/** A record name as a fully qualified name: "@" is the apex, a name outside it is relative to it. */
export function fqdn(name: string, apex: string): string {
  const n = name.toLowerCase().replace(/\.$/, "");
  const a = apex.toLowerCase().replace(/\.$/, "");
  if (n === "@" || n === "") return a;
  if (a === "") return n;
  return n === a || n.endsWith(`.${a}`) ? n : `${n}.${a}`;
}

/** A TXT record's text as a resolver returns it: quoted strings joined without separators. */
export function txtText(resource: PolicyResource): string {
  const raw = recordText(resource).trim();
  if (!raw.startsWith('"')) return raw;
  return [...raw.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, "$1")).join("");
}

export interface CaaValue {
  readonly flags: number;
  readonly tag: string;
  readonly value: string;
}

/** A CAA record's flags, tag and value (`data`, or content "0 issue \"letsencrypt.org\""). */
export function caaValue(resource: PolicyResource): CaaValue | undefined {
  const data = known(() => resource.props.data as { flags?: number | string; tag?: string; value?: string } | undefined);
  if (data === UNKNOWN) return undefined;
  if (data && data.tag !== undefined) return { flags: Number(data.flags ?? 0), tag: data.tag.toLowerCase(), value: data.value ?? "" };
  const m = /^(\d+)\s+([a-z0-9]+)\s+"?(.*?)"?$/i.exec(recordText(resource).trim());
  return m ? { flags: Number(m[1]), tag: m[2]!.toLowerCase(), value: m[3]! } : undefined;
}

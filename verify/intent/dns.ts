// The DNS records the program declares (cloudflare.DnsRecord inputs): what each name must resolve to.
// A proxied (orange-cloud) address record resolves to Cloudflare's edge, not to its content.
import { DNS_RECORD, LEGACY_DNS_RECORD } from "../../policies/lib/dns-records";
import { asNumber, asRecord, asString } from "../../policies/lib/values";
import { isUnknownValue, type DeclaredStack } from "./declared-stack";

export type DeclaredRecord =
  | { readonly type: "A" | "AAAA" | "CNAME" | "TXT"; readonly name: string; readonly content: string; readonly proxied: boolean }
  | { readonly type: "CAA"; readonly name: string; readonly flags: number; readonly tag: string; readonly value: string; readonly proxied: false };

export function declaredRecords(stack: DeclaredStack): DeclaredRecord[] {
  return stack.resources
    .filter((r) => r.type === DNS_RECORD || r.type === LEGACY_DNS_RECORD)
    .flatMap((r): DeclaredRecord[] => {
      const name = (asString(r.inputs.name) ?? "").toLowerCase().replace(/\.$/, "");
      const type = (asString(r.inputs.type) ?? "").toUpperCase();
      const proxied = r.inputs.proxied === true;
      if (type === "CAA") {
        const data = asRecord(r.inputs.data) ?? {};
        return [{ type, name, flags: asNumber(data.flags) ?? 0, tag: asString(data.tag) ?? "", value: asString(data.value) ?? "", proxied: false }];
      }
      const content = asString(r.inputs.content) ?? asString(r.inputs.value);
      if (content === undefined || isUnknownValue(content)) return [];
      if (type !== "A" && type !== "AAAA" && type !== "CNAME" && type !== "TXT") return [];
      return [{ type, name, content, proxied }];
    });
}

/** CAA `issue` values in force for a host: its own records, else the closest parent's (RFC 8659 tree climbing). */
export function caaIssuers(records: readonly DeclaredRecord[], host: string): string[] | undefined {
  for (let name = host; name.includes("."); name = name.slice(name.indexOf(".") + 1)) {
    const caa = records.filter((r): r is Extract<DeclaredRecord, { type: "CAA" }> => r.type === "CAA" && r.name === name);
    if (caa.length > 0) return caa.filter((r) => r.tag === "issue").map((r) => r.value.split(";")[0]!.trim().toLowerCase());
  }
  return undefined;
}

// DMARC records read as a receiver reads them (RFC 7489 6.3, 6.6.3): "v=DMARC1" must be the first
// tag; p is none, quarantine or reject (a missing or invalid p makes the record void unless it has
// a valid rua, when it counts as none); sp applies to subdomains (default: p); pct (0-100, default
// 100) is the share of failing mail the policy applies to (the rest gets the next lower one); rua/ruf
// are comma-separated mailto: URIs; two records at one name mean no policy at all.

export type DmarcPolicy = "none" | "quarantine" | "reject";

export interface DmarcRecord {
  /** The policy in force for the domain; undefined when the record is void. */
  readonly policy?: DmarcPolicy;
  readonly subdomainPolicy?: DmarcPolicy;
  /** The sp= tag when the record gives one. */
  readonly sp?: DmarcPolicy;
  readonly pct: number;
  /** DKIM identifier alignment: "r" (relaxed, the default) accepts a signature of the organizational domain. */
  readonly adkim: "r" | "s";
  readonly rua: readonly string[];
  readonly errors: readonly string[];
}

const POLICIES: readonly string[] = ["none", "quarantine", "reject"];
const MAILTO = /^mailto:[^@\s!,]+@[a-z0-9.-]+\.[a-z]{2,}(![0-9]+[kmgt]?)?$/i;

export const isDmarc = (text: string): boolean => /^v\s*=\s*DMARC1\s*(;|$)/.test(text);

export function parseDmarc(text: string): DmarcRecord {
  const errors: string[] = [];
  const tags = new Map<string, string>();
  const parts = text.split(";").map((p) => p.trim()).filter((p) => p !== "");
  for (const part of parts) {
    const eq = part.indexOf("=");
    if (eq <= 0) { errors.push(`"${part}" is not a tag=value pair`); continue; }
    const name = part.slice(0, eq).trim().toLowerCase();
    if (!tags.has(name)) tags.set(name, part.slice(eq + 1).trim());
  }
  if (!isDmarc(text)) errors.push("the record does not start with v=DMARC1");
  const rua = (tags.get("rua") ?? "").split(",").map((u) => u.trim()).filter((u) => u !== "");
  const badUris = rua.filter((u) => !MAILTO.test(u));
  if (badUris.length > 0) errors.push(`rua has ${badUris.map((u) => `"${u}"`).join(", ")}, not mailto: addresses`);
  const p = tags.get("p")?.toLowerCase();
  const validRua = rua.length > 0 && badUris.length === 0;
  let policy: DmarcPolicy | undefined;
  if (p !== undefined && POLICIES.includes(p)) policy = p as DmarcPolicy;
  else {
    errors.push(p === undefined ? "p= is missing" : `p=${p} is not none, quarantine or reject`);
    if (validRua) policy = "none";
  }
  const sp = tags.get("sp")?.toLowerCase();
  if (sp !== undefined && !POLICIES.includes(sp)) errors.push(`sp=${sp} is not none, quarantine or reject`);
  const pctText = tags.get("pct");
  const pct = pctText === undefined ? 100 : /^\d{1,3}$/.test(pctText) && Number(pctText) <= 100 ? Number(pctText) : 100;
  if (pctText !== undefined && pct === 100 && pctText !== "100") errors.push(`pct=${pctText} is not a number from 0 to 100 (ignored)`);
  return {
    policy: errors.includes("the record does not start with v=DMARC1") ? undefined : policy,
    subdomainPolicy: sp !== undefined && POLICIES.includes(sp) ? (sp as DmarcPolicy) : policy,
    sp: sp !== undefined && POLICIES.includes(sp) ? (sp as DmarcPolicy) : undefined,
    pct, rua, errors,
    adkim: tags.get("adkim")?.toLowerCase() === "s" ? "s" : "r",
  };
}

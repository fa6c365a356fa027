// SPF records evaluated as a receiver does (RFC 7208): the version section must be exactly
// "v=spf1"; terms are mechanisms with an optional qualifier or name=value modifiers; an unknown
// mechanism, a malformed one, a repeated redirect/exp or more than 10 terms that cause DNS lookups
// (include, a, mx, ptr, exists, redirect) is a permerror; terms after "all" are never reached and a
// redirect is ignored when "all" is present; without "all" or redirect the result is neutral.

export type Qualifier = "+" | "-" | "~" | "?";

export interface SpfTerm {
  readonly qualifier: Qualifier;
  readonly mechanism: string;
  /** The argument after ":" (include:sendgrid.net -> sendgrid.net). */
  readonly value?: string;
}

export interface SpfRecord {
  readonly terms: readonly SpfTerm[];
  readonly redirect?: string;
  /** Reasons the record is a permerror; empty when valid. */
  readonly errors: readonly string[];
  /** Terms that cost a DNS lookup at this level (the included records add their own). */
  readonly lookups: number;
  /** The qualifier mail from unlisted hosts gets: "all"'s, else "?" (neutral) when nothing redirects. */
  readonly fallback?: Qualifier;
}

const MECHANISMS = new Set(["all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"]);
const LOOKUP_MECHANISMS = new Set(["include", "a", "mx", "ptr", "exists"]);
export const SPF_LOOKUP_LIMIT = 10;

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^[0-9a-f:.]+$/i;
const DOMAIN_SPEC = /^[^\s]+\.[^\s.]+\.?$/;

/** Whether a TXT value is an SPF record (RFC 7208 4.5: "v=spf1" alone or followed by a space). */
export const isSpf = (text: string): boolean => /^v=spf1( |$)/i.test(text);

export function parseSpf(text: string): SpfRecord {
  const errors: string[] = [];
  const terms: SpfTerm[] = [];
  let redirect: string | undefined;
  let exp = 0;
  let lookups = 0;
  const words = text.trim().split(/ +/).slice(1);
  for (const word of words) {
    const modifier = /^([a-z][a-z0-9._-]*)=(.*)$/i.exec(word);
    if (modifier) {
      const name = modifier[1]!.toLowerCase();
      if (name === "redirect") {
        if (redirect !== undefined) errors.push("redirect= appears twice");
        redirect = modifier[2];
        lookups++;
      } else if (name === "exp" && ++exp > 1) errors.push("exp= appears twice");
      continue;
    }
    const m = /^([+\-~?]?)([a-z0-9]+)(?::(.*?))?(\/\/?\d+)*$/i.exec(word);
    const mechanism = m?.[2]?.toLowerCase();
    if (!m || !mechanism || !MECHANISMS.has(mechanism)) {
      errors.push(`"${word}" is not an SPF mechanism`);
      continue;
    }
    const value = m[3];
    const qualifier = (m[1] || "+") as Qualifier;
    if ((mechanism === "include" || mechanism === "exists") && (!value || !DOMAIN_SPEC.test(value))) errors.push(`${word} needs a domain`);
    if (mechanism === "ip4" && !IPV4.test((value ?? "").split("/")[0]!)) errors.push(`${word} is not an IPv4 network`);
    if (mechanism === "ip6" && !IPV6.test((value ?? "").split("/")[0]!)) errors.push(`${word} is not an IPv6 network`);
    if (mechanism === "all" && value !== undefined) errors.push(`${word}: all takes no argument`);
    if (LOOKUP_MECHANISMS.has(mechanism)) lookups++;
    terms.push({ qualifier, mechanism, value });
  }
  if (lookups > SPF_LOOKUP_LIMIT) errors.push(`${lookups} terms need DNS lookups, more than the limit of ${SPF_LOOKUP_LIMIT}`);
  const all = terms.find((t) => t.mechanism === "all");
  return { terms, redirect, errors, lookups, fallback: all ? all.qualifier : redirect === undefined ? "?" : undefined };
}

/** Terms a receiver evaluates: up to and including "all" (later ones are never reached). */
export const reachedTerms = (record: SpfRecord): readonly SpfTerm[] => {
  const all = record.terms.findIndex((t) => t.mechanism === "all");
  return all < 0 ? record.terms : record.terms.slice(0, all + 1);
};

// What a browser makes of a response's security headers, by the specifications browsers implement:
// HSTS (RFC 6797), X-Content-Type-Options (Fetch), X-Frame-Options (HTML), Referrer-Policy (Referrer
// Policy), Content-Security-Policy (CSP Level 3). A header present but malformed, duplicated or
// neutralised does what the browser does with it, not what its text seems to say.

export interface HeaderField {
  readonly name: string;
  readonly value: string;
}

const named = (fields: readonly HeaderField[], name: string) => fields.filter((f) => f.name.toLowerCase() === name);

/** Fetch's "get, decode, and split": every field's value split on commas (outside quotes), trimmed. */
export function headerListValues(fields: readonly HeaderField[], name: string): string[] {
  return named(fields, name).flatMap((f) => f.value.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)).map((v) => v.trim());
}

export interface Hsts {
  readonly maxAge: number;
  readonly includeSubDomains: boolean;
  readonly preload: boolean;
}

/** RFC 6797 6.1 and 8.1: only the first STS field counts; a repeated or malformed directive voids it. */
export function parseHsts(fields: readonly HeaderField[]): Hsts | string {
  const first = named(fields, "strict-transport-security")[0];
  if (!first) return "no Strict-Transport-Security header";
  const seen = new Set<string>();
  let maxAge: number | undefined;
  for (const part of first.value.split(";").map((p) => p.trim()).filter((p) => p !== "")) {
    const eq = part.indexOf("=");
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : part.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1");
    if (seen.has(name)) return `Strict-Transport-Security repeats ${name}, so browsers ignore the header`;
    seen.add(name);
    if (name === "max-age") {
      if (value === undefined || !/^\d+$/.test(value)) return `Strict-Transport-Security max-age "${value ?? ""}" is not a number, so browsers ignore the header`;
      maxAge = Number(value);
    }
  }
  if (maxAge === undefined) return "Strict-Transport-Security has no max-age, so browsers ignore it";
  return { maxAge, includeSubDomains: seen.has("includesubdomains"), preload: seen.has("preload") };
}

/** Fetch "determine nosniff": the first value of all X-Content-Type-Options fields is nosniff. */
export const nosniff = (fields: readonly HeaderField[]): boolean => headerListValues(fields, "x-content-type-options")[0]?.toLowerCase() === "nosniff";

/** HTML's X-Frame-Options processing: does it stop other origins from framing the page? */
export function frameOptionsProtect(fields: readonly HeaderField[]): boolean {
  const values = new Set(headerListValues(fields, "x-frame-options").map((v) => v.toLowerCase()));
  if (values.size > 1) return values.has("deny") || values.has("sameorigin") || values.has("allowall");
  return values.has("deny") || values.has("sameorigin");
}

export const PRIVATE_REFERRER_POLICIES = ["no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"];
const REFERRER_POLICIES = new Set([...PRIVATE_REFERRER_POLICIES, "no-referrer-when-downgrade", "origin", "origin-when-cross-origin", "unsafe-url"]);

/** Referrer Policy 8.1: the last recognised token of all Referrer-Policy fields; "" when none. */
export function referrerPolicy(fields: readonly HeaderField[]): string {
  let policy = "";
  for (const token of headerListValues(fields, "referrer-policy")) if (REFERRER_POLICIES.has(token.toLowerCase())) policy = token.toLowerCase();
  return policy;
}

/** One serialized CSP: directive name -> source list, the first occurrence of a name only. */
export type CspPolicy = ReadonlyMap<string, readonly string[]>;

/** CSP3 "parse a response's Content Security Policies": every enforced field, each comma-separated policy. */
export function parseCsp(fields: readonly HeaderField[]): CspPolicy[] {
  return named(fields, "content-security-policy").flatMap((f) => f.value.split(",")).map((serialized) => {
    const policy = new Map<string, string[]>();
    for (const token of serialized.split(";").map((t) => t.trim()).filter((t) => t !== "")) {
      const [name = "", ...sources] = token.split(/[\t\n\f\r ]+/);
      const key = name.toLowerCase();
      if (!/^[a-z0-9-]+$/.test(key) || policy.has(key)) continue;
      policy.set(key, sources);
    }
    return policy;
  }).filter((p) => p.size > 0);
}

const KEYWORD = /^'(self|none|unsafe-inline|unsafe-eval|strict-dynamic|unsafe-hashes|report-sample|unsafe-allow-redirects|wasm-unsafe-eval|inline-speculation-rules)'$/i;
const NONCE_OR_HASH = /^'(nonce-[A-Za-z0-9+/_=-]+|sha(256|384|512)-[A-Za-z0-9+/_=-]+)'$/i;
const SCHEME = /^[a-z][a-z0-9+.-]*:$/i;
const HOST = /^([a-z][a-z0-9+.-]*:\/\/)?(\*|(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*)(:(\d+|\*))?(\/[^\s;,]*)?$/i;

/** The source expressions browsers accept; anything else in the list is ignored. */
const validSources = (list: readonly string[]) => list.filter((s) => KEYWORD.test(s) || NONCE_OR_HASH.test(s) || SCHEME.test(s) || HOST.test(s)).map((s) => (KEYWORD.test(s) ? s.toLowerCase() : s));

/** The source list in force for `directive`, following CSP3's fallback list to default-src. */
function effectiveSources(policy: CspPolicy, fallbacks: readonly string[]): string[] | undefined {
  for (const name of fallbacks) {
    const list = policy.get(name);
    if (list !== undefined) return validSources(list);
  }
  return undefined;
}

/** A source list that admits any origin (or any origin of a scheme). */
const admitsAnything = (list: readonly string[]) => list.some((s) => s === "*" || /^(https?|data|blob|filesystem):$/i.test(s));
/** 'none' counts only alone (CSP3: with other sources it is ignored). */
const isNone = (list: readonly string[]) => list.length === 0 || (list.length === 1 && list[0] === "'none'");

/** Inline script runs unless a nonce, hash or 'strict-dynamic' makes browsers ignore 'unsafe-inline'. */
function allowsInlineScript(list: readonly string[]): boolean {
  if (!list.includes("'unsafe-inline'")) return false;
  return !list.some((s) => NONCE_OR_HASH.test(s) || s === "'strict-dynamic'");
}

export interface CspVerdict {
  readonly problems: readonly string[];
  /** frame-ancestors restricts framing in some policy. */
  readonly framingRestricted: boolean;
  /** Some policy sets frame-ancestors: browsers then ignore X-Frame-Options. */
  readonly setsFrameAncestors: boolean;
}

/**
 * What the enforced policies together restrict: each policy is enforced, so a restriction holds when
 * any one policy makes it. Thresholds (Mozilla web security guidelines): scripts only from listed
 * origins without 'unsafe-inline' (elements and attributes), default-src set without wildcards,
 * object-src 'none', base-uri set (unless the policy allows no script at all).
 */
export function judgeCsp(fields: readonly HeaderField[]): CspVerdict {
  const policies = parseCsp(fields);
  if (policies.length === 0) return { problems: ["no Content-Security-Policy header"], framingRestricted: false, setsFrameAncestors: false };
  const problems: string[] = [];
  const anyPolicy = (ok: (p: CspPolicy) => boolean) => policies.some(ok);
  const scriptsRestricted = (names: string[]) => (p: CspPolicy) => {
    const list = effectiveSources(p, names);
    return list !== undefined && !admitsAnything(list) && !allowsInlineScript(list);
  };
  if (!anyPolicy(scriptsRestricted(["script-src-elem", "script-src", "default-src"]))) {
    problems.push("Content-Security-Policy lets scripts run inline or from any origin (script-src/default-src)");
  } else if (!anyPolicy(scriptsRestricted(["script-src-attr", "script-src", "default-src"]))) {
    problems.push("Content-Security-Policy lets inline event handlers run (script-src-attr 'unsafe-inline')");
  }
  if (!anyPolicy((p) => { const d = effectiveSources(p, ["default-src"]); return d !== undefined && !admitsAnything(d); })) {
    problems.push("Content-Security-Policy has no restrictive default-src");
  }
  if (!anyPolicy((p) => { const o = effectiveSources(p, ["object-src", "default-src"]); return o !== undefined && isNone(o); })) {
    problems.push("Content-Security-Policy does not set object-src 'none'");
  }
  // A <base> injected into a page that may run no script at all cannot redirect any script.
  const noScript = (p: CspPolicy) => isNone(effectiveSources(p, ["script-src", "default-src"]) ?? ["*"]);
  if (!anyPolicy((p) => { const b = effectiveSources(p, ["base-uri"]); return (b !== undefined && !admitsAnything(b)) || noScript(p); })) {
    problems.push("Content-Security-Policy does not restrict base-uri");
  }
  const withAncestors = policies.filter((p) => p.has("frame-ancestors"));
  const framingRestricted = withAncestors.some((p) => !admitsAnything(effectiveSources(p, ["frame-ancestors"]) ?? ["*"]));
  return { problems, framingRestricted, setsFrameAncestors: withAncestors.length > 0 };
}

// The resources a secret can come from, and what decides its strength, read from their inputs
// (known at preview even when the generated value is not). Character generators draw each position
// uniformly from the provider's concatenated alphabet after placing the min* characters from their
// class (terraform-provider-random internal/random/string.go: the minimums apply whether or not the
// class is enabled); byte generators give 8 bits per byte; identifiers (UUID, pet names, integers,
// shuffles) are names, never secrets.
import type { PolicyResource } from "@pulumi/policy";
import { bool, isUnknownInput, num, rec, snapshotOf, str, type SnapshotRecord } from "../docker/snapshot";
import {
  RANDOM_BYTES, RANDOM_ID, RANDOM_INTEGER, RANDOM_PASSWORD, RANDOM_PET, RANDOM_SHUFFLE, RANDOM_STRING, RANDOM_UUID, STACK_REFERENCE, TLS_PRIVATE_KEY,
} from "../resource-types";
const CERTIFICATE_TYPES = ["tls:index/selfSignedCert:SelfSignedCert", "tls:index/locallySignedCert:LocallySignedCert", "tls:index/certRequest:CertRequest"];
/** Credentials a provider issues (their strength is the issuer's): Cloudflare tokens, B2 keys. */
const ISSUER_TYPES = ["cloudflare:index/apiToken:ApiToken", "cloudflare:index/accountToken:AccountToken", "pulumi-nodejs:dynamic/b2:ApplicationKey"];

export type ProducerKind = "characters" | "bytes" | "identifier" | "key" | "certificate" | "issued" | "other-stack" | "opaque";

export interface Strength {
  /** Characters of the value (the shortest text form for byte generators). */
  readonly length: number;
  /** Distinct symbols a character generator draws from; undefined for bytes. */
  readonly alphabet?: number;
  /** Entropy in bits. */
  readonly bits: number;
  /** Random bytes (byte generators). */
  readonly bytes?: number;
}

export interface Producer {
  readonly resource: PolicyResource;
  readonly kind: ProducerKind;
  /** "RandomString", "RandomPet" … */
  readonly what: string;
  /** Undefined when not a generator, or when an input deciding it is unknown at preview. */
  readonly strength?: Strength;
  /** Known output values (an update's preview), to trace them into consumers exactly. */
  readonly outputs: readonly string[];
  /** Keepers as given (for secrets-per-stack). */
  readonly keepers?: SnapshotRecord;
}

const CLASSES = {
  upper: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  lower: "abcdefghijklmnopqrstuvwxyz",
  numeric: "0123456789",
} as const;
export const DEFAULT_SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

/** Each alphabet's entropy once: a stack policy asks for every password's strength per secret it traces. */
const drawBitsOf = new Map<string, number>();

/** Shannon entropy of one uniform draw from `chars` (repeated characters weigh more). */
function drawBits(chars: string): number {
  let bits = drawBitsOf.get(chars);
  if (bits !== undefined) return bits;
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  bits = chars.length === 0 ? 0 : [...counts.values()].reduce((h, n) => h - (n / chars.length) * Math.log2(n / chars.length), 0);
  // Alphabets are a few short strings per stack (the classes, the special sets configured); a stack
  // of generated special sets would fill this, so it keeps the first thousand only.
  if (drawBitsOf.size < 1_000) drawBitsOf.set(chars, bits);
  return bits;
}

/** RandomPassword/RandomString: undefined when an input that decides it is unknown. */
export function characterStrength(p: SnapshotRecord): Strength | undefined {
  const keys = ["length", "upper", "lower", "numeric", "number", "special", "overrideSpecial", "minUpper", "minLower", "minNumeric", "minSpecial"];
  if (keys.some((k) => isUnknownInput(p[k]))) return undefined;
  const on = (key: string) => bool(p[key]) !== false;
  const special = str(p.overrideSpecial) || DEFAULT_SPECIAL;
  const chars = (on("upper") ? CLASSES.upper : "") + (on("lower") ? CLASSES.lower : "") +
    (on("numeric") && on("number") ? CLASSES.numeric : "") + (on("special") ? special : "");
  const minimums: Array<[string, number]> = [
    [CLASSES.numeric, num(p.minNumeric) ?? 0], [CLASSES.lower, num(p.minLower) ?? 0], [CLASSES.upper, num(p.minUpper) ?? 0], [special, num(p.minSpecial) ?? 0],
  ];
  const length = num(p.length) ?? 0;
  const placed = Math.min(length, minimums.reduce((n, [, m]) => n + m, 0));
  const bits = minimums.reduce((b, [set, m]) => b + m * drawBits(set), 0) + (length - placed) * drawBits(chars);
  // The alphabet of the free positions (the minimums fill a few positions from their class only).
  const symbols = new Set(chars.length > 0 ? [...chars] : minimums.filter(([, m]) => m > 0).flatMap(([set]) => [...set]));
  return { length, alphabet: symbols.size, bits };
}

/** A byte generator's shortest text form: base64 (RandomBytes), unpadded base64url (RandomId). */
const byteStrength = (bytes: number, padded: boolean): Strength => ({
  length: padded ? 4 * Math.ceil(bytes / 3) : Math.ceil((4 * bytes) / 3), bits: 8 * bytes, bytes,
});

const knownStrings = (p: SnapshotRecord, keys: readonly string[]): string[] =>
  keys.map((k) => p[k]).flatMap((v) => (typeof v === "string" && v !== "" ? [v] : typeof v === "number" ? [String(v)] : []));

/** What `resource` is as a source of secrets; `producers` follow a role's password to its own sources. */
export function producerOf(resource: PolicyResource): Producer {
  const p = snapshotOf(resource.props);
  const keepers = rec(p.keepers);
  const base = { resource, keepers };
  switch (resource.type) {
    case RANDOM_PASSWORD:
    case RANDOM_STRING:
      return { ...base, kind: "characters", what: resource.type === RANDOM_PASSWORD ? "RandomPassword" : "RandomString", strength: characterStrength(p), outputs: knownStrings(p, ["result"]) };
    case RANDOM_BYTES: {
      const length = num(p.length);
      const outputs = knownStrings(p, ["base64", "hex"]);
      return { ...base, kind: "bytes", what: "RandomBytes", strength: isUnknownInput(p.length) || length === undefined ? undefined : byteStrength(length, true), outputs: [...outputs, ...outputs.map((o) => o.replace(/\+/g, "-").replace(/\//g, "_"))] };
    }
    case RANDOM_ID: {
      const length = num(p.byteLength);
      return { ...base, kind: "bytes", what: "RandomId", strength: isUnknownInput(p.byteLength) || length === undefined ? undefined : byteStrength(length, false), outputs: knownStrings(p, ["hex", "b64Url", "b64Std", "dec"]) };
    }
    case RANDOM_UUID:
      return { ...base, kind: "identifier", what: "RandomUuid", outputs: knownStrings(p, ["result"]) };
    case RANDOM_PET:
      return { ...base, kind: "identifier", what: "RandomPet", outputs: knownStrings(p, ["id"]) };
    case RANDOM_INTEGER:
      return { ...base, kind: "identifier", what: "RandomInteger", outputs: knownStrings(p, ["result"]) };
    case RANDOM_SHUFFLE:
      return { ...base, kind: "identifier", what: "RandomShuffle", outputs: [] };
    case TLS_PRIVATE_KEY:
      return { ...base, kind: "key", what: "tls PrivateKey", outputs: knownStrings(p, ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"]) };
    case STACK_REFERENCE:
      return { ...base, kind: "other-stack", what: `StackReference ${str(p.name) ?? resource.name}`, outputs: [] };
    default:
      if (CERTIFICATE_TYPES.includes(resource.type)) return { ...base, kind: "certificate", what: resource.type.split(":").pop()!, outputs: knownStrings(p, ["certPem", "certRequestPem"]) };
      if (ISSUER_TYPES.includes(resource.type)) return { ...base, kind: "issued", what: resource.type.split(/[:/]/).pop()!, outputs: [] };
      return { ...base, kind: "opaque", what: resource.type, outputs: [] };
  }
}

export const isGenerator = (p: Producer): boolean => p.kind === "characters" || p.kind === "bytes" || p.kind === "identifier";

/** "RandomString "x" (12 characters from 62 symbols, 71 bits)". */
export function describeProducer(p: Producer): string {
  const s = p.strength;
  const detail = !s ? "" : p.kind === "bytes" ? ` (${s.bytes} bytes, ${s.bits} bits)` : ` (${s.length} characters from ${s.alphabet} symbols, ${Math.floor(s.bits)} bits)`;
  return `${p.what} "${p.resource.name}"${detail}`;
}

// Which producer feeds which secret, and whether it is strong enough for it, decided from what the
// preview knows. A slot whose content is known is fed by the producers whose known output it
// contains (an update's preview). A slot unknown at preview is fed by one of the property's
// producers that can make its kind of value: every producer listed for a property feeds some entry
// of it, so a producer too weak for every slot it could feed is a weak secret wherever it landed,
// and a slot none of whose possible producers is strong enough is weak whichever fed it. Byte
// generators of Fernet length are taken by the Fernet keys first when there are no more of them
// than keys (each key needs its own); the rest compete for the other slots.
import type { PolicyResource } from "@pulumi/policy";
import { describeProducer, isGenerator, type Producer } from "./producers";
import type { ConsumedProperty, Slot, SlotKind } from "./slots";

/** What each kind of secret must have (stated in the rules' remediation). */
export const REQUIREMENTS = {
  "django-key": { minLength: 50, minBits: 256, minAlphabet: 36 },
  password: { minLength: 32, minBits: 165, minAlphabet: 36 },
  fernetBytes: 32,
} as const;

export type SecretRule = "django-key" | "fernet" | "password";
export type Adequacy = "adequate" | "inadequate" | "unknown" | "incompatible";

const JUDGED: ReadonlySet<SlotKind> = new Set(["django-key", "fernet", "password", "secret"]);

/** Whether `producer` can make, and is strong enough for, a secret of `kind`. */
export function adequacy(kind: SlotKind, producer: Producer): Adequacy {
  switch (kind) {
    case "certificate":
      return producer.kind === "certificate" ? "adequate" : "incompatible";
    case "key":
      return producer.kind === "key" ? "adequate" : "incompatible";
    case "issued":
      return ["issued", "opaque", "other-stack"].includes(producer.kind) ? "adequate" : "incompatible";
    case "unnamed-env":
      // An env entry whose name the preview cannot see may be a name (a RandomPet bucket suffix …).
      if (producer.kind === "identifier" || producer.kind === "issued" || producer.kind === "opaque") return "adequate";
      break;
    default:
      break;
  }
  if (producer.kind === "certificate") return "incompatible";
  if (producer.kind === "key" || producer.kind === "issued") return kind === "secret" || kind === "unnamed-env" ? "adequate" : "incompatible";
  if (producer.kind === "opaque" || producer.kind === "other-stack") return "unknown";
  if (producer.kind === "identifier") return "inadequate";
  const s = producer.strength;
  if (!s) return "unknown";
  if (kind === "fernet") return producer.kind === "bytes" && s.bytes === REQUIREMENTS.fernetBytes ? "adequate" : "inadequate";
  const need = kind === "django-key" ? REQUIREMENTS["django-key"] : REQUIREMENTS.password;
  const alphabetOk = producer.kind !== "characters" || (s.alphabet ?? 0) >= need.minAlphabet;
  return s.length >= need.minLength && s.bits >= need.minBits && alphabetOk ? "adequate" : "inadequate";
}

/** Why `producer` falls short of `kind`, for messages. */
export function shortfall(kind: SlotKind, producer: Producer): string {
  if (producer.kind === "identifier") return `${producer.what} makes a name, not a secret`;
  const s = producer.strength;
  if (!s) return "its strength is unknown at preview";
  if (kind === "fernet") return producer.kind === "bytes" ? `${s.bytes} bytes, a Fernet key needs exactly ${REQUIREMENTS.fernetBytes}` : "it is not 32 random bytes in base64";
  const need = kind === "django-key" ? REQUIREMENTS["django-key"] : REQUIREMENTS.password;
  if (s.length < need.minLength) return `${s.length} characters, fewer than ${need.minLength}`;
  if (producer.kind === "characters" && (s.alphabet ?? 0) < need.minAlphabet) return `it draws from only ${s.alphabet} symbols, fewer than ${need.minAlphabet}`;
  return `${Math.floor(s.bits)} bits, fewer than ${need.minBits}`;
}

export const ruleOf = (kind: SlotKind): SecretRule | undefined =>
  kind === "django-key" ? "django-key" : kind === "fernet" ? "fernet" : kind === "password" || kind === "secret" || kind === "unnamed-env" ? "password" : undefined;

export interface SecretFinding {
  readonly rule: SecretRule;
  /** The resource the finding is reported on. */
  readonly urn: string;
  readonly message: string;
  /** Set when the verdict waits for values unknown at preview (the rule is then undecidable). */
  readonly undecidable?: boolean;
  /** Producers the finding blames (for deduplication across containers that share them). */
  readonly producers: readonly string[];
}

const contains = (content: string, producer: Producer) => producer.outputs.some((o) => o.length >= 8 && content.includes(o));

interface SlotVerdict {
  readonly slot: Slot;
  readonly candidates: readonly Producer[];
  readonly adequate: readonly Producer[];
  readonly unknown: readonly Producer[];
}

/** Attribution within one consumed property. */
export function judgeProperty(consumed: ConsumedProperty): SecretFinding[] {
  const { consumer, slots, producers } = consumed;
  const findings: SecretFinding[] = [];
  const where = `${consumer.name}'s ${consumed.property}`;
  const unknownSlots = slots.filter((s) => s.content === undefined);
  // Fernet keys take the 32-byte generators first when there are not more of them than keys.
  const fernetSlots = unknownSlots.filter((s) => s.kind === "fernet");
  const fernetCapable = producers.filter((p) => adequacy("fernet", p) === "adequate");
  const claimed = new Set(fernetSlots.length > 0 && fernetCapable.length <= fernetSlots.length ? fernetCapable.map((p) => p.resource.urn) : []);

  const verdicts: SlotVerdict[] = slots.map((slot) => {
    const candidates = slot.content !== undefined
      ? producers.filter((p) => contains(slot.content!, p))
      : producers.filter((p) => adequacy(slot.kind, p) !== "incompatible" && (slot.kind === "fernet" || !claimed.has(p.resource.urn)));
    return {
      slot, candidates,
      adequate: candidates.filter((p) => adequacy(slot.kind, p) === "adequate"),
      unknown: candidates.filter((p) => adequacy(slot.kind, p) === "unknown"),
    };
  });

  const violated = new Set<SlotKind>();
  for (const v of verdicts) {
    const rule = ruleOf(v.slot.kind);
    if (!rule || !JUDGED.has(v.slot.kind) && v.slot.kind !== "unnamed-env") continue;
    if (v.adequate.length > 0) continue;
    if (v.candidates.length === 0) {
      // Unknown content that no listed producer can make: it comes from something the preview does not show.
      if (v.slot.content === undefined && v.slot.kind !== "unnamed-env") findings.push({ rule, urn: consumer.urn, undecidable: true, producers: [], message: `${v.slot.label} of "${consumer.name}" has no traceable producer` });
      continue;
    }
    const names = v.candidates.map((p) => `${describeProducer(p)}: ${shortfall(v.slot.kind, p)}`);
    if (v.unknown.length > 0) {
      findings.push({ rule, urn: consumer.urn, undecidable: true, producers: [], message: `${v.slot.label} of "${consumer.name}" comes from ${names.join("; ")}.` });
      continue;
    }
    violated.add(v.slot.kind);
    findings.push({
      rule, urn: consumer.urn, producers: v.candidates.map((p) => p.resource.urn),
      message: `${v.slot.setting ?? v.slot.label} of "${consumer.name}" comes from ${v.candidates.length === 1 ? "" : `one of the ${v.candidates.length} producers of its ${consumed.property} that can make it, and none is strong enough: `}${names.join("; ")}.`,
    });
  }

  // Each Fernet key needs its own 32-byte generator.
  const adequateFernet = fernetCapable.length;
  if (fernetSlots.length > adequateFernet && !violated.has("fernet")) {
    violated.add("fernet");
    const bytes = producers.filter((p) => p.kind === "bytes" && adequacy("fernet", p) === "inadequate");
    findings.push({
      rule: "fernet", urn: consumer.urn, producers: bytes.map((p) => p.resource.urn),
      message: `${fernetSlots.map((s) => s.setting).join(" and ")} of "${consumer.name}" need ${fernetSlots.length} distinct 32-byte keys, but only ${adequateFernet} 32-byte generator${adequateFernet === 1 ? "" : "s"} feed${adequateFernet === 1 ? "s" : ""} ${where}${bytes.length > 0 ? ` (${bytes.map((p) => `${describeProducer(p)}: ${shortfall("fernet", p)}`).join("; ")})` : ""}.`,
    });
  }

  // Every generator listed feeds some entry: one strong enough for none of the slots it could feed is weak wherever it is.
  const secretSlots = unknownSlots.filter((s) => ruleOf(s.kind) !== undefined);
  for (const producer of producers.filter(isGenerator)) {
    const exact = verdicts.filter((v) => v.slot.content !== undefined && v.candidates.includes(producer));
    const possible = exact.length > 0 ? exact.map((v) => v.slot) : secretSlots.filter((s) => adequacy(s.kind, producer) !== "incompatible" && (s.kind === "fernet" || !claimed.has(producer.resource.urn)));
    const fedSlots = possible.length > 0 ? possible : secretSlots;
    const states = fedSlots.map((s) => adequacy(s.kind, producer));
    if (fedSlots.length === 0 || states.includes("adequate") || states.includes("unknown")) continue;
    // Already explained by a slot it could be feeding whose verdict failed.
    if (fedSlots.some((s) => violated.has(s.kind))) continue;
    const loosest = fedSlots.find((s) => ruleOf(s.kind) === "password") ?? fedSlots[0]!;
    findings.push({
      rule: ruleOf(loosest.kind)!, urn: producer.resource.urn, producers: [producer.resource.urn],
      message: `${describeProducer(producer)} feeds ${where} (${fedSlots.map((s) => s.setting ?? s.label).join(", ")}) and is too weak for any of it: ${shortfall(loosest.kind, producer)}.`,
    });
  }
  return findings;
}

/** Findings over the whole stack, each producer blamed once per rule. */
export function secretFindings(consumed: readonly ConsumedProperty[]): SecretFinding[] {
  const seen = new Set<string>();
  return consumed.flatMap(judgeProperty).filter((f) => {
    const key = `${f.rule}|${f.producers.length > 0 ? f.producers.join(",") : f.urn + f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Producers whose output reaches `consumer` through any of its properties. */
export function producersReaching(consumed: readonly ConsumedProperty[], consumer: PolicyResource): Producer[] {
  return consumed.filter((c) => c.consumer.urn === consumer.urn).flatMap((c) => c.producers);
}

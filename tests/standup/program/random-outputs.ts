// Real outputs for @pulumi/random resources, computed the way terraform-provider-random does:
// each character class contributes its minimum, the rest is drawn from every enabled class, then
// the whole is shuffled. Inputs this module does not know fail the run with their names.
import { randomBytes, randomInt } from "node:crypto";
import { knownInputs, type Inputs } from "./inputs";

const CLASSES = {
  lower: "abcdefghijklmnopqrstuvwxyz",
  upper: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  numeric: "0123456789",
  /** The provider's default special set, replaced by overrideSpecial. */
  special: "!@#$%&*()-_=+[]{}<>:?",
} as const;
type CharClass = keyof typeof CLASSES;
const MIN_KEY: Record<CharClass, string> = { lower: "minLower", upper: "minUpper", numeric: "minNumeric", special: "minSpecial" };

const pick = (alphabet: string, count: number): string[] => Array.from({ length: count }, () => alphabet[randomInt(alphabet.length)]);

/** RandomPassword and RandomString: `result` honours length, classes, minimums and overrideSpecial. */
export function randomPasswordState(type: string, inputs: Inputs): Record<string, unknown> {
  const args = knownInputs(type, inputs, [
    "length", "special", "upper", "lower", "numeric", "minLower", "minUpper", "minNumeric", "minSpecial", "overrideSpecial", "keepers",
  ]);
  const length = Number(args.length);
  const enabled = (Object.keys(CLASSES) as CharClass[]).filter((c) => args[c] !== false);
  const alphabet = (c: CharClass): string => (c === "special" && typeof args.overrideSpecial === "string" ? args.overrideSpecial : CLASSES[c]);
  const chars: string[] = [];
  for (const c of enabled) chars.push(...pick(alphabet(c), Number(args[MIN_KEY[c]] ?? 0)));
  if (chars.length > length) throw new Error(`${type}: the class minimums (${chars.length}) exceed length ${length}`);
  chars.push(...pick(enabled.map(alphabet).join(""), length - chars.length));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return { ...inputs, special: args.special ?? true, upper: args.upper ?? true, lower: args.lower ?? true, numeric: args.numeric ?? true, result: chars.join("") };
}

/** RandomBytes: `length` bytes as base64 and hex. */
export function randomBytesState(type: string, inputs: Inputs): Record<string, unknown> {
  const args = knownInputs(type, inputs, ["length", "keepers"]);
  const bytes = randomBytes(Number(args.length));
  return { ...inputs, base64: bytes.toString("base64"), hex: bytes.toString("hex") };
}

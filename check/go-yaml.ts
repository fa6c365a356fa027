// Reads YAML as the Pulumi CLI does (gopkg.in/yaml.v3 3.0.1, decoding into `any`) and turns each
// config value into the text the CLI hands the program. YAML 1.2 parsers in JavaScript resolve plain
// scalars differently: yaml.v3 reads 0123 as octal 83, 08 as 8, 1_000 as 1000, and an unquoted date as
// a timestamp, which Pulumi passes on as Go's time.String() ("2027-06-30 00:00:00 +0000 UTC").
// Ported from yaml.v3 resolve.go `resolve` and Pulumi's sdk/go/common/resource/config/object.go
// (`unmarshalObject`, `MarshalString`); tests/check/fixtures/go-yaml/ holds the Go program and the
// values it measured, which tests/check/go-yaml.test.ts compares with this module.
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from "yaml";

/** A timestamp as yaml.v3 decodes it; Pulumi stores its Go String(). */
export class GoTime {
  constructor(readonly text: string) {}
}

/** What yaml.v3 decodes into `any`: ints stay exact (bigint), floats are numbers. */
export type GoValue = string | boolean | bigint | number | GoTime | null | GoValue[] | { [key: string]: GoValue };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

const fixed: Record<string, GoValue> = {
  true: true, True: true, TRUE: true,
  false: false, False: false, FALSE: false,
  "": null, "~": null, null: null, Null: null, NULL: null,
  ".nan": NaN, ".NaN": NaN, ".NAN": NaN,
  ".inf": Infinity, ".Inf": Infinity, ".INF": Infinity, "+.inf": Infinity, "+.Inf": Infinity, "+.INF": Infinity,
  "-.inf": -Infinity, "-.Inf": -Infinity, "-.INF": -Infinity,
};

/** Go's strconv.ParseInt/ParseUint with base 0 (0x, 0o, 0b prefixes; a leading 0 is octal). */
function parseGoInteger(text: string, signed: boolean): bigint | undefined {
  const match = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!match || (!signed && match[1] !== "")) return undefined;
  const body = match[2];
  const digits = /^0[0-7]+$/.test(body) ? `0o${body.slice(1)}` : body.replace(/^0([XOB])/, (_, p: string) => `0${p.toLowerCase()}`);
  const magnitude = BigInt(digits);
  const value = match[1] === "-" ? -magnitude : magnitude;
  if (signed) return value >= INT64_MIN && value <= INT64_MAX ? value : undefined;
  return value <= UINT64_MAX ? value : undefined;
}

const yamlStyleFloat = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** Go's strconv.ParseFloat for the decimal forms yaml.v3 hands it; undefined when out of range. */
function parseGoFloat(text: string): number | undefined {
  if (!/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** yaml.v3 parseTimestamp with its four layouts, rendered as Go's time.Time.String(). */
function parseGoTimestamp(text: string): GoTime | undefined {
  if (!/^\d{4}-/.test(text)) return undefined;
  const match =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?(Z|[+-]\d{2}:\d{2}))|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?))?$/.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const [hour, minute, second] = [match[4] ?? match[9] ?? "0", match[5] ?? match[10] ?? "0", match[6] ?? match[11] ?? "0"].map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return undefined;
  const fraction = (match[7] ?? match[12] ?? "").replace(/0+$/, "");
  const zone = match[8];
  const offset = !zone || zone === "Z" ? "+0000 UTC" : `${zone.replace(":", "")} ${zone.replace(":", "")}`;
  return new GoTime(`${pad(year, 4)}-${pad(month)}-${pad(day)} ${pad(hour)}:${pad(minute)}:${pad(second)}${fraction === "." ? "" : fraction} ${offset}`);
}

/** yaml.v3 resolve() for an untagged plain scalar. */
export function resolvePlainScalar(text: string): GoValue {
  if (Object.hasOwn(fixed, text)) return fixed[text];
  const first = text[0];
  if (first === ".") return parseGoFloat(text) ?? text;
  if (first !== "+" && first !== "-" && !/[0-9]/.test(first)) return text;
  const timestamp = parseGoTimestamp(text);
  if (timestamp) return timestamp;
  const plain = text.replace(/_/g, "");
  const integer = parseGoInteger(plain, true) ?? parseGoInteger(plain, false);
  if (integer !== undefined) return integer;
  if (yamlStyleFloat.test(plain)) return parseGoFloat(plain) ?? text;
  return text;
}

const STR_TAG = "tag:yaml.org,2002:str";

function toGoValue(node: Node | null | undefined, doc: Document): GoValue {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return toGoValue(node.resolve(doc) as Node | undefined, doc);
  if (isMap(node)) {
    const out: { [key: string]: GoValue } = {};
    for (const pair of node.items) {
      const key = toGoValue(pair.key as Node | null, doc);
      out[typeof key === "string" ? key : goText(key)] = toGoValue(pair.value as Node | null, doc);
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((item) => toGoValue(item as Node | null, doc));
  if (isScalar(node)) {
    const text = String(node.value ?? "");
    // Quoted and block scalars, and an explicit !!str, are strings as written.
    if (node.type !== "PLAIN" || node.tag === STR_TAG) return text;
    return resolvePlainScalar(text);
  }
  return null;
}

/** Parses YAML text into what yaml.v3 decodes; throws the parser's message on a syntax error. */
export function parseGoYaml(text: string): GoValue {
  const doc = parseDocument(text, { schema: "failsafe", uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) throw new Error(doc.errors[0].message);
  return toGoValue(doc.contents as Node | null, doc);
}

export const isGoMap = (value: GoValue): value is { [key: string]: GoValue } =>
  typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof GoTime);

/** Go's encoding/json for these values (sorted keys, as json.Marshal sorts map keys). */
export function goJson(value: GoValue): string {
  if (value === null) return "null";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`json: unsupported value: ${Number.isNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf"}`);
    return JSON.stringify(value);
  }
  if (typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
  if (value instanceof GoTime) return JSON.stringify(value.text);
  if (Array.isArray(value)) return `[${value.map(goJson).join(",")}]`;
  return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${goJson(value[k])}`).join(",")}}`;
}

/** A scalar as text: what Pulumi's MarshalString stores for a top-level value. */
export function goText(value: GoValue): string {
  if (value === null) return "";
  if (typeof value === "string") return value;
  if (value instanceof GoTime) return value.text;
  return goJson(value);
}

/** A config value as the CLI stores it (config.Value): its text, and whether it is secure or structured. */
export interface ConfigValueText {
  readonly value: string;
  readonly secure: boolean;
  readonly object: boolean;
}

/** `{secure: "<ciphertext>"}` alone: Pulumi's isSecureValue. */
export const secureCiphertext = (value: GoValue): string | undefined =>
  isGoMap(value) && Object.keys(value).length === 1 && typeof value.secure === "string" ? value.secure : undefined;

const containsSecure = (value: GoValue): boolean =>
  secureCiphertext(value) !== undefined ||
  (Array.isArray(value) ? value.some(containsSecure) : isGoMap(value) && Object.values(value).some(containsSecure));

/** Pulumi's MarshalString of a top-level value; throws Go's json error for NaN or infinity. */
export function configValueText(value: GoValue): ConfigValueText {
  const ciphertext = secureCiphertext(value);
  if (ciphertext !== undefined) return { value: ciphertext, secure: true, object: false };
  if (Array.isArray(value) || isGoMap(value)) return { value: goJson(value), secure: containsSecure(value), object: true };
  return { value: goText(value), secure: false, object: false };
}

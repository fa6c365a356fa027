// Turns zod's issues into problems a user can act on: the full key, what is wrong in words, and a
// fix that never sets the misspelt key (an unknown key gets the nearest valid one).
import type { z } from "zod";
import type { ConfigProblem } from "./errors";
import { PROJECT, stackConfigSchema } from "./schema";

type Path = readonly PropertyKey[];

const EXAMPLES: Record<string, string> = {
  environment: "production",
  domain: "shop.example.org",
  siteUrl: "https://shop.example.org",
  appImage: "registry.example.com/jewelry-shop:v1.4.2",
  dockerHost: "ssh://deploy@203.0.113.10",
  twilioPhoneNumber: '"+15551234567"',
  "hostSize.memoryMb": "32768",
  "b2.bucket": "jewelry-shop-backups-b2",
  "hostSize.cpus": "8",
};

/** "postgres.tenantTables[1].table" as `pulumi config set --path` spells it. */
export function pathText(path: Path): string {
  return path.reduce<string>((text, part) => (typeof part === "number" ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)), "");
}

export function setCommand(path: Path, example: string, secret = false): string {
  return `pulumi config set${secret ? " --secret" : ""}${path.length > 1 ? " --path" : ""} ${PROJECT}:${pathText(path)} ${example}`;
}

const rmCommand = (path: Path) => `pulumi config rm${path.length > 1 ? " --path" : ""} ${PROJECT}:${pathText(path)}`;

/** The schema without optional/default/transform wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = current.def as unknown as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    if ((def.type === "optional" || def.type === "default" || def.type === "nullable") && def.innerType) current = def.innerType;
    else if (def.type === "pipe" && def.in) current = def.in;
    else return current;
  }
}

/** The setting names valid at `path` (an object's keys, a record's enum keys). */
function keysAt(path: Path): string[] {
  let schema: z.ZodType | undefined = stackConfigSchema;
  for (const part of path) {
    if (!schema) return [];
    const def = unwrap(schema).def as unknown as { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; valueType?: z.ZodType };
    schema = def.type === "object" ? def.shape?.[String(part)] : def.type === "array" ? def.element : def.type === "record" ? def.valueType : undefined;
  }
  if (!schema) return [];
  const def = unwrap(schema).def as unknown as { type: string; shape?: Record<string, z.ZodType>; keyType?: z.ZodType };
  if (def.type === "object") return Object.keys(def.shape ?? {});
  if (def.type === "record" && def.keyType) {
    const keyDef = unwrap(def.keyType).def as unknown as { entries?: Record<string, string> };
    return Object.values(keyDef.entries ?? {});
  }
  return [];
}

/** Edit distance with transpositions (optimal string alignment), case-insensitive. */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[s.length][t.length];
}

/** The valid key closest to `key`, if it is close enough to be a typo (at most 2 edits, and under half the key). */
export function nearestKey(key: string, candidates: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const d = distance(key, candidate);
    if (!best || d < best.distance) best = { key: candidate, distance: d };
  }
  return best && best.distance <= Math.min(2, Math.floor(key.length / 2)) ? best.key : undefined;
}

function unknownKey(parent: Path, key: string, what: string): ConfigProblem {
  const path = [...parent, key];
  const valid = keysAt(parent);
  const suggestion = nearestKey(key, valid);
  const full = `${PROJECT}:${pathText(path)}`;
  if (suggestion) {
    const target = [...parent, suggestion];
    return {
      key: full,
      problem: `${what}; did you mean ${pathText(target)}?`,
      fix: `rename ${pathText(path)} to ${pathText(target)} in the stack file (or: ${rmCommand(path)}, then ${setCommand(target, "<value>")})`,
    };
  }
  return {
    key: full,
    problem: valid.length > 0 ? `${what} (valid here: ${valid.join(", ")})` : what,
    fix: `${rmCommand(path)}  (see the config reference in README.md)`,
  };
}

function valueAt(values: unknown, path: Path): unknown {
  let current = values;
  for (const part of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[part as string];
  }
  return current;
}

const describe = (value: unknown) => (typeof value === "number" ? `the number ${value}` : `${JSON.stringify(value)} (${typeof value})`);

/** One problem per zod issue; `values` is what was validated; `isSecret` tells a credential key. */
export function issueProblems(issue: z.core.$ZodIssue, values: unknown, isSecret: (topKey: string) => boolean): ConfigProblem[] {
  if (issue.code === "unrecognized_keys") return issue.keys.map((key) => unknownKey(issue.path, key, "is not a setting of this program"));
  if (issue.code === "invalid_key") {
    const key = String(issue.path[issue.path.length - 1]);
    return [unknownKey(issue.path.slice(0, -1), key, `is not one of the names allowed in ${pathText(issue.path.slice(0, -1))}`)];
  }
  const path = issue.path;
  const value = valueAt(values, path);
  const key = `${PROJECT}:${pathText(path)}`;
  const example = EXAMPLES[pathText(path)] ?? "<value>";
  const fix = (issue.code === "custom" && typeof issue.params?.fix === "string" ? issue.params.fix : undefined)
    ?? setCommand(path, example, isSecret(String(path[0])));
  if (value === undefined) {
    const fields = keysAt(path);
    const objectFix = `set each of its settings (${fields.join(", ")}): ${setCommand([...path, fields[0] ?? ""], EXAMPLES[pathText([...path, fields[0] ?? ""])] ?? "<value>")}, …`;
    return [{ key, problem: "is required but not set", fix: fields.length > 0 ? objectFix : fix }];
  }
  if (issue.code === "invalid_type" && issue.expected === "string" && (typeof value === "number" || typeof value === "boolean")) {
    return [{
      key,
      problem: `is ${describe(value)}, not text: YAML reads an unquoted ${String(value)} as a ${typeof value}`,
      fix: `quote the value in the stack file (${pathText(path.slice(-1))}: "…"), or: ${setCommand(path, '"<value>"', isSecret(String(path[0])))}`,
    }];
  }
  return [{ key, problem: issue.message, fix }];
}

// The shipped production stack's program run under Pulumi's mocks as in tests/program, except that
// the generated secrets (random passwords and bytes) have values, as after `pulumi up`. So a test
// can take the very credentials and files the program hands a container and use them against a
// real server. Everything else that is computed stays unknown, as in a preview.
import { randomBytes, randomInt } from "node:crypto";
import type { CapturedResource, ProgramRun } from "../../check/run-program";
import { runProgram } from "../../check/run-program";
import { readStackConfig } from "../../check/stack-config";
import { isSecretWrapper, isUnknown } from "../../check/property-values";
import type { JsonValue } from "../../check/json";
import { ROOT, byName, uploadsOf } from "./production-run";

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = LOWER.toUpperCase();
const DIGITS = "0123456789";
// @pulumi/random's default special characters.
const DEFAULT_SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

/** A RandomPassword result from the alphabet its inputs allow (its min* counts are not needed here). */
function password(inputs: Record<string, unknown>): string {
  const special = inputs.special === false ? "" : String(inputs.overrideSpecial ?? DEFAULT_SPECIAL);
  const alphabet = LOWER + UPPER + DIGITS + special;
  return Array.from({ length: Number(inputs.length) }, () => alphabet[randomInt(alphabet.length)]).join("");
}

function generatedOutputs(resource: { type: string; inputs: Record<string, unknown> }): Record<string, unknown> | undefined {
  switch (resource.type) {
    case "random:index/randomPassword:RandomPassword":
      return { result: password(resource.inputs) };
    case "random:index/randomBytes:RandomBytes": {
      const bytes = randomBytes(Number(resource.inputs.length));
      return { base64: bytes.toString("base64"), hex: bytes.toString("hex") };
    }
    default:
      return undefined;
  }
}

let run: Promise<ProgramRun> | undefined;
/** The production program with its generated secrets known (one run per test file). */
export function productionRunWithSecrets(): Promise<ProgramRun> {
  // The runner require()s index.ts as the language host does; vitest transforms only its own imports.
  (require("tsx/cjs/api") as { register(): void }).register();
  run ??= runProgram({ stackConfig: readStackConfig(ROOT, "production"), outputs: generatedOutputs });
  return run;
}

/** A known property value with secret markers removed; fails on an unknown one. */
export function revealed(value: JsonValue | undefined, what: string): JsonValue {
  if (value === undefined || isUnknown(value)) throw new Error(`${what} is not known`);
  if (isSecretWrapper(value)) return revealed(value.value, what);
  if (Array.isArray(value)) return value.map((v, i) => revealed(v, `${what}[${i}]`));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealed(v, `${what}.${k}`)]));
  }
  return value;
}

export function revealedString(value: JsonValue | undefined, what: string): string {
  const plain = revealed(value, what);
  if (typeof plain !== "string") throw new Error(`${what} is not a string`);
  return plain;
}

const isKnown = (value: JsonValue | undefined): boolean =>
  value !== undefined && !isUnknown(value) && !(isSecretWrapper(value) && isUnknown(value.value));

/** What a container receives: its env entries and the text of each uploaded file, as deployed. */
export interface ContainerInputs {
  /** Env entries by name; entries not known yet (computed by another resource) are absent. */
  readonly env: ReadonlyMap<string, string>;
  /** Uploaded file path -> content; files whose content is not known yet are absent. */
  readonly files: ReadonlyMap<string, string>;
}

export function containerInputs(program: ProgramRun, name: string): ContainerInputs {
  const container: CapturedResource = byName(program, name);
  const env = new Map<string, string>();
  for (const entry of (container.object.envs ?? []) as JsonValue[]) {
    if (!isKnown(entry)) continue;
    const text = revealedString(entry, `${name} env entry`);
    const at = text.indexOf("=");
    env.set(text.slice(0, at), text.slice(at + 1));
  }
  const files = new Map<string, string>();
  for (const upload of uploadsOf(container)) {
    if (!isKnown(upload.content)) continue;
    files.set(upload.file, revealedString(upload.content, `${name} ${upload.file}`));
  }
  return { env, files };
}

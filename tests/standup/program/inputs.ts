// Reading resource inputs in the mocks and the stand-up: every input must be one the reader knows,
// so a new input the stand-up cannot honour fails loudly instead of being dropped.

import { isJsonObject, type JsonObject, type JsonValue } from "../../../check/json";
import { isSecretWrapper } from "../../../check/property-values";

export type Inputs = Readonly<Record<string, unknown>>;

/** The inputs, after checking that each set one is in `known`; fails naming the others. */
export function knownInputs(what: string, inputs: Inputs, known: readonly string[]): Inputs {
  const unknown = Object.keys(inputs).filter((key) => inputs[key] !== undefined && !known.includes(key));
  if (unknown.length > 0) throw new Error(`${what}: the stand-up cannot apply the input(s) ${unknown.join(", ")}`);
  return inputs;
}

/** A property value with the SDK's secret markers removed (the stand-up needs the values themselves). */
export function plain(value: JsonValue | undefined): JsonValue | undefined {
  if (value === undefined) return undefined;
  if (isSecretWrapper(value)) return plain(value.value);
  if (Array.isArray(value)) return value.map((v) => plain(v) as JsonValue);
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      const p = plain(v);
      if (p !== undefined) out[k] = p;
    }
    return out;
  }
  return value;
}

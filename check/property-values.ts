// The wire forms the engine uses inside resource properties (see @pulumi/pulumi/runtime/rpc).
import { isJsonObject, type JsonObject, type JsonValue } from "./json";

export const specialSigKey = "4dabf18193072939515e22adb298388d";
export const secretSig = "1b47061264138c4ac30d75fd1eb44270";
export const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface SecretWrapper {
  readonly [specialSigKey]: typeof secretSig;
  readonly value: JsonValue;
}

export const isSecretWrapper = (value: JsonValue | undefined): value is JsonObject & SecretWrapper =>
  isJsonObject(value) && value[specialSigKey] === secretSig;

export const isUnknown = (value: JsonValue | undefined) => value === unknownValue;

export const wrapSecret = (value: JsonValue): JsonObject => ({ [specialSigKey]: secretSig, value });

/** The engine drops keys beginning with "__" before it hands properties to an analyzer. */
export function withoutInternalKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(withoutInternalKeys);
  if (!isJsonObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !key.startsWith("__"))
      .map(([key, v]) => [key, withoutInternalKeys(v)]),
  );
}

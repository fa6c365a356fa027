// Values the engine has not computed yet, as a dynamic provider receives them. During a preview the
// engine hands Check and Diff every unknown input as one of these sentinel strings
// (sdk/go/common/resource/plugin/rpc.go; a Node program's unknowns always arrive as the string one),
// whatever the property's type, so a provider must test for them before it reads a value's shape.
// Imported by the serialized providers and captured by value: keep it free of imports.

export const ENGINE_UNKNOWN_VALUES: readonly string[] = [
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string (and everything a Node program leaves unknown)
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // bool
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
  "030794c1-ac77-496b-92df-f27374a8bd58", // asset
  "e48ece36-62e2-4504-bad9-02848725956a", // archive
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
];

export function isUnknown(value: unknown): boolean {
  return typeof value === "string" && ENGINE_UNKNOWN_VALUES.includes(value);
}

/** True when the value or anything inside it is unknown. */
export function containsUnknown(value: unknown): boolean {
  if (isUnknown(value)) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  return typeof value === "object" && value !== null && Object.values(value).some(containsUnknown);
}

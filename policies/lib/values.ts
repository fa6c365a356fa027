// Narrowing of property values, which arrive as plain JSON behind the unknown-checking proxy.
// A missing optional input reads as undefined: callers apply the provider's default explicitly.

export type PropRecord = Readonly<Record<string, unknown>>;

export const asString = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

export const asNumber = (value: unknown): number | undefined => {
  if (typeof value === "number") return value;
  // Some inputs are strings in the docker schema (cpus "0.5").
  if (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))) return Number(value);
  return undefined;
};

export const asBoolean = (value: unknown): boolean | undefined => (typeof value === "boolean" ? value : undefined);

export const asArray = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);

export const asRecord = (value: unknown): PropRecord | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as PropRecord) : undefined;

/** The logical name of a URN (its last "::" segment). */
export const urnName = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);

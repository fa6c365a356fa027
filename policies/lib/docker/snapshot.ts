// A container's inputs read ONCE into plain data, with each value unknown at preview kept as an
// UnknownInput marker: models are then built from plain data (no exceptions while building) and a
// rule rethrows a marker's error only when it needs that value. The snapshot's text keys the model
// cache (a resource's Analyze call and AnalyzeStack deserialize it separately, so object identity cannot).
import type { UnknownValueError } from "@pulumi/policy";
import { isUnknownSentinel, proxyTarget, unknownValueError, type PathLink } from "../props-view";
import { isUnknownValueError } from "../unknowns";
import { asArray } from "../values";

/** A value the preview cannot know; `error` is what the pack's proxy raises reading it. */
export class UnknownInput {
  #error: UnknownValueError | undefined;
  /** `raise` makes the error when a rule first asks for it: most unknowns never decide anything. */
  constructor(private readonly raise: () => UnknownValueError) {}
  get error(): UnknownValueError {
    return (this.#error ??= this.raise());
  }
}

export type Snapshot = null | undefined | boolean | number | string | UnknownInput | readonly Snapshot[] | { readonly [key: string]: Snapshot };
export type SnapshotRecord = { readonly [key: string]: Snapshot };

/** Reads through a proxy or view (a plain object in a unit test). */
function read(get: () => unknown): Snapshot {
  let value: unknown;
  try {
    value = get();
  } catch (err) {
    if (isUnknownValueError(err)) return new UnknownInput(() => err);
    throw err;
  }
  if (value === null || value === undefined || typeof value === "boolean" || typeof value === "number" || typeof value === "string") return value;
  if (Array.isArray(value)) {
    const array = value as unknown[];
    return Array.from({ length: array.length }, (_, i) => read(() => array[i]));
  }
  if (typeof value === "object") {
    const object = value as Record<string, unknown>;
    return Object.fromEntries(Object.keys(object).map((key) => [key, read(() => object[key])]));
  }
  return undefined;
}

/**
 * The same copy made from the deserialized properties under the pack's proxy, without going through
 * it: an unknown sentinel becomes the UnknownInput whose error is the one the proxy would throw there.
 */
function copy(value: unknown, path: PathLink | undefined): Snapshot {
  if (isUnknownSentinel(value)) return new UnknownInput(() => unknownValueError(value, path));
  if (value === null || value === undefined || typeof value === "boolean" || typeof value === "number" || typeof value === "string") return value;
  if (Array.isArray(value)) {
    const array = value as unknown[];
    return Array.from({ length: array.length }, (_, i) => copy(array[i], { parent: path, key: String(i) }));
  }
  if (typeof value === "object") {
    const object = value as Record<string, unknown>;
    return Object.fromEntries(Object.keys(object).map((key) => [key, copy(object[key], { parent: path, key })]));
  }
  return undefined;
}

// The pack's server hands every policy the same deserialized properties (lib/shared-properties.ts),
// which no rule changes: their snapshot, and a snapshot's text, are made once.
const snapshots = new WeakMap<object, SnapshotRecord>();
const texts = new WeakMap<object, string>();

const asRecord = (value: Snapshot): SnapshotRecord =>
  typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof UnknownInput) ? (value as SnapshotRecord) : {};

/** Plain copy of resource properties as the pack's proxy reads them. */
export const snapshotOf = (props: unknown): SnapshotRecord => {
  const target = proxyTarget(props);
  if (target === undefined) return asRecord(read(() => props));
  let snapshot = snapshots.get(target);
  if (snapshot === undefined) snapshots.set(target, (snapshot = asRecord(copy(target, undefined))));
  return snapshot;
};

const textOf = (value: Snapshot): string => JSON.stringify(value, (_key, v: unknown) => (v instanceof UnknownInput ? "\u0000unknown" : v));

/** Stable text of a snapshot (unknowns included), to key caches. */
export const snapshotText = (value: Snapshot): string => {
  if (typeof value !== "object" || value === null) return textOf(value);
  let text = texts.get(value);
  if (text === undefined) texts.set(value, (text = textOf(value)));
  return text;
};

export const isUnknownInput = (value: unknown): value is UnknownInput => value instanceof UnknownInput;

// Narrowing (lib/values.ts); an unknown reads as undefined there, callers that care test isUnknownInput first.
export { asString as str, asNumber as num, asBoolean as bool } from "../values";
export const list = (value: Snapshot): readonly Snapshot[] => asArray(value) as readonly Snapshot[];
export const rec = (value: unknown): SnapshotRecord | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof UnknownInput) ? (value as SnapshotRecord) : undefined;

/** Known strings of a list input, and its unknown elements (an unknown list counts as one). */
export function stringsOf(value: Snapshot): { values: string[]; unknown: UnknownInput[] } {
  if (value instanceof UnknownInput) return { values: [], unknown: [value] };
  const values: string[] = [];
  const unknown: UnknownInput[] = [];
  for (const element of list(value)) {
    if (element instanceof UnknownInput) unknown.push(element);
    else if (typeof element === "string") values.push(element);
  }
  return { values, unknown };
}

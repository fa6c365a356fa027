// Reading values that may be unknown at preview. The pack hands policies properties behind a proxy
// that throws UnknownValueError on reading an unknown; the pack then reports "can't run policy …
// during preview" at ADVISORY level. That is right when the unknown decides the outcome, and wrong
// when it does not: these helpers let a rule skip what cannot matter, and say why at each use.
import { UnknownValueError, type PolicyResource } from "@pulumi/policy";

export const isUnknownValueError = (err: unknown): err is UnknownValueError => err instanceof UnknownValueError;

export interface KnownElements<T> {
  /** The elements readable now, in order. */
  readonly known: T[];
  /** One error per unknown element; rethrow one when the unknowns could change the verdict. */
  readonly unknown: UnknownValueError[];
}

/**
 * Splits an array into its known elements and its unknown ones (e.g. a container's env list where
 * the secret entries are unknown at preview). Only use it where a rule's verdict cannot depend on
 * an unknown element, or where the caller rethrows `unknown[0]` when it could.
 */
export function knownElements<T>(array: readonly T[] | undefined): KnownElements<T> {
  const known: T[] = [];
  const unknown: UnknownValueError[] = [];
  for (let i = 0; i < (array?.length ?? 0); i++) {
    try {
      known.push((array as readonly T[])[i]);
    } catch (err) {
      if (!isUnknownValueError(err)) throw err;
      unknown.push(err);
    }
  }
  return { known, unknown };
}

export type Readout<T> = { readonly known: true; readonly value: T } | { readonly known: false; readonly error: UnknownValueError };

/** Runs `read`; an unknown value read on the way comes back as `{ known: false }` instead of a throw. */
export function readKnown<T>(read: () => T): Readout<T> {
  try {
    return { known: true, value: read() };
  } catch (err) {
    if (!isUnknownValueError(err)) throw err;
    return { known: false, error: err };
  }
}

/** Marks a value that is not known before deployment. */
export const UNKNOWN = Symbol("unknown");
export type Maybe<T> = T | typeof UNKNOWN;

/** Runs `read`, turning an unknown value into UNKNOWN; every other error propagates. */
export function known<T>(read: () => T): Maybe<T> {
  const readout = readKnown(read);
  return readout.known ? readout.value : UNKNOWN;
}

/**
 * Elements of an array input read by `read`: the known ones and how many are unknown. A missing
 * array is empty; an array unknown as a whole counts as one unknown element.
 */
export function readKnownElements<T>(read: () => readonly T[] | undefined): { values: T[]; unknown: number } {
  const array = known(read);
  if (array === UNKNOWN) return { values: [], unknown: 1 };
  if (!Array.isArray(array)) return { values: [], unknown: 0 };
  const split = knownElements<T>(array);
  return { values: split.known, unknown: split.unknown.length };
}

/** The engine's sentinel for an unknown string; UnknownValueError names the value's kind from it. */
const UNKNOWN_STRING_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A value a rule needs was unknown: thrown so the pack reports the policy as undecidable at preview. */
export function undecidable(what: string): never {
  throw new UnknownValueError(UNKNOWN_STRING_SENTINEL, what.split("."));
}

/** A string property or "" if missing; throws (undecidable) if unknown. */
export function stringProp(resource: PolicyResource, read: (props: Record<string, unknown>) => unknown): string {
  const value = known(() => read(resource.props));
  if (value === UNKNOWN) undecidable(`${resource.name} property`);
  return typeof value === "string" ? value : "";
}

// Reading values that may be unknown at preview. The pack hands policies properties behind a proxy
// that throws UnknownValueError on reading an unknown; the pack then reports "can't run policy …
// during preview" at ADVISORY level. That is right when the unknown decides the outcome, and wrong
// when it does not: these helpers let a rule skip what cannot matter, and say why at each use.
import { UnknownValueError } from "@pulumi/policy";

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

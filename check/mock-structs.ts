// Under the SDK's mocks every resource's properties cross the mock monitor as protobuf Structs, with
// no wire between them: the SDK builds a Struct of the inputs (`Struct.fromJavaScript`), the mock
// monitor and the check read it back (`toJavaScript`, twice), the monitor builds one of the state and
// the SDK reads that back. jspb makes a message of every value on the way (a Value, a map and its
// entries, a Struct or ListValue, their wrappers) and walks them again on every read: some 4% of the
// program's run, more with the garbage. Here, while the program runs, a Struct of plain JSON-like
// data is built straight into jspb's array form (the state jspb gives a message it is handed as an
// array, the very state policies/lib/wire-struct.ts reads a Struct's bytes into), and read back from
// it directly while it is as built (no map taken from it). Every other jspb API reads such a Struct as
// it reads its own; anything that is not plain (a class instance, an exotic array, undefined, a
// function, a "__proto__" key) is left to jspb, errors included.
// tests/check/mock-structs.test.ts compares both on every Struct of the production stack's run and on
// edge values.
import { byKey, readArrayFormsDirectly, type StructArray, type StructPrototype, type ValueArray } from "../policies/lib/wire-struct";
import { fromSdk } from "./sdk";

interface StructClass {
  new (data?: unknown[]): StructPrototype;
  prototype: StructPrototype;
  fromJavaScript(value: Record<string, unknown>): StructPrototype;
}

/** Thrown inside the builder for a value it leaves to jspb; never escapes. */
const NOT_PLAIN: unique symbol = Symbol("left to jspb");

function valueArray(value: unknown): ValueArray {
  const array: ValueArray = [];
  switch (typeof value) {
    case "string":
      array[2] = value;
      return array;
    case "number":
      array[1] = value;
      return array;
    case "boolean":
      array[3] = value;
      return array;
    case "object": {
      if (value === null) {
        array[0] = 0; // NullValue.NULL_VALUE
        return array;
      }
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype === Object.prototype) {
        array[4] = structArray(value as Record<string, unknown>);
        return array;
      }
      if (prototype === Array.prototype && Array.isArray(value)) {
        const values: ValueArray[] = new Array(value.length);
        // As ListValue.fromJavaScript reads it: by index, a hole being undefined (which jspb refuses).
        for (let i = 0; i < value.length; i++) values[i] = valueArray(value[i]);
        array[5] = [values];
        return array;
      }
      throw NOT_PLAIN;
    }
    default:
      throw NOT_PLAIN;
  }
}

/** The entries in key order, as jspb's map iterates them (lib/wire-struct.ts reads them in that order). */
function structArray(object: Record<string, unknown>): StructArray {
  const entries: Array<[string, ValueArray]> = [];
  let sorted = true;
  // for...in, as Struct.fromJavaScript reads an object: inherited enumerable keys too.
  for (const key in object) {
    // jspb's map keeps its entries in a plain object, where "__proto__" is no key.
    if (key === "__proto__") throw NOT_PLAIN;
    if (entries.length > 0 && !(entries[entries.length - 1][0] < key)) sorted = false;
    entries.push([key, valueArray(object[key])]);
  }
  if (!sorted) entries.sort(byKey);
  return [entries];
}

/** Each Struct built here, with the array it was given (until a map is taken from it). */
const asBuilt = new WeakMap<object, StructArray>();
let installed = false;

/** Whether this Struct was built here and is still read from its array form (for the tests). */
export const builtDirectly = (struct: object): boolean => asBuilt.has(struct);

/**
 * Makes the SDK's Structs (its google-protobuf, which its mocks and requests use) build and read
 * plain data directly; returns the function that puts jspb's own conversions back.
 */
export function convertMockStructsDirectly(): () => void {
  const { Struct } = fromSdk<{ Struct: StructClass }>("google-protobuf/google/protobuf/struct_pb");
  const { fromJavaScript } = Struct;
  // A nested install (a program run inside another) would restore the outer one's functions as jspb's.
  if (installed) return () => undefined;
  installed = true;

  Struct.fromJavaScript = function (this: unknown, value: Record<string, unknown>): StructPrototype {
    let array: StructArray;
    try {
      if (typeof value !== "object" || value === null || Object.getPrototypeOf(value) !== Object.prototype) throw NOT_PLAIN;
      array = structArray(value);
    } catch (err) {
      if (err !== NOT_PLAIN) throw err;
      return fromJavaScript.call(this, value);
    }
    const struct = new Struct(array);
    asBuilt.set(struct, array);
    return struct;
  };
  const restoreReads = readArrayFormsDirectly(Struct.prototype, asBuilt);
  return () => {
    installed = false;
    Object.assign(Struct, { fromJavaScript });
    restoreReads();
  };
}

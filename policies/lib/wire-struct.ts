// A google.protobuf.Struct read from its wire bytes straight into jspb's own array form (the `array` of
// a message, which jspb wraps in Struct, Value and ListValue objects only when they are read), and that
// form turned into the JavaScript value `Struct.toJavaScript()` returns. jspb decodes every Value into
// a message of its own (its map, entries and wrappers) and then walks them again: on the pack's requests
// that was a quarter of its analysis. Only what every writer writes (the engine's Go, jspb, the check)
// is read here; anything else (an unknown or repeated field, a key twice, "__proto__", bytes that are
// not UTF-8, a Value with no kind) is left to jspb, which reads it its own way: `readStruct` throws
// NOT_READ and the caller decodes the whole request with jspb.
import { isUtf8 } from "node:buffer";

/** Thrown by readStruct for bytes it leaves to jspb (never escapes lib/request-decoding.ts). */
export const NOT_READ: unique symbol = Symbol("left to jspb");

/** jspb's array form: a Struct is [entries], an entry [key, Value], a Value has its kind at field - 1, a ListValue is [Values]. */
export type StructArray = [Array<[string, ValueArray]>];
export type ValueArray = unknown[];

let bytes: Uint8Array;
let text: Buffer;
let at = 0;

/** A length or tag: at most 5 bytes, below 2^31 (a message of the engine's never comes near). */
function length(end: number): number {
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (at >= end) throw NOT_READ;
    const byte = bytes[at++];
    value |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      if (value < 0) throw NOT_READ;
      return value;
    }
  }
  throw NOT_READ;
}

/** Where a length-delimited field that starts here ends (its length read), within `end`. */
function delimitedEnd(end: number): number {
  const size = length(end);
  const stop = at + size;
  if (stop > end) throw NOT_READ;
  return stop;
}

function string(end: number): string {
  const stop = delimitedEnd(end);
  const start = at;
  at = stop;
  for (let i = start; i < stop; i++) {
    if (bytes[i] >= 0x80) {
      // jspb decodes any UTF-8 alike; it reads broken bytes its own way.
      if (!isUtf8(bytes.subarray(start, stop))) throw NOT_READ;
      return text.toString("utf8", start, stop);
    }
  }
  return text.toString("latin1", start, stop);
}

function readValue(end: number): ValueArray {
  if (at >= end) throw NOT_READ; // no kind: jspb's toJavaScript throws
  const value: ValueArray = [];
  switch (bytes[at++]) {
    case 0x08: // null_value, the enum's only value
      if (at >= end || bytes[at++] !== 0) throw NOT_READ;
      value[0] = 0;
      break;
    case 0x11: // number_value, a little-endian double
      if (at + 8 > end) throw NOT_READ;
      value[1] = text.readDoubleLE(at);
      at += 8;
      break;
    case 0x1a:
      value[2] = string(end);
      break;
    case 0x20: {
      const flag = at < end ? bytes[at++] : -1;
      if (flag !== 0 && flag !== 1) throw NOT_READ;
      value[3] = flag === 1;
      break;
    }
    case 0x2a:
      value[4] = readStructAt(delimitedEnd(end));
      break;
    case 0x32:
      value[5] = [readListAt(delimitedEnd(end))];
      break;
    default:
      throw NOT_READ;
  }
  // A second kind, or any other field: jspb keeps the last kind it reads.
  if (at !== end) throw NOT_READ;
  return value;
}

function readListAt(end: number): ValueArray[] {
  const values: ValueArray[] = [];
  while (at < end) {
    if (bytes[at++] !== 0x0a) throw NOT_READ;
    values.push(readValue(delimitedEnd(end)));
  }
  return values;
}

/** The entries in key order (jspb's map iterates its keys sorted), each key once. */
function readStructAt(end: number): StructArray {
  const entries: Array<[string, ValueArray]> = [];
  let sorted = true;
  while (at < end) {
    if (bytes[at++] !== 0x0a) throw NOT_READ;
    const stop = delimitedEnd(end);
    // An entry is its key, then its value, each once.
    if (at >= stop || bytes[at++] !== 0x0a) throw NOT_READ;
    const key = string(stop);
    if (at >= stop || bytes[at++] !== 0x12) throw NOT_READ;
    const valueEnd = delimitedEnd(stop);
    if (valueEnd !== stop) throw NOT_READ;
    // jspb's map keeps its entries in a plain object, where "__proto__" is no key.
    if (key === "__proto__") throw NOT_READ;
    const previous = entries.length > 0 ? entries[entries.length - 1][0] : undefined;
    if (previous !== undefined && !(previous < key)) {
      if (previous === key) throw NOT_READ;
      sorted = false;
    }
    entries.push([key, readValue(valueEnd)]);
  }
  if (!sorted) {
    entries.sort(byKey);
    for (let i = 1; i < entries.length; i++) if (entries[i - 1][0] === entries[i][0]) throw NOT_READ;
  }
  return [entries];
}

/** The Struct whose bytes are buffer[start, end), in jspb's array form; throws NOT_READ for what it leaves to jspb. */
export function readStruct(buffer: Uint8Array, start: number, end: number): StructArray {
  bytes = buffer;
  text = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  at = start;
  try {
    const struct = readStructAt(end);
    if (at !== end) throw NOT_READ;
    return struct;
  } finally {
    bytes = text = undefined as never;
  }
}

function valueToJavaScript(value: ValueArray): unknown {
  if (value[0] !== undefined) return null;
  if (value[1] !== undefined) return value[1];
  if (value[2] !== undefined) return value[2];
  if (value[3] !== undefined) return value[3];
  if (value[4] !== undefined) return structToJavaScript(value[4] as StructArray);
  const [values] = value[5] as [ValueArray[]];
  const list: unknown[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) list[i] = valueToJavaScript(values[i]);
  return list;
}

/** jspb's map order (its keys sorted as strings), which a Struct's array form keeps its entries in. */
export const byKey = (a: readonly [string, unknown], b: readonly [string, unknown]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** What jspb's `Struct.toJavaScript()` returns for a Struct of this array form (its entries in key order, byKey). */
export function structToJavaScript([entries]: StructArray): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) object[key] = valueToJavaScript(value);
  return object;
}

/** The methods of jspb's Struct that read its fields or may change them. */
export interface StructPrototype {
  toJavaScript(): Record<string, unknown>;
  toArray(): unknown[];
  getFieldsMap(noLazyCreate?: boolean): unknown;
  clearFieldsMap(): unknown;
}

/**
 * Makes each Struct in `forms` answer `toJavaScript()` from its array form (structToJavaScript) while
 * that array is still its own and no map was taken from it: a map may change the Struct, and from
 * then on jspb reads it. Returns the function that puts jspb's methods back.
 */
export function readArrayFormsDirectly(prototype: StructPrototype, forms: WeakMap<object, StructArray>): () => void {
  const { toJavaScript, getFieldsMap, clearFieldsMap } = prototype;
  prototype.toJavaScript = function (this: StructPrototype) {
    const array = forms.get(this);
    return array !== undefined && this.toArray() === array ? structToJavaScript(array) : toJavaScript.call(this);
  };
  prototype.getFieldsMap = function (this: StructPrototype, noLazyCreate?: boolean) {
    forms.delete(this);
    return getFieldsMap.call(this, noLazyCreate);
  };
  prototype.clearFieldsMap = function (this: StructPrototype) {
    forms.delete(this);
    return clearFieldsMap.call(this);
  };
  return () => void Object.assign(prototype, { toJavaScript, getFieldsMap, clearFieldsMap });
}

// An AnalyzeRequest's bytes written straight from the resource, byte for byte what the SDK's
// protobuf classes write (analyzeRequest(r).serializeBinary()), without their object tree: for every
// property value jspb builds a Value, a Struct or a ListValue and a map wrapper, all garbage once
// serialized, on the check's main thread while the program runs (~0.1 s and much of the garbage
// collection at 10x). Two passes over the resource: the sizes of its nested messages (pre-order),
// then the bytes. Anything jspb would treat otherwise than a JSON value (undefined, a function, a
// class instance, a hole in an array, a lone surrogate in a string) is left to jspb, which then gives
// its own bytes or its own error. tests/check/analyzer-requests.test.ts compares the two on every
// resource of every stack the tests judge and on edge values.
import type { AnalyzerProvider, AnalyzerResource, AnalyzerResourceOptions } from "./analyzer-client";

type ResourceHead = Pick<AnalyzerProvider, "type" | "properties" | "urn" | "name">;

/** Not a JSON value as this writer writes it: the caller falls back to jspb. */
class NotPlainJson extends Error {}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const varintSize = (n: number): number => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);

/** A length-delimited field's size: its tag (fields 1–15: one byte), length and content. */
const delimitedSize = (contentSize: number): number => 1 + varintSize(contentSize) + contentSize;

function utf8Size(text: string): number {
  if (LONE_SURROGATE.test(text)) throw new NotPlainJson();
  return Buffer.byteLength(text, "utf8");
}

/** Struct.fromJavaScript's keys (for…in), in the order jspb's map writes them (sorted). */
function keysOf(object: object): string[] {
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) throw new NotPlainJson();
  const keys: string[] = [];
  for (const key in object) keys.push(key);
  return keys.sort();
}

class RequestWriter {
  /** The content size of each nested message, in the order the write pass meets them. */
  private readonly sizes: number[] = [];
  private next = 0;
  private bytes: Buffer = Buffer.alloc(0);
  private at = 0;

  // ---- the measuring pass ----

  private measureStruct(object: object): number {
    const slot = this.sizes.push(0) - 1;
    let size = 0;
    for (const key of keysOf(object)) {
      // A map entry: key (field 1) and value (field 2, a Value message); its size comes before the value's.
      const entrySlot = this.sizes.push(0) - 1;
      const entry = delimitedSize(utf8Size(key)) + delimitedSize(this.measureValue((object as Record<string, unknown>)[key]));
      this.sizes[entrySlot] = entry;
      size += delimitedSize(entry);
    }
    this.sizes[slot] = size;
    return size;
  }

  private measureValue(value: unknown): number {
    const slot = this.sizes.push(0) - 1;
    let size: number;
    if (value === null) size = 2;
    else if (typeof value === "string") size = delimitedSize(utf8Size(value));
    else if (typeof value === "number") size = 9;
    else if (typeof value === "boolean") size = 2;
    else if (Array.isArray(value)) size = delimitedSize(this.measureList(value));
    else if (typeof value === "object") size = delimitedSize(this.measureStruct(value));
    else throw new NotPlainJson();
    this.sizes[slot] = size;
    return size;
  }

  private measureList(list: readonly unknown[]): number {
    const slot = this.sizes.push(0) - 1;
    let size = 0;
    for (let i = 0; i < list.length; i++) {
      if (!(i in list)) throw new NotPlainJson();
      size += delimitedSize(this.measureValue(list[i]));
    }
    this.sizes[slot] = size;
    return size;
  }

  // ---- the writing pass ----

  private byte(value: number): void {
    this.bytes[this.at++] = value;
  }

  private varint(value: number): void {
    for (; value > 0x7f; value >>>= 7) this.byte((value & 0x7f) | 0x80);
    this.byte(value);
  }

  /** A double as jspb writes it (splitFloat64): IEEE 754, but every NaN as 0x7fffffffffffffff. */
  private double(value: number): void {
    if (Number.isNaN(value)) {
      this.bytes.writeUInt32LE(0xffffffff, this.at);
      this.bytes.writeUInt32LE(0x7fffffff, this.at + 4);
      this.at += 8;
    } else this.at = this.bytes.writeDoubleLE(value, this.at);
  }

  private tag(field: number, wireType: number): void {
    this.byte((field << 3) | wireType);
  }

  private string(field: number, text: string): void {
    this.tag(field, 2);
    this.varint(Buffer.byteLength(text, "utf8"));
    this.at += this.bytes.write(text, this.at, "utf8");
  }

  private delimited(field: number): void {
    this.tag(field, 2);
    this.varint(this.sizes[this.next++]!);
  }

  private writeStruct(object: object): void {
    this.next++; // the struct's own size, written by whoever holds it
    for (const key of keysOf(object)) {
      this.tag(1, 2);
      this.varint(this.sizes[this.next++]!);
      this.string(1, key);
      this.delimited(2);
      this.writeValueContent((object as Record<string, unknown>)[key]);
    }
  }

  /** A Value's fields (its own size was written by the caller). */
  private writeValueContent(value: unknown): void {
    if (value === null) {
      this.tag(1, 0);
      this.byte(0);
    } else if (typeof value === "string") this.string(3, value);
    else if (typeof value === "number") {
      this.tag(2, 1);
      this.double(value);
    } else if (typeof value === "boolean") {
      this.tag(4, 0);
      this.byte(value ? 1 : 0);
    } else if (Array.isArray(value)) {
      this.tag(6, 2);
      this.varint(this.sizes[this.next]!);
      this.next++;
      for (const item of value) {
        this.delimited(1);
        this.writeValueContent(item);
      }
    } else {
      this.tag(5, 2);
      this.varint(this.sizes[this.next]!);
      this.writeStruct(value as object);
    }
  }

  /** A Struct as a message field: tag, size, content. */
  private structField(field: number, object: object): void {
    this.tag(field, 2);
    this.varint(this.sizes[this.next]!);
    this.writeStruct(object);
  }

  // ---- the request ----

  encode(r: AnalyzerResource): Uint8Array {
    // Measure (in the order the bytes are written): the request's fields 1–4, the options, the provider's.
    const headSize = this.measureHead(r);
    const options = optionsSizes(r.options);
    const providerSize = r.provider ? this.measureHead(r.provider) : 0;
    const total = headSize + delimitedSize(options.size) + (r.provider ? delimitedSize(providerSize) : 0);

    this.bytes = Buffer.allocUnsafe(total);
    this.at = 0;
    this.next = 0;
    this.writeHead(r);
    this.tag(5, 2);
    this.varint(options.size);
    this.writeOptions(r.options, options.timeoutsSize);
    if (r.provider) {
      this.tag(6, 2);
      this.varint(providerSize);
      this.writeHead(r.provider);
    }
    if (this.at !== total) throw new Error(`AnalyzeRequest of ${r.urn}: wrote ${this.at} of ${total} bytes`);
    return this.bytes;
  }

  /** Fields 1–4 as an AnalyzeRequest and an AnalyzerProviderResource both number them: type, properties, urn, name. */
  private measureHead(h: ResourceHead): number {
    return nonEmptyStringSize(h.type) + delimitedSize(this.measureStruct(h.properties)) + nonEmptyStringSize(h.urn) + nonEmptyStringSize(h.name);
  }

  private writeHead(h: ResourceHead): void {
    if (h.type.length > 0) this.string(1, h.type);
    this.structField(2, h.properties);
    if (h.urn.length > 0) this.string(3, h.urn);
    if (h.name.length > 0) this.string(4, h.name);
  }

  private writeOptions(o: AnalyzerResourceOptions, timeoutsSize: number): void {
    if (o.protect) {
      this.tag(1, 0);
      this.byte(1);
    }
    for (const key of o.ignoreChanges) this.string(2, key);
    if (o.deleteBeforeReplace !== undefined) {
      if (o.deleteBeforeReplace) {
        this.tag(3, 0);
        this.byte(1);
      }
      this.tag(4, 0);
      this.byte(1);
    }
    for (const output of o.additionalSecretOutputs) this.string(5, output);
    for (const alias of o.aliases) this.string(6, alias);
    this.tag(7, 2);
    this.varint(timeoutsSize);
    const { create, update, delete: remove } = o.customTimeouts;
    [create, update, remove].forEach((seconds, i) => {
      if (seconds !== 0) {
        this.tag(i + 1, 1);
        this.double(seconds);
      }
    });
    if (o.parent) this.string(8, o.parent);
  }
}

const nonEmptyStringSize = (text: string): number => (text.length > 0 ? delimitedSize(utf8Size(text)) : 0);

/** AnalyzerResourceOptions' content size, and that of its CustomTimeouts, as jspb writes them (proto3: defaults omitted). */
function optionsSizes(o: AnalyzerResourceOptions): { size: number; timeoutsSize: number } {
  const timeoutsSize = [o.customTimeouts.create, o.customTimeouts.update, o.customTimeouts.delete].filter((t) => t !== 0).length * 9;
  const strings = (list: readonly string[]) => list.reduce((sum, text) => sum + delimitedSize(utf8Size(text)), 0);
  const size = (o.protect ? 2 : 0) + strings(o.ignoreChanges) + (o.deleteBeforeReplace ? 2 : 0) + (o.deleteBeforeReplace !== undefined ? 2 : 0) +
    strings(o.additionalSecretOutputs) + strings(o.aliases) + delimitedSize(timeoutsSize) + (o.parent ? delimitedSize(utf8Size(o.parent)) : 0);
  return { size, timeoutsSize };
}

/**
 * The AnalyzeRequest of `resource`, serialized as jspb serializes it, or undefined when its values
 * are not plain JSON (the caller asks jspb then).
 */
export function analyzeRequestBytes(resource: AnalyzerResource): Uint8Array | undefined {
  try {
    return new RequestWriter().encode(resource);
  } catch (err) {
    if (err instanceof NotPlainJson) return undefined;
    throw err;
  }
}

// How the Struct tests read a jspb Struct, to compare two of them as text: what its consumers can read
// of it (check/mock-structs.ts and the pack's request decoding against jspb's own).
import type * as structPb from "google-protobuf/google/protobuf/struct_pb";

/** A value as text that keeps its key order, -0, NaN and the infinities apart. */
export const exact = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0)) ? `\u0000${Object.is(v, -0) ? "-0" : String(v)}` : v));

/** What a consumer can read of a Struct: its value (or toJavaScript's failure), its object form and its bytes. */
export function readable(struct: structPb.Struct | undefined): string {
  if (struct === undefined) return "none";
  let value: string;
  try {
    value = exact(struct.toJavaScript());
  } catch (err) {
    value = `throws ${(err as Error).message}`;
  }
  return `${value} | ${exact(struct.toObject())} | ${Buffer.from(struct.serializeBinary()).toString("hex")}`;
}

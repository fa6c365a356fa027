// @pulumi/policy's server gets each Analyze and AnalyzeStack request decoded by jspb (the service
// definition's requestDeserialize, which grpc-js calls). jspb makes a message of every value in a
// resource's properties (a Value, its map entry, a Struct or ListValue, their wrappers), then the
// server's toJavaScript walks them all again, once per request: on the check's production stack that
// was a quarter of the pack's analysis, more than most rules. Here the decoder is wrapped: jspb still
// decodes the request and its own fields, but each Struct in it (a resource's properties, its
// provider's) is read by lib/wire-struct.ts straight into jspb's array form, the state jspb gives a
// message it is handed as an array, and wraps in Value and ListValue objects only when they are read.
// So every jspb API reads such a Struct as jspb's own decode would; its toJavaScript, while the Struct
// is as decoded (no map taken from it, its array not replaced), turns that array form into the same
// value directly. A request whose bytes lib/wire-struct.ts leaves to jspb is decoded by jspb alone,
// as before (tests/check/request-decoding.test.ts compares both on every Analyze request of the
// production stack, on edge values and on malformed bytes). Each Struct's end is where jspb's reader
// has set it (structEnd), so its bytes are read once.
import * as path from "node:path";
import { readArrayFormsDirectly, readStruct, type StructArray, type StructPrototype } from "./wire-struct";

export interface BinaryReader {
  getBuffer(): Uint8Array;
  getCursor(): number;
  nextField(): boolean;
  isEndGroup(): boolean;
  skipField(): void;
}

interface StructClass {
  prototype: StructPrototype;
  deserializeBinaryFromReader(struct: StructPrototype, reader: BinaryReader): StructPrototype;
}

interface Jspb {
  Message: { initialize(message: object, data: unknown[], messageId: number, pivot: number, repeatedFields: null, oneofFields: null): void };
}

interface MethodDefinition {
  requestDeserialize(buffer: Buffer): unknown;
}

/** Each Struct read here, with the array it was given (until a map is taken from it). */
const asRead = new WeakMap<object, StructArray>();
let installed = false;

/** The modules @pulumi/policy's server decodes its requests with (its own @pulumi/pulumi, that one's google-protobuf). */
function serverModules(): { service: Record<string, MethodDefinition>; Struct: StructClass; jspb: Jspb } {
  const policyDir = path.dirname(require.resolve("@pulumi/policy/package.json"));
  const grpcFile = require.resolve("@pulumi/pulumi/proto/analyzer_grpc_pb", { paths: [policyDir] });
  const paths = [path.dirname(grpcFile)];
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { AnalyzerService } = require(grpcFile) as { AnalyzerService: Record<string, MethodDefinition> };
  const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths })) as { Struct: StructClass };
  const jspb = require(require.resolve("google-protobuf", { paths })) as Jspb;
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { service: AnalyzerService, Struct, jspb };
}

/** jspb's decoder under a reader: the one object among the reader's (minified) fields with the decoder's exported methods. */
interface BinaryDecoder {
  getEnd(): number;
  getCursor(): number;
}
const isDecoder = (value: unknown): value is BinaryDecoder =>
  typeof value === "object" && value !== null && typeof (value as BinaryDecoder).getEnd === "function" && typeof (value as BinaryDecoder).getCursor === "function";
let decoderField: string | undefined;

/**
 * Where the Struct the reader stands at the start of ends. jspb reads a message field by setting its
 * decoder's end to the field's end before it hands the reader over (and its cursor there after), so
 * that end is the Struct's; a reader laid out otherwise is walked field by field to the end, as before.
 */
export function structEnd(reader: BinaryReader): number {
  decoderField ??= Object.keys(reader).find((key) => isDecoder((reader as unknown as Record<string, unknown>)[key])) ?? "";
  const decoder = (reader as unknown as Record<string, unknown>)[decoderField];
  if (isDecoder(decoder) && decoder.getCursor() === reader.getCursor()) return decoder.getEnd();
  while (reader.nextField()) {
    if (reader.isEndGroup()) throw new Error("a group inside a Struct");
    reader.skipField();
  }
  return reader.getCursor();
}

/** Makes the pack's server read the Structs of its Analyze and AnalyzeStack requests directly (call before the pack serves). */
export function decodeRequestStructsDirectly(): void {
  if (installed) return;
  installed = true;
  const { service, Struct, jspb } = serverModules();

  readArrayFormsDirectly(Struct.prototype, asRead);

  // Called by the request's generated decoder for each Struct field, the reader at the Struct's first byte.
  const readDirectly = (struct: StructPrototype, reader: BinaryReader): StructPrototype => {
    const start = reader.getCursor();
    const array = readStruct(reader.getBuffer(), start, structEnd(reader));
    jspb.Message.initialize(struct, array, 0, -1, null, null);
    asRead.set(struct, array);
    return struct;
  };

  for (const method of ["analyze", "analyzeStack"]) {
    const definition = service[method];
    const decode = definition.requestDeserialize;
    definition.requestDeserialize = (buffer: Buffer): unknown => {
      const jspbReads = Struct.deserializeBinaryFromReader;
      Struct.deserializeBinaryFromReader = readDirectly;
      try {
        return decode(buffer);
      } catch {
        // Bytes left to jspb (lib/wire-struct.ts): below, jspb decodes it all, or fails as it would have.
      } finally {
        Struct.deserializeBinaryFromReader = jspbReads;
      }
      return decode(buffer);
    };
  }
}

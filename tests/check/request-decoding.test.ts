// The pack reads the Structs of its Analyze and AnalyzeStack requests straight from their bytes
// (policies/lib/request-decoding.ts, lib/wire-struct.ts): every request must come out as jspb decodes
// it, the same properties in the same key order, the same message for every other jspb API, and bytes
// the direct reader leaves to jspb decoded by jspb, failures included.
import type * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import type * as structPb from "google-protobuf/google/protobuf/struct_pb";
import { beforeAll, describe, expect, it } from "vitest";
import { AnalysisInputBuilder } from "../../check/analysis-input";
import { analyzeRequest, analyzeStackRequest, type AnalyzerResource } from "../../check/analyzer-client";
import type { JsonObject } from "../../check/json";
import { unknownValue, wrapSecret } from "../../check/property-values";
import { fromSdk } from "../../check/sdk";
import { readStackConfig } from "../../check/stack-config";
import { decodeRequestStructsDirectly, structEnd, type BinaryReader } from "../../policies/lib/request-decoding";
import { NOT_READ, readStruct } from "../../policies/lib/wire-struct";
import { productionRun, ROOT } from "../program/production-run";
import { exact, readable } from "./struct-reading";

interface MethodDefinition {
  requestDeserialize(buffer: Buffer): analyzerPb.AnalyzeRequest & analyzerPb.AnalyzeStackRequest;
}
const { AnalyzerService } = fromSdk<{ AnalyzerService: Record<"analyze" | "analyzeStack", MethodDefinition> }>("@pulumi/pulumi/proto/analyzer_grpc_pb");
const { Struct, Value } = fromSdk<typeof structPb>("google-protobuf/google/protobuf/struct_pb");

// jspb's own decoders, kept before the pack's are installed.
const jspbAnalyze = AnalyzerService.analyze.requestDeserialize;
const jspbAnalyzeStack = AnalyzerService.analyzeStack.requestDeserialize;
decodeRequestStructsDirectly();
const packAnalyze = AnalyzerService.analyze.requestDeserialize;
const packAnalyzeStack = AnalyzerService.analyzeStack.requestDeserialize;

/** What a consumer can read of a decoded Analyze request, or the decoder's failure. */
function analyzeRequestAsRead(decode: MethodDefinition["requestDeserialize"], bytes: Uint8Array): string {
  let request: analyzerPb.AnalyzeRequest;
  try {
    request = decode(Buffer.from(bytes));
  } catch (err) {
    return `decoding throws ${String(err)}`;
  }
  return [
    readable(request.getProperties()),
    readable(request.getProvider()?.getProperties()),
    Buffer.from(request.serializeBinary()).toString("hex"),
    exact(request.toObject()),
  ].join("\n");
}

const expectAnalyzeAlike = (bytes: Uint8Array) => expect(analyzeRequestAsRead(packAnalyze, bytes)).toBe(analyzeRequestAsRead(jspbAnalyze, bytes));

/** Whether lib/wire-struct.ts reads these bytes of a Struct itself (else it leaves them to jspb). */
function readDirectly(bytes: Uint8Array): boolean {
  try {
    readStruct(bytes, 0, bytes.length);
    return true;
  } catch (err) {
    if (err === NOT_READ) return false;
    throw err;
  }
}

const options: AnalyzerResource["options"] = {
  protect: false, ignoreChanges: [], additionalSecretOutputs: [], aliases: [], customTimeouts: { create: 0, update: 0, delete: 0 },
};
const resource = (properties: JsonObject): AnalyzerResource => ({
  type: "docker:index/container:Container",
  name: "web",
  urn: "urn:pulumi:production::jewelry-shop::docker:index/container:Container::web",
  properties,
  options,
  provider: { type: "pulumi:providers:docker", name: "default", urn: "urn:pulumi:production::jewelry-shop::pulumi:providers:docker::default", properties: { version: "3.6.1" } },
  dependencies: [],
  propertyDependencies: { image: ["urn:pulumi:production::jewelry-shop::docker:index/remoteImage:RemoteImage::web"] },
});

describe("the pack's decoding of its requests", () => {
  // The program's run (a minute and more on a loaded machine with a cold compile) is the tests' setup.
  let run: Awaited<ReturnType<typeof productionRun>>;
  beforeAll(async () => {
    run = await productionRun();
  });

  it("reads every Analyze request of the production stack itself, as jspb reads it", () => {
    const builder = new AnalysisInputBuilder(readStackConfig(ROOT, "production"));
    const requests = run.resources.flatMap((r) => builder.add(r));
    expect(requests.length).toBeGreaterThan(100);
    for (const r of requests) {
      const request = analyzeRequest(r);
      expect(readDirectly(request.getProperties()!.serializeBinary()), r.urn).toBe(true);
      expectAnalyzeAlike(request.serializeBinary());
    }
  });

  it("reads the production stack's AnalyzeStack request as jspb reads it, resource by resource", () => {
    const input = new AnalysisInputBuilder(readStackConfig(ROOT, "production")).input(run);
    const bytes = Buffer.from(analyzeStackRequest(input.stackResources).serializeBinary());
    const ours = packAnalyzeStack(bytes).getResourcesList();
    const theirs = jspbAnalyzeStack(bytes).getResourcesList();
    expect(ours.length).toBe(theirs.length);
    ours.forEach((r, i) => {
      expect(readable(r.getProperties())).toBe(readable(theirs[i].getProperties()));
      expect(readable(r.getProvider()?.getProperties())).toBe(readable(theirs[i].getProvider()?.getProperties()));
    });
  });

  it("reads edge values as jspb reads them: numbers, strings, keys in any order, nesting, secrets and unknowns", () => {
    const cases: JsonObject[] = [
      { numbers: [0, -0, 1, -1, 0.1, NaN, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE, 2 ** 53 + 2, -1e21, 1e-310], nothing: null, yes: true, no: false, empty: "", list: [], object: {} },
      { "ß": "straße", "💍": "ring 💍", z: 1, a: 2, B: 3, "10": 4, "9": 5, "": "empty key", constructor: "c", hasOwnProperty: "h", bom: "\ufeffstarts with a BOM" },
      { deep: { a: [{ b: [[], [null, [1, { c: "d" }]]] }] }, secret: wrapSecret({ inner: ["x"] }), image: unknownValue },
      { small: "x".repeat(127), medium: "é".repeat(128), large: "x".repeat(16_384), mixed: `${"a".repeat(100)}€${"b".repeat(100)}` },
    ];
    for (const properties of cases) {
      const request = analyzeRequest(resource(properties));
      expect(readDirectly(request.getProperties()!.serializeBinary())).toBe(true);
      expectAnalyzeAlike(request.serializeBinary());
    }
  });

  it("puts keys the wire gives out of order in jspb's order", () => {
    // A Struct's entries as another writer might order them: "b", then "a", then "10".
    const entry = (key: string, value: structPb.Value) => {
      const struct = new Struct();
      struct.getFieldsMap().set(key, value);
      return struct.serializeBinary();
    };
    const struct = Buffer.concat([entry("b", Value.fromJavaScript(1)), entry("a", Value.fromJavaScript("x")), entry("10", Value.fromJavaScript([true]))]);
    const request = requestWithProperties(struct);
    expect(readDirectly(struct)).toBe(true);
    expectAnalyzeAlike(request);
    expect(Object.keys(packAnalyze(Buffer.from(request)).getProperties()!.toJavaScript())).toEqual(["10", "a", "b"]);
  });

  it("leaves to jspb, which decodes them its own way, bytes no writer of the engine's makes", () => {
    const key = (name: string) => field(1, 2, Buffer.from(name, "utf8"));
    const entryOf = (k: Buffer, value: Buffer) => field(1, 2, Buffer.concat([k, field(2, 2, value)]));
    const number = Buffer.from("110000000000000840", "hex"); // 3
    const text = (bytes: number[]) => field(3, 2, Buffer.from(bytes));
    const odd: Array<[string, Buffer]> = [
      ["a key twice", Buffer.concat([entryOf(key("a"), number), entryOf(key("a"), text([0x78]))])],
      ["a Value with two kinds", entryOf(key("a"), Buffer.concat([number, text([0x78])]))],
      ["a Value with no kind", entryOf(key("a"), Buffer.alloc(0))],
      ["an unknown field in a Value", entryOf(key("a"), Buffer.concat([number, Buffer.from("3801", "hex")]))],
      ["an unknown field in the Struct", Buffer.concat([entryOf(key("a"), number), Buffer.from("1001", "hex")])],
      ["an unknown field in an entry", field(1, 2, Buffer.concat([key("a"), field(2, 2, number), Buffer.from("1801", "hex")]))],
      ["an entry's value before its key", field(1, 2, Buffer.concat([field(2, 2, number), key("a")]))],
      ["an entry without a value", field(1, 2, key("a"))],
      ["the key __proto__", entryOf(key("__proto__"), number)],
      ["a lone continuation byte", entryOf(key("a"), text([0x61, 0x80]))],
      ["an overlong encoding", entryOf(key("a"), text([0xc0, 0xaf]))],
      ["a surrogate encoded in UTF-8", entryOf(key("a"), text([0xed, 0xa0, 0x80]))],
      ["a sequence cut short", entryOf(key("a"), text([0xe2, 0x82]))],
      ["a key that is no UTF-8", entryOf(field(1, 2, Buffer.from([0xff])), number)],
      ["a bool of 2", entryOf(key("a"), Buffer.from("2002", "hex"))],
      ["a null_value of 1", entryOf(key("a"), Buffer.from("0801", "hex"))],
      ["an unknown field in a list", entryOf(key("a"), field(6, 2, Buffer.concat([field(1, 2, number), Buffer.from("1001", "hex")])))],
    ];
    for (const [what, struct] of odd) {
      expect(readDirectly(struct), what).toBe(false);
      expectAnalyzeAlike(requestWithProperties(struct));
    }
  });

  it("fails on a malformed request as jspb fails", () => {
    const cut = analyzeRequest(resource({ image: "nginx" })).serializeBinary().slice(0, -3);
    expect(analyzeRequestAsRead(jspbAnalyze, cut)).toMatch(/^decoding throws/);
    expectAnalyzeAlike(cut);
  });

  it("hands a Struct to jspb once a map is taken from it, which may change it", () => {
    const bytes = Buffer.from(analyzeRequest(resource({ image: "nginx", ports: [80] })).serializeBinary());
    const ours = packAnalyze(bytes).getProperties()!;
    const theirs = jspbAnalyze(bytes).getProperties()!;
    for (const struct of [ours, theirs]) struct.getFieldsMap().set("added", Value.fromJavaScript({ by: "a reader" }));
    expect(readable(ours)).toBe(readable(theirs));
    expect(ours.toJavaScript()).toEqual({ added: { by: "a reader" }, image: "nginx", ports: [80] });
    for (const struct of [ours, theirs]) struct.clearFieldsMap();
    expect(readable(ours)).toBe(readable(theirs));
  });

  it("gives a new value on every toJavaScript, as jspb does", () => {
    const struct = packAnalyze(Buffer.from(analyzeRequest(resource({ env: ["A=1"] })).serializeBinary())).getProperties()!;
    const first = struct.toJavaScript();
    (first.env as string[]).push("changed by a reader");
    expect(struct.toJavaScript()).toEqual({ env: ["A=1"] });
  });

  it("finds a Struct's end where jspb's reader has set it, without walking its fields; a reader laid out otherwise is walked", () => {
    const jspb = fromSdk<{ BinaryReader: new (bytes: Uint8Array) => BinaryReader & { getFieldNumber(): number; readMessage(message: object, read: (m: object, r: BinaryReader) => void): void } }>("google-protobuf");
    const request = new (fromSdk<typeof analyzerPb>("@pulumi/pulumi/proto/analyzer_pb").AnalyzeRequest)();
    request.setType("jewel:index:Tray");
    request.setProperties(Struct.fromJavaScript({ rings: [1, 2, { carats: 3 }], name: "tray" }));
    request.setUrn("urn:pulumi:production::jewelry-shop::jewel:index:Tray::tray");
    const bytes = request.serializeBinary();
    const structBytes = request.getProperties()!.serializeBinary().length;

    const reader = new jspb.BinaryReader(bytes);
    const seen: { start: number; end: number; walkedEnd: number }[] = [];
    while (reader.nextField()) {
      if (reader.getFieldNumber() !== 2) {
        reader.skipField();
        continue;
      }
      reader.readMessage({}, (_message, inner) => {
        const start = inner.getCursor();
        const nextField = inner.nextField;
        let walked = 0;
        inner.nextField = function (this: BinaryReader) {
          walked++;
          return nextField.call(this);
        };
        const end = structEnd(inner);
        inner.nextField = nextField;
        expect(walked).toBe(0);
        // The walk, for comparison: a reader laid out otherwise (no decoder among its fields) is walked.
        const walkedEnd = structEnd({ getBuffer: () => inner.getBuffer(), getCursor: () => inner.getCursor(), nextField: () => inner.nextField(), isEndGroup: () => inner.isEndGroup(), skipField: () => inner.skipField() });
        seen.push({ start, end, walkedEnd });
      });
    }
    expect(seen).toHaveLength(1);
    expect(seen[0].end - seen[0].start).toBe(structBytes);
    expect(seen[0].walkedEnd).toBe(seen[0].end);
  });
});

/** A protobuf field: its tag, then its bytes with their length (wire type 2). */
function field(number: number, wireType: 2, bytes: Buffer): Buffer {
  const length: number[] = [];
  let n = bytes.length;
  do {
    length.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return Buffer.concat([Buffer.from([(number << 3) | wireType, ...length]), bytes]);
}

/** An Analyze request of a container whose properties are these Struct bytes (the last of the field wins). */
function requestWithProperties(struct: Buffer): Uint8Array {
  const rest = Buffer.from(analyzeRequest(resource({})).serializeBinary());
  return Buffer.concat([rest, field(2, 2, struct)]);
}

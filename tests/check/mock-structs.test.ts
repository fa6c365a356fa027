// While the program runs, the SDK's Structs of plain data are built straight into jspb's array form and
// read back from it (check/mock-structs.ts): every Struct must read as jspb's own would, through every
// jspb API, and whatever is not plain data must be left to jspb, failures included.
import type * as structPb from "google-protobuf/google/protobuf/struct_pb";
import { afterEach, describe, expect, it } from "vitest";
import { builtDirectly, convertMockStructsDirectly } from "../../check/mock-structs";
import { fromSdk } from "../../check/sdk";
import { productionRun } from "../program/production-run";
import { exact, readable } from "./struct-reading";

type Plain = Record<string, unknown>;
const { Struct, Value } = fromSdk<typeof structPb>("google-protobuf/google/protobuf/struct_pb");
// jspb's own, kept before anything is installed.
const jspbFromJavaScript = Struct.fromJavaScript;
const jspbToJavaScript = Struct.prototype.toJavaScript;

/** jspb's Struct of a value, read by jspb alone (nothing installed), or jspb's failure. */
function asJspbReads(value: Plain): string {
  expect(Struct.fromJavaScript).toBe(jspbFromJavaScript);
  try {
    return readable(jspbFromJavaScript(value as never));
  } catch (err) {
    return `throws ${(err as Error).message}`;
  }
}

let uninstall = (): void => undefined;
afterEach(() => uninstall());

/** Installs the direct conversions until uninstall() or the test's end. */
function install(): void {
  const restore = convertMockStructsDirectly();
  uninstall = () => {
    restore();
    uninstall = () => undefined;
  };
}

/** The Struct built with the direct conversions installed, read through them, or the failure. */
function asBuiltReads(value: Plain): { read: string; direct: boolean } {
  install();
  try {
    const struct = Struct.fromJavaScript(value as never);
    // builtDirectly first: jspb's other APIs take a map from the Struct, which hands it back to jspb.
    const direct = builtDirectly(struct);
    return { read: readable(struct), direct };
  } catch (err) {
    return { read: `throws ${(err as Error).message}`, direct: false };
  } finally {
    uninstall();
  }
}

const plainValues: Record<string, Plain> = {
  scalars: { b: 1, a: "x", c: null, d: true, e: false, n: -0, nan: NaN, inf: Infinity, ninf: -Infinity, s: "", big: 2 ** 53 + 2, tiny: 5e-324 },
  "keys in no order, integer-like and unicode keys": { "10": 1, "2": 2, a: 3, B: 4, "é": 5, "😀": 6, "": 7, " ": 8 },
  "nested objects and lists": { a: { b: { c: [1, [2, { d: [] }], {}] } }, list: [], l2: [null, "s", 1, true, { x: 1 }] },
  strings: { lone: "\ud800", emoji: "💎", nul: "a\u0000b", long: "x".repeat(70_000) },
  "an array with a property of its own": { a: Object.assign([1, 2], { extra: 3 }) },
  "a getter": {
    get g() {
      return { h: 1 };
    },
  },
  empty: {},
};

class Jewel {
  carats = 2;
}
class Tray extends Array<number> {}
const exoticValues: Record<string, Plain> = {
  "a Date": { d: new Date(0) },
  "a Uint8Array": { u: new Uint8Array([1, 2]) },
  "an object without a prototype": { o: Object.assign(Object.create(null) as Plain, { k: 1 }) },
  "a class instance": { c: new Jewel() },
  "an Array subclass": { t: Tray.from([1, 2]) },
  'a "__proto__" key': JSON.parse('{"__proto__": {"x": 1}, "a": 2}') as Plain,
  "plain data beside a class instance": { plain: { a: [1, { b: 2 }] }, c: new Jewel() },
};
const refusedValues: Record<string, Plain> = {
  undefined: { u: undefined },
  "a function": { f: () => 1 },
  "a symbol": { s: Symbol("s") },
  "a bigint": { b: 1n },
  "a hole": { h: [1, , 3] }, // eslint-disable-line no-sparse-arrays
  "undefined deep in a list": { deep: { x: [undefined] } },
};

describe("Structs of the program's run built directly (check/mock-structs.ts)", () => {
  it("builds plain data directly and every jspb API reads it as jspb's own Struct", () => {
    for (const [name, value] of Object.entries(plainValues)) {
      const built = asBuiltReads(value);
      expect({ name, ...built }).toEqual({ name, read: asJspbReads(value), direct: true });
    }
  });

  it("leaves what is not plain data to jspb, with jspb's result", () => {
    for (const [name, value] of Object.entries(exoticValues)) {
      const built = asBuiltReads(value);
      expect({ name, ...built }).toEqual({ name, read: asJspbReads(value), direct: false });
    }
  });

  it("fails as jspb fails on what a Struct cannot hold", () => {
    for (const [name, value] of Object.entries(refusedValues)) {
      expect(asJspbReads(value)).toBe("throws Unexpected struct type.");
      expect({ name, ...asBuiltReads(value) }).toEqual({ name, read: "throws Unexpected struct type.", direct: false });
    }
  });

  it("copies the value, and once a map is taken from a Struct jspb reads its changes", () => {
    install();
    const value: Plain = { a: { b: [1] } };
    const struct = Struct.fromJavaScript(value as never);
    (value.a as Plain).b = "changed";
    value.c = 3;
    expect(struct.toJavaScript()).toEqual({ a: { b: [1] } });
    struct.getFieldsMap().set("z", Value.fromJavaScript("new"));
    expect(builtDirectly(struct)).toBe(false);
    expect(struct.toJavaScript()).toEqual({ a: { b: [1] }, z: "new" });
  });

  it("puts jspb's conversions back when the run ends", () => {
    install();
    uninstall();
    expect(Struct.fromJavaScript).toBe(jspbFromJavaScript);
    expect(Struct.prototype.toJavaScript).toBe(jspbToJavaScript);
    expect(builtDirectly(Struct.fromJavaScript({ a: 1 }))).toBe(false);
  });

  it("builds every Struct of the production stack's run directly, each read as jspb reads its own", { timeout: 120_000 }, async () => {
    // Every Struct.fromJavaScript the run makes, seen through an accessor that wraps whatever the run
    // installs; jspb's own Struct of the same value is made on the spot, with jspb's conversions alone.
    const records: { struct: structPb.Struct; direct: boolean; readAtOnce: string; expectedValue: string; expected: string }[] = [];
    let jspbAlone = false;
    const wrap = (convert: typeof jspbFromJavaScript) => (value: Plain) => {
      const struct = convert(value as never);
      if (jspbAlone || convert === jspbFromJavaScript) return struct;
      jspbAlone = true;
      let expectedValue: string;
      let expected: string;
      try {
        const jspbStruct = jspbFromJavaScript(value as never);
        expectedValue = exact(jspbStruct.toJavaScript());
        expected = readable(jspbStruct);
      } finally {
        jspbAlone = false;
      }
      records.push({ struct, direct: builtDirectly(struct), readAtOnce: exact(struct.toJavaScript()), expectedValue, expected });
      return struct;
    };
    let current = wrap(jspbFromJavaScript);
    Object.defineProperty(Struct, "fromJavaScript", {
      configurable: true,
      get: () => (jspbAlone ? jspbFromJavaScript : current),
      set: (convert: typeof jspbFromJavaScript) => void (current = wrap(convert)),
    });
    try {
      await productionRun();
    } finally {
      Object.defineProperty(Struct, "fromJavaScript", { configurable: true, writable: true, value: jspbFromJavaScript });
    }
    // Two per resource at least: its inputs, built by the SDK, and its state, built by the mock monitor.
    expect(records.length).toBeGreaterThan(300);
    expect(records.filter((r) => !r.direct)).toEqual([]);
    for (const { struct, readAtOnce, expectedValue, expected } of records) {
      expect(readAtOnce).toBe(expectedValue);
      // After the run, with jspb's conversions back: jspb's other APIs on the array form.
      expect(readable(struct)).toBe(expected);
    }
  });
});

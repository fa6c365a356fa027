// The pack's rules read resource properties through lib/props-view.ts instead of @pulumi/policy's
// unknown-checking proxy, and snapshots copy the deserialized properties directly: both must read
// exactly what the pack's proxy reads, and raise the very same UnknownValueError where it raises one.
import { unknownCheckingProxy, UnknownValueError } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { isUnknownInput, snapshotOf, type Snapshot } from "../../policies/lib/docker/snapshot";
import { propsView, proxyTarget } from "../../policies/lib/props-view";

// The engine's seven unknown sentinels (pulumi/sdk/go/common/resource/plugin: UnknownStringValue, ...).
const SENTINELS = {
  string: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
  boolean: "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  number: "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  array: "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  asset: "030794c1-ac77-496b-92df-f27374a8bd58",
  archive: "e48ece36-62e2-4504-bad9-02848725956a",
  object: "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
};

/** Deserialized properties as the pack's server builds them: fresh plain data with sentinels where values are unknown. */
const stackProps = () => ({
  image: "nginx:1.27",
  name: SENTINELS.string,
  privileged: SENTINELS.boolean,
  memory: SENTINELS.number,
  envs: ["A=1", SENTINELS.string, "B=2"],
  ports: [{ internal: 80, external: SENTINELS.number }],
  uploads: SENTINELS.array,
  labels: { tier: "web", nested: { deep: [SENTINELS.object, { x: SENTINELS.asset }] } },
  archive: SENTINELS.archive,
  count: 0,
  empty: null,
});

/** Everything a rule can do with a value, as data: each leaf read, or the error the read raised. */
function readAll(value: unknown, path: string[] = []): unknown {
  if (!(value instanceof Object)) return value;
  const out: Record<string, unknown> = { isArray: Array.isArray(value), keys: Object.keys(value) };
  for (const key of Object.keys(value)) {
    try {
      out[key] = readAll((value as Record<string, unknown>)[key], [...path, key]);
    } catch (err) {
      expect(err).toBeInstanceOf(UnknownValueError);
      const e = err as UnknownValueError;
      out[key] = { threw: e.message, props: e.props, sentinel: e.unknownTypeSentinel };
    }
  }
  return out;
}

describe("the props view", () => {
  it("checks the sentinels @pulumi/policy's proxy checks", () => {
    // The list above is the engine's: the pack's proxy must recognise each, or this test names the wrong ones.
    for (const [kind, sentinel] of Object.entries(SENTINELS)) {
      expect(() => unknownCheckingProxy({ v: sentinel }).v, kind).toThrow(UnknownValueError);
    }
  });

  it("reads every value, unknown and known, exactly as the pack's proxy does", () => {
    const view = propsView(unknownCheckingProxy(stackProps()));
    expect(readAll(view)).toEqual(readAll(unknownCheckingProxy(stackProps())));
  });

  it("raises the proxy's error: same class, message, path and sentinel", () => {
    type Deep = { labels: { nested: { deep: [unknown, { x: string }] } } };
    const viewed = () => (propsView(unknownCheckingProxy(stackProps())) as unknown as Deep).labels.nested.deep[1].x;
    const proxied = () => (unknownCheckingProxy(stackProps()) as unknown as Deep).labels.nested.deep[1].x;
    const caught = (read: () => unknown) => {
      try {
        read();
      } catch (err) {
        return err as UnknownValueError;
      }
      throw new Error("no error");
    };
    const [fromView, fromProxy] = [caught(viewed), caught(proxied)];
    expect(fromView).toBeInstanceOf(UnknownValueError);
    expect({ message: fromView.message, props: fromView.props, sentinel: fromView.unknownTypeSentinel })
      .toEqual({ message: fromProxy.message, props: fromProxy.props, sentinel: fromProxy.unknownTypeSentinel });
    expect(fromView.message).toBe("asset value at .labels.nested.deep.1.x can't be known during preview");
  });

  it("supports what rules do with arrays: iteration, map, filter, spread, length", () => {
    const view = propsView(unknownCheckingProxy({ list: ["a", "b", "c"] })) as { list: string[] };
    expect([...view.list]).toEqual(["a", "b", "c"]);
    expect(view.list.map((s) => s.toUpperCase())).toEqual(["A", "B", "C"]);
    expect(view.list.filter((s) => s !== "b")).toEqual(["a", "c"]);
    expect(view.list.length).toBe(3);
    expect(Array.isArray(view.list)).toBe(true);
  });

  it("hands every policy the same view of the same deserialized value, whose errors still name the full path", () => {
    type Deep = { labels: { nested: { deep: [unknown, { x: string }] } } };
    const shared = stackProps();
    // Two policies: two server proxies over the one deserialized value (lib/shared-properties.ts).
    const [first, second] = [propsView(unknownCheckingProxy(shared)), propsView(unknownCheckingProxy(shared))] as unknown as Deep[];
    // Compared by identity (a matcher would read every property of a view, unknown ones included).
    expect(second === first).toBe(true);
    expect(second!.labels.nested === first!.labels.nested).toBe(true);
    expect(() => second!.labels.nested.deep[1].x).toThrow("asset value at .labels.nested.deep.1.x can't be known during preview");
    // Another deserialized value: views of its own.
    expect(propsView(unknownCheckingProxy(stackProps())) === first).toBe(false);
  });

  it("leaves a value that is not the pack's proxy as it is", () => {
    const plain = { a: SENTINELS.string };
    expect(propsView(plain)).toBe(plain);
    expect(proxyTarget(plain)).toBeUndefined();
  });
});

/** A snapshot as data: UnknownInput markers become their error's message and path. */
const plainSnapshot = (value: Snapshot): unknown => {
  if (isUnknownInput(value)) return { unknown: value.error.message, props: value.error.props };
  if (Array.isArray(value)) return value.map(plainSnapshot);
  if (value instanceof Object) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainSnapshot(v as Snapshot)]));
  return value;
};

describe("snapshots of the pack's properties", () => {
  it("copy the deserialized properties to what reading through the proxy gives, unknowns included", () => {
    const direct = snapshotOf(unknownCheckingProxy(stackProps()));
    // Through a wrapper without the proxy's special keys: snapshotOf reads it value by value.
    const proxied = unknownCheckingProxy(stackProps()) as Record<string, unknown>;
    const throughReads = snapshotOf(new Proxy({}, {
      ownKeys: () => Reflect.ownKeys(stackProps()),
      getOwnPropertyDescriptor: () => ({ configurable: true, enumerable: true, value: undefined }),
      get: (_, key) => proxied[key as string],
    }));
    expect(plainSnapshot(direct)).toEqual(plainSnapshot(throughReads));
    expect(plainSnapshot(direct.envs)).toEqual(["A=1", { unknown: "string value at .envs.1 can't be known during preview", props: ["envs", "1"] }, "B=2"]);
  });

  it("a changed property gives a changed snapshot", () => {
    const before = snapshotOf(unknownCheckingProxy({ ...stackProps(), image: "nginx:1.27" }));
    const after = snapshotOf(unknownCheckingProxy({ ...stackProps(), image: "nginx:1.26" }));
    expect([before.image, after.image]).toEqual(["nginx:1.27", "nginx:1.26"]);
  });
});

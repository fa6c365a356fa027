// The pack hands each rule a resource's properties behind @pulumi/policy's unknown-checking proxy,
// which throws UnknownValueError when a rule reads a value unknown at preview. That proxy copies the
// property path into a new array and reads the property's descriptor on every read, and each
// UnknownValueError records a stack trace; rules read every container's env, ports and uploads that
// way for each of some fifty policies, so a large stack spent most of its analysis there. This view
// reads exactly the same (the same values, the same unknowns, an UnknownValueError with the same
// message, sentinel and path) over the same deserialized properties, but builds a path only when it
// throws, and without the trace (the pack reports an unknown by its message, never by its stack).
import { UnknownValueError } from "@pulumi/policy";

/** @pulumi/policy's proxy internals: its special keys and the engine's unknown sentinels it detects. */
interface ProxyInternals {
  readonly isSpecialProxy: string;
  readonly getSpecialProxyTarget: string;
  readonly unknownBooleanValue: string;
  readonly unknownNumberValue: string;
  readonly unknownStringValue: string;
  readonly unknownArrayValue: string;
  readonly unknownAssetValue: string;
  readonly unknownArchiveValue: string;
  readonly unknownObjectValue: string;
}

// The very module the pack's server wraps properties with (not in @pulumi/policy's typings).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const internals = require("@pulumi/policy/proxy") as ProxyInternals;
const SENTINELS: ReadonlySet<unknown> = new Set([
  internals.unknownBooleanValue, internals.unknownNumberValue, internals.unknownStringValue, internals.unknownArrayValue,
  internals.unknownAssetValue, internals.unknownArchiveValue, internals.unknownObjectValue,
]);

/** The engine's marker for a value unknown at preview, as the pack's proxy recognises it. */
export const isUnknownSentinel = (value: unknown): value is string => typeof value === "string" && SENTINELS.has(value);

/** A property path, kept as links to its parent so that a read builds no array unless it throws. */
export interface PathLink {
  readonly parent: PathLink | undefined;
  readonly key: PropertyKey;
}

function pathOf(link: PathLink | undefined): PropertyKey[] {
  const keys: PropertyKey[] = [];
  for (let at = link; at; at = at.parent) keys.push(at.key);
  return keys.reverse();
}

/** The UnknownValueError the pack's proxy throws for `sentinel` at `path`, without a stack trace. */
export function unknownValueError(sentinel: string, path: PathLink | undefined): UnknownValueError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new UnknownValueError(sentinel, pathOf(path) as string[]);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

// Every policy reads the same deserialized properties (lib/shared-properties.ts), a tree in which each
// object has one path: its view is made once and handed to every reader.
const views = new WeakMap<object, object>();

function viewOf(target: object, path: PathLink | undefined): object {
  let view = views.get(target);
  if (view === undefined) views.set(target, (view = newView(target, path)));
  return view;
}

function newView(target: object, path: PathLink | undefined): object {
  return new Proxy(target, {
    get(obj, prop) {
      if (prop === internals.isSpecialProxy) return true;
      if (prop === internals.getSpecialProxyTarget) return obj;
      const field: unknown = (obj as Record<PropertyKey, unknown>)[prop];
      if (isUnknownSentinel(field)) throw unknownValueError(field, { parent: path, key: prop });
      if (!(field instanceof Object)) return field;
      // As the pack's proxy: a non-configurable, read-only own value must be returned as is (a Proxy invariant).
      const descriptor = Object.getOwnPropertyDescriptor(obj, prop);
      if (descriptor && "value" in descriptor && descriptor.configurable === false && descriptor.writable === false) return field;
      return viewOf(field, { parent: path, key: prop });
    },
  });
}

/** The deserialized properties under the pack's proxy, or undefined for a value that is not one (a plain object in a unit test). */
export function proxyTarget(props: unknown): object | undefined {
  if (!(props instanceof Object)) return undefined;
  const proxied = props as Record<string, unknown>;
  if (proxied[internals.isSpecialProxy] !== true) return undefined;
  const target = proxied[internals.getSpecialProxyTarget];
  return target instanceof Object ? target : undefined;
}

/** `props` (as the pack hands them) read through the cheaper view; anything else unchanged. */
export function propsView<T>(props: T): T {
  const target = proxyTarget(props);
  return target === undefined ? props : (viewOf(target, undefined) as T);
}

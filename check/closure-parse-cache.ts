// The SDK serializes each dynamic provider (a dynamic resource's `__provider` input) as `pulumi
// preview` does: for every function it reaches it parses the function's text with TypeScript to find
// the variables it captures. That parse is a pure function of the text (and of the SDK's parser and
// TypeScript's version), yet it cost every check ~0.1 s to load TypeScript and ~0.1 s to parse the
// same 85 functions again. Each parse is kept on disk under a key made of those inputs, beside the
// compile cache (policies/compile-cache.js: whole-entry digests, atomic writes), so a warm check
// loads no TypeScript at all (policies/deferred-sdk-modules.js defers it). The serializer's other
// half, reading each captured variable's value through the inspector, runs every time: only the
// parse, which cannot differ, is reused.
import * as fs from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";

interface KeyedCache {
  cacheDirFor(moduleFile: string, name: string): string;
  readKeyedEntry(cacheDir: string, key: string): string | undefined;
  writeKeyedEntry(cacheDir: string, key: string, text: string): void;
  sha256(data: string): string;
}
const { cacheDirFor, readKeyedEntry, writeKeyedEntry, sha256 } = require("../policies/compile-cache") as KeyedCache;

/** Bump when what an entry holds changes. */
const FORMAT = "1";

/** parseFunction's answer: an error text ("" for none) and what it found. */
type ParseResult = readonly [string, unknown];

/** @pulumi/pulumi/runtime/closure/parseFunction.js, which createClosure calls through its exports. */
export interface ParseFunctionModule {
  parseFunction(funcString: string): ParseResult;
}

// The parse holds Maps (captured variable → property chains) and undefined properties (no declared
// name): JSON keeps them as tagged values.
const mapTag = "$parse-cache-map";
const undefinedTag = "$parse-cache-undefined";
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function toJson(value: unknown): Json {
  if (value === undefined) return { [undefinedTag]: true };
  if (value instanceof Map) return { [mapTag]: [...value].map(([key, item]) => [toJson(key), toJson(item)]) };
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toJson(item)]));
  return value as Json;
}

function fromJson(json: Json): unknown {
  if (Array.isArray(json)) return json.map(fromJson);
  if (json === null || typeof json !== "object") return json;
  if (undefinedTag in json) return undefined;
  if (mapTag in json) return new Map((json[mapTag] as [Json, Json][]).map(([key, item]) => [fromJson(key), fromJson(item)]));
  return Object.fromEntries(Object.entries(json).map(([key, item]) => [key, fromJson(item)]));
}

const encode = (result: ParseResult): string => JSON.stringify(toJson(result));
const decode = (text: string): ParseResult => fromJson(JSON.parse(text) as Json) as ParseResult;

/**
 * What a parse depends on besides the function's text: the SDK's parser (parseFunction.js and the
 * utils.js it names functions with) and the TypeScript that its shim loads (the project's, else the
 * SDK's vendored copy).
 */
export function parserIdentity(sdkDir: string): string {
  const closureDir = path.join(sdkDir, "runtime", "closure");
  let typescript: string;
  try {
    const manifest = require.resolve("typescript/package.json", { paths: [sdkDir] });
    typescript = `${manifest}\0${fs.readFileSync(manifest, "utf8")}`;
  } catch {
    typescript = path.join(sdkDir, "vendor");
  }
  return [FORMAT, fs.readFileSync(path.join(closureDir, "parseFunction.js"), "utf8"), fs.readFileSync(path.join(closureDir, "utils.js"), "utf8"), typescript].join("\0");
}

/**
 * Makes the SDK's parseFunction answer from the cache in `cacheDir` when it holds the parse of the
 * same text by the same parser, and keep every new parse there. A parse that JSON cannot carry
 * exactly is not kept. Returns the undo.
 */
export function cacheClosureParses(parser: ParseFunctionModule, identity: string, cacheDir: string): () => void {
  const original = parser.parseFunction;
  const parsed = new Map<string, string>();
  // The parser's identity is tens of kilobytes (its sources): hashed once, not with every function.
  const parserDigest = sha256(identity);
  parser.parseFunction = (funcString: string): ParseResult => {
    const key = sha256(`${parserDigest}\0${funcString}`);
    const kept = parsed.get(key) ?? readKeyedEntry(cacheDir, key);
    if (kept !== undefined) {
      parsed.set(key, kept);
      return decode(kept);
    }
    const result = original(funcString);
    const text = encode(result);
    if (isDeepStrictEqual(decode(text), result)) {
      parsed.set(key, text);
      writeKeyedEntry(cacheDir, key, text);
    }
    return result;
  };
  return () => {
    parser.parseFunction = original;
  };
}

/** cacheClosureParses for the @pulumi/pulumi this process loads, in the check's cache folder. */
export function cacheSdkClosureParses(): () => void {
  const sdkManifest = require.resolve("@pulumi/pulumi/package.json");
  const parser = require(path.join(path.dirname(sdkManifest), "runtime", "closure", "parseFunction.js")) as ParseFunctionModule;
  return cacheClosureParses(parser, parserIdentity(path.dirname(sdkManifest)), cacheDirFor(sdkManifest, "jewelry-shop-closure-parses"));
}

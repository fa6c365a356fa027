// The closure parse cache (check/closure-parse-cache.ts): the SDK's serializer gets the very parse
// it would have made, from disk only for the same function text by the same parser, and a check
// whose parses are all kept loads no TypeScript. The real serializations run in fresh Node
// processes, as `npm run check` runs the program.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheClosureParses, type ParseFunctionModule } from "../../check/closure-parse-cache";

const repoRoot = path.resolve(__dirname, "../..");
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "closure-parses-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const entryFiles = (cacheDir: string): string[] =>
  fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".js")).map((f) => path.join(cacheDir, f)) : [];

interface Serialized {
  texts: Record<string, string>;
  typescriptLoaded: boolean;
}

/**
 * Serializes the program's three dynamic providers as a dynamic resource does (`__provider`), in a
 * fresh process started as `npm run check` starts (SDK start-up modules deferred), with the parse
 * cache in `cacheDir`, or without it.
 */
function serializeProviders(cacheDir: string | undefined): Serialized {
  const script = `
    const path = require("node:path");
    const pulumi = require("@pulumi/pulumi");
    const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
    const cacheDir = ${JSON.stringify(cacheDir ?? null)};
    if (cacheDir) {
      const { cacheClosureParses, parserIdentity } = require("./check/closure-parse-cache.ts");
      cacheClosureParses(require(path.join(sdkDir, "runtime/closure/parseFunction.js")), parserIdentity(sdkDir), cacheDir);
    }
    const providers = {
      rls: require("./components/postgres/rls-provider.ts").tenantIsolationProvider,
      bucket: require("./components/b2/bucket-provider.ts").b2BucketProvider,
      key: require("./components/b2/key-provider.ts").b2KeyProvider,
    };
    (async () => {
      const texts = {};
      for (const [name, provider] of Object.entries(providers)) {
        texts[name] = (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
      }
      const typescriptLoaded = Object.keys(require.cache).some((f) => f.endsWith(path.join("typescript", "lib", "typescript.js")));
      console.log(JSON.stringify({ texts, typescriptLoaded }));
    })();`;
  const r = spawnSync(process.execPath, ["-r", "./check/start.cjs", "-e", script], { cwd: repoRoot, encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Serialized;
}

describe("the SDK's closure serializer with the parse cache", () => {
  it("serializes each dynamic provider to the very text of the SDK's own parse, and loads no TypeScript once every parse is kept", () => {
    const cacheDir = path.join(dir, "providers");
    const uncached = serializeProviders(undefined);
    const cold = serializeProviders(cacheDir);
    const kept = entryFiles(cacheDir).length;
    const warm = serializeProviders(cacheDir);

    expect(Object.keys(uncached.texts)).toEqual(["rls", "bucket", "key"]);
    for (const text of Object.values(uncached.texts)) expect(text).toContain("exports.handler");
    expect(cold.texts).toEqual(uncached.texts);
    expect(warm.texts).toEqual(uncached.texts);
    expect(kept).toBeGreaterThan(10);
    expect(entryFiles(cacheDir)).toHaveLength(kept);
    expect([uncached.typescriptLoaded, cold.typescriptLoaded, warm.typescriptLoaded]).toEqual([true, true, false]);
  });
});

/** A parser that records what it parses and answers with Maps and an undefined property, as the SDK's does. */
function recordingParser(answer: (text: string) => unknown = (text) => ({
  funcExprWithName: text,
  functionDeclarationName: undefined,
  capturedVariables: { required: new Map([["helper", [{ infos: [{ name: "run", invoked: true }] }]]]), optional: new Map() },
})): ParseFunctionModule & { parsed: string[] } {
  const parsed: string[] = [];
  return {
    parsed,
    parseFunction: (text) => {
      parsed.push(text);
      return ["", answer(text)];
    },
  };
}

describe("the closure parse cache", () => {
  it("answers the same text by the same parser from disk, exactly as parsed, without parsing again", () => {
    const cacheDir = path.join(dir, "same");
    const first = recordingParser();
    const undoFirst = cacheClosureParses(first, "parser 1", cacheDir);
    const parsed = first.parseFunction("function f() { return helper.run(); }");
    undoFirst();
    // A new process: a new parser module, the same folder.
    const second = recordingParser();
    cacheClosureParses(second, "parser 1", cacheDir);
    const kept = second.parseFunction("function f() { return helper.run(); }");

    expect(first.parsed).toEqual(["function f() { return helper.run(); }"]);
    expect(second.parsed).toEqual([]);
    expect(kept).toStrictEqual(parsed);
    expect(Object.keys(kept[1] as object)).toContain("functionDeclarationName");
    expect((kept[1] as { capturedVariables: { required: unknown } }).capturedVariables.required).toBeInstanceOf(Map);
  });

  it("parses again for another text, another parser, or an entry that is not whole", () => {
    const cacheDir = path.join(dir, "other");
    const warmUp = recordingParser();
    cacheClosureParses(warmUp, "parser 1", cacheDir);
    warmUp.parseFunction("() => a");
    const [entry] = entryFiles(cacheDir);
    fs.writeFileSync(entry, fs.readFileSync(entry, "utf8").slice(0, -5));

    const other = recordingParser();
    cacheClosureParses(other, "parser 1", cacheDir);
    other.parseFunction("() => b");
    other.parseFunction("() => a");
    const newer = recordingParser();
    cacheClosureParses(newer, "parser 2", cacheDir);
    newer.parseFunction("() => b");

    expect(other.parsed).toEqual(["() => b", "() => a"]);
    expect(newer.parsed).toEqual(["() => b"]);
  });

  it("keeps no parse that JSON cannot carry exactly, and hands it over as parsed", () => {
    const cacheDir = path.join(dir, "inexact");
    const withSet = { names: new Set(["a"]) };
    const parser = recordingParser(() => withSet);
    cacheClosureParses(parser, "parser 1", cacheDir);

    expect(parser.parseFunction("() => a")[1]).toBe(withSet);
    expect(entryFiles(cacheDir)).toEqual([]);
  });

  it("gives the SDK its own parser back when undone", () => {
    const parser = recordingParser();
    const own = parser.parseFunction;
    const undo = cacheClosureParses(parser, "parser 1", path.join(dir, "undo"));
    expect(parser.parseFunction).not.toBe(own);
    undo();
    expect(parser.parseFunction).toBe(own);
  });
});

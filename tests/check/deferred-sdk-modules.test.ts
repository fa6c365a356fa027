// The SDK's unused start-up modules (policies/deferred-sdk-modules.js): the check and the pack load
// @pulumi/pulumi without its automation API, npm's arborist, normalize-package-data and TypeScript, and the first use of any
// still gets the real module. Each case runs in a fresh Node process, as `npm run check` and the pack start.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const repoRoot = path.resolve(__dirname, "../..");
const deferrer = path.join(repoRoot, "policies/deferred-sdk-modules.js");

/** Runs `body` in a new Node process in the repository root, after `setup`; returns what it prints as JSON. */
function inFreshNode(setup: string, body: string): Record<string, unknown> {
  const script = `
    const path = require("node:path");
    const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
    const arboristFile = require.resolve("@npmcli/arborist", { paths: [path.join(sdkDir, "runtime", "closure")] });
    const automationFile = path.join(sdkDir, "automation", "index.js");
    const typescriptShim = path.join(sdkDir, "typescript-shim.js");
    const normalizeFile = require.resolve("normalize-package-data", { paths: [path.join(sdkDir, "runtime", "closure")] });
    const telemetryFile = require.resolve("@opentelemetry/api", { paths: [path.join(sdkDir, "runtime")] });
    const loaded = (part) => Object.keys(require.cache).some((f) => f.includes(part));
    ${setup}
    const pulumi = require("@pulumi/pulumi");
    const out = {};
    ${body}
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ["-e", script], { cwd: repoRoot, encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const defer = `const deferred = require(${JSON.stringify(deferrer)}).deferUnusedSdkModules(${JSON.stringify(repoRoot)});`;
const loadedParts = `
  out.automationLoaded = loaded(path.join("automation", "localWorkspace.js"));
  out.arboristLoaded = loaded(path.join("@npmcli", "arborist", "lib", "arborist", "index.js"));
  out.typescriptLoaded = loaded(path.join("typescript", "lib", "typescript.js"));
  out.normalizeLoaded = loaded(path.join("normalize-package-data", "lib", "fixer.js"));
  out.telemetryLoaded = loaded(path.join("@opentelemetry", "api", "build", "src", "api", "context.js"));
  out.modules = Object.keys(require.cache).length;`;

describe("the SDK's deferred start-up modules", () => {
  it("are not loaded with @pulumi/pulumi, which then loads less than half its modules", () => {
    const plain = inFreshNode("", loadedParts);
    const deferred = inFreshNode(defer, `${loadedParts} out.deferred = deferred.map((f) => path.relative(sdkDir, f));`);
    expect(plain).toMatchObject({ automationLoaded: true, arboristLoaded: true, typescriptLoaded: true, normalizeLoaded: true, telemetryLoaded: true });
    expect(deferred).toMatchObject({ automationLoaded: false, arboristLoaded: false, typescriptLoaded: false, normalizeLoaded: false, telemetryLoaded: false });
    expect(deferred.deferred).toEqual([
      path.join("automation", "index.js"),
      path.join("..", "..", "@npmcli", "arborist", "lib", "index.js"),
      path.join("..", "..", "normalize-package-data", "lib", "normalize.js"),
      path.join("..", "..", "@opentelemetry", "api", "build", "src", "index.js"),
      "typescript-shim.js",
    ]);
    expect(deferred.modules as number).toBeLessThan((plain.modules as number) / 2);
  });

  it("load for real on first use, and the real module takes the stand-in's place", () => {
    const out = inFreshNode(
      defer,
      `
      const workspace = pulumi.automation.LocalWorkspace;
      out.automation = typeof workspace === "function" && workspace === require(automationFile).LocalWorkspace && require.cache[automationFile].exports.LocalWorkspace === workspace;
      out.automationKeys = Object.keys(pulumi.automation).includes("LocalWorkspace");
      const { Arborist } = require(arboristFile);
      out.arborist = typeof Arborist === "function" && Arborist.name === "Arborist" && require.cache[arboristFile].exports.Arborist === Arborist;
      // The serializer's parser reads TypeScript through the shim it required at load: the stand-in.
      const ts = require(typescriptShim);
      out.typescript = ts.createSourceFile("f.ts", "const a = 1;", ts.ScriptTarget.Latest).statements.length === 1 && require.cache[typescriptShim].exports === require("typescript");
      out.typescriptEsModule = ts.__esModule === require("typescript").__esModule;
      // The code-path walker reads it through __importDefault, which asks __esModule before loading it.
      const standIn = require(normalizeFile);
      out.normalizeAnswersEsModule = standIn.__esModule === undefined && !loaded(path.join("normalize-package-data", "lib", "fixer.js"));
      const wrapped = standIn && standIn.__esModule ? standIn : { default: standIn };
      const data = { name: "shop", version: "1.0.0" };
      wrapped.default(data);
      const normalize = require(normalizeFile);
      out.normalize = data._id === "shop@1.0.0" && normalize !== standIn && typeof normalize.fixer === "object" && standIn.fixer === normalize.fixer;
      out.normalizeEsModule = normalize.__esModule === undefined;
      // The SDK's gRPC clients read it through __importStar, which keeps a module marked __esModule as is.
      const telemetry = require(telemetryFile);
      out.telemetryAnswersEsModule = telemetry.__esModule === true && !loaded(path.join("@opentelemetry", "api", "build", "src", "api", "context.js"));
      const carrier = {};
      telemetry.propagation.inject(telemetry.context.active(), carrier, { set: (c, k, v) => (c[k] = v) });
      const real = require(telemetryFile);
      out.telemetry = real !== telemetry && real.__esModule === true && telemetry.propagation === real.propagation && typeof real.context.active === "function";
      ${loadedParts}`,
    );
    expect(out).toEqual(
      expect.objectContaining({
        automation: true, automationKeys: true, arborist: true, typescript: true, typescriptEsModule: true,
        normalizeAnswersEsModule: true, normalize: true, normalizeEsModule: true, telemetryAnswersEsModule: true, telemetry: true,
        automationLoaded: true, arboristLoaded: true, typescriptLoaded: true, normalizeLoaded: true, telemetryLoaded: true,
      }),
    );
  });

  it("changes nothing once the SDK is loaded", () => {
    const out = inFreshNode(`require("@pulumi/pulumi"); ${defer}`, `out.deferred = deferred; ${loadedParts}`);
    expect(out).toMatchObject({ deferred: [], automationLoaded: true, arboristLoaded: true, typescriptLoaded: true, normalizeLoaded: true, telemetryLoaded: true });
  });
});

describe("zod's locales in the check's process", () => {
  it("load on the first read of z.locales, and zod still speaks English and any other language asked for", () => {
    const out = inFreshNode(
      `const deferredZod = require(${JSON.stringify(deferrer)}).deferZodLocales(${JSON.stringify(repoRoot)});`,
      `
      out.deferred = deferredZod;
      const { z } = require("zod");
      const localeModules = () => Object.keys(require.cache).filter((f) => f.includes(path.join("zod", "v4", "locales"))).length;
      out.localeModulesAtLoad = localeModules();
      out.english = z.string().safeParse(1).error.issues[0].message;
      out.localeModulesAfterParse = localeModules();
      z.config(z.locales.fr());
      out.french = z.string().safeParse(1).error.issues[0].message;
      out.localeModulesAfterRead = localeModules();`,
    );
    expect(out.deferred).toBe(true);
    // en.cjs, which zod loads itself, and the stand-in.
    expect(out.localeModulesAtLoad).toBe(2);
    expect(out.english).toBe("Invalid input: expected string, received number");
    expect(out.localeModulesAfterParse).toBe(2);
    expect(out.french).toMatch(/^Entrée invalide/);
    expect(out.localeModulesAfterRead as number).toBeGreaterThan(40);
  });
});

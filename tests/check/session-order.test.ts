// The check's pack thread (check/pack-channel.ts) hands each answer back when the pack gives it, and
// the pack may answer in any order: the report must list the diagnostics in the order the resources
// were analyzed, as the engine files them, whatever order the answers came in.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { AnalyzerCallError, type Analyzer, type AnalyzerInfo, type AnalyzerResource, type Diagnostic } from "../../check/analyzer-client";
import { configureCheckSession } from "../../check/check-session";
import type { CapturedResource, ProgramRun } from "../../check/run-program";
import { readStackConfig } from "../../check/stack-config";

const repoRoot = path.resolve(__dirname, "../..");
const stackConfig = readStackConfig(repoRoot, "production");
const { project, stack } = stackConfig;

const info: AnalyzerInfo = {
  name: "order-pack",
  version: "1.0.0",
  policies: [
    { name: "every-resource", description: "Reports every resource.", enforcementLevel: "mandatory", policyType: "resource", tags: [] },
    { name: "the-stack", description: "Reports the stack.", enforcementLevel: "mandatory", policyType: "stack", tags: [] },
  ],
  initialConfig: {},
};

const diagnostic = (policyName: string, message: string): Diagnostic => ({
  policyName,
  policyPackName: info.name,
  policyPackVersion: info.version,
  description: "",
  message,
  enforcementLevel: "mandatory",
});

/** A pack that answers each Analyze later the earlier it was asked: the last call is answered first. */
function answeringBackwards(count: number): Analyzer & { readonly answered: string[] } {
  const answered: string[] = [];
  let calls = 0;
  return {
    answered,
    waitForReady: async () => undefined,
    getAnalyzerInfo: async () => info,
    getPluginVersion: async () => "1.0.0",
    configureStack: async () => undefined,
    configure: async () => undefined,
    analyze: (r: AnalyzerResource) => {
      const delayMs = (count - calls++) * 15;
      return new Promise((resolve) =>
        setTimeout(() => {
          answered.push(r.name);
          resolve([diagnostic("every-resource", `judged ${r.name}`)]);
        }, delayMs),
      );
    },
    analyzeStack: async () => [diagnostic("the-stack", "judged the stack")],
    close: () => undefined,
  };
}

const component = (name: string): CapturedResource => ({
  type: "jewelry-shop:order:Part",
  name,
  urn: `urn:pulumi:${stack}::${project}::jewelry-shop:order:Part::${name}`,
  custom: false,
  version: "",
  dependencies: [],
  propertyDependencies: {},
  options: { protect: false, ignoreChanges: [], additionalSecretOutputs: [], aliases: [], customTimeouts: { create: 0, update: 0, delete: 0 } },
  object: {},
});

describe("a check session's report", () => {
  it("lists the diagnostics in the order the resources were analyzed, not the order the pack answered in", async () => {
    const names = ["first", "second", "third", "fourth", "fifth"];
    const analyzer = answeringBackwards(names.length);
    const session = await configureCheckSession({ analyzer, packStartMs: Promise.resolve(0), stop: async () => undefined }, stackConfig, {});
    const run: ProgramRun = { project, stack, resources: names.map(component) };
    const report = await session.analyze(run, stackConfig, { programMs: 0, startedAt: Date.now() });

    expect(analyzer.answered).toEqual([...names].reverse());
    expect(report.violations.map((v) => v.message)).toEqual([...names.map((n) => `judged ${n}`), "judged the stack"]);
    expect(report.violations.map((v) => v.urn)).toEqual([...names.map((n) => component(n).urn), undefined]);
  });

  it("asks for the stack's analysis once the program has run, without waiting for the resources' answers, and files errors in the engine's order", async () => {
    const names = ["first", "second", "third"];
    const analyzer = answeringBackwards(names.length);
    const answeredWhenStackAsked: string[][] = [];
    const failing: Analyzer = {
      ...analyzer,
      analyze: (r) => (r.name === "second" ? analyzer.analyze(r).then(() => Promise.reject(new AnalyzerCallError("Analyze", r.urn, "a rule threw"))) : analyzer.analyze(r)),
      analyzeStack: async () => {
        answeredWhenStackAsked.push([...analyzer.answered]);
        throw new AnalyzerCallError("AnalyzeStack", undefined, "a stack rule threw");
      },
    };
    const session = await configureCheckSession({ analyzer: failing, packStartMs: Promise.resolve(0), stop: async () => undefined }, stackConfig, {});
    const report = await session.analyze({ project, stack, resources: names.map(component) }, stackConfig, { programMs: 0, startedAt: Date.now() });

    // Sent behind the three Analyze calls, before the pack had answered any of them.
    expect(answeredWhenStackAsked).toEqual([[]]);
    expect(report.policyErrors.map((e) => `${e.method}: ${e.message}`)).toEqual(["Analyze: a rule threw", "AnalyzeStack: a stack rule threw"]);
  });
});

// The requests the check sends its pack (check/pack-channel.ts) must be the very requests the SDK's
// protobuf classes build: AnalyzeStack's, built from the Analyze requests already sent, and each
// Analyze request, written without jspb's object tree (check/analyze-request-bytes.ts). The pack must
// judge the same stack.
import { describe, expect, it } from "vitest";
import { AnalysisInputBuilder } from "../../check/analysis-input";
import { analyzeRequestBytes } from "../../check/analyze-request-bytes";
import type * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { analyzeRequest, analyzeStackRequest, analyzeStackRequestBytes, diagnosticsOf, type AnalyzerResource } from "../../check/analyzer-client";
import type { JsonObject } from "../../check/json";
import { unknownValue, wrapSecret } from "../../check/property-values";
import { withoutNotApplicable } from "../../check/pack-channel";
import { fromSdk } from "../../check/sdk";
import { readStackConfig } from "../../check/stack-config";
import { productionRun, ROOT } from "../program/production-run";

const options = (parent?: string): AnalyzerResource["options"] => ({
  protect: false,
  ignoreChanges: ["tags"],
  deleteBeforeReplace: true,
  additionalSecretOutputs: ["password"],
  aliases: [],
  customTimeouts: { create: 600, update: 0, delete: 30 },
  parent,
});

const provider: AnalyzerResource = {
  type: "pulumi:providers:docker",
  name: "default_3_6_1",
  urn: "urn:pulumi:production::jewelry-shop::pulumi:providers:docker::default_3_6_1",
  properties: { host: "unix:///var/run/docker.sock", version: "3.6.1" },
  options: options(),
  dependencies: [],
  propertyDependencies: {},
};

const container: AnalyzerResource = {
  type: "docker:index/container:Container",
  name: "web",
  urn: "urn:pulumi:production::jewelry-shop::app$docker:index/container:Container::web",
  // Large enough that its length takes a varint of three bytes.
  properties: { image: unknownValue, envs: [wrapSecret("DJANGO_SECRET_KEY=s3cret"), "DEBUG=0"], labels: { note: "x".repeat(20_000) }, restart: "unless-stopped" },
  options: options("urn:pulumi:production::jewelry-shop::app::app"),
  provider: { type: provider.type, name: provider.name, urn: provider.urn, properties: provider.properties },
  parent: "urn:pulumi:production::jewelry-shop::app::app",
  dependencies: [provider.urn, "urn:pulumi:production::jewelry-shop::docker:index/network:Network::backend"],
  propertyDependencies: { networksAdvanced: ["urn:pulumi:production::jewelry-shop::docker:index/network:Network::backend"], image: [] },
};

const stack: AnalyzerResource = {
  type: "pulumi:pulumi:Stack",
  name: "jewelry-shop-production",
  urn: "urn:pulumi:production::jewelry-shop::pulumi:pulumi:Stack::jewelry-shop-production",
  properties: { url: "https://shop.example" },
  options: options(),
  dependencies: [],
  propertyDependencies: {},
};

describe("AnalyzeStack's request from the Analyze requests already sent", () => {
  const resources = [stack, provider, container];

  it("is byte for byte the request built from the resources afresh", () => {
    const sent = new Map(resources.map((r) => [r, analyzeRequest(r).serializeBinary()]));
    const reused = analyzeStackRequestBytes(resources, (r) => sent.get(r));
    expect(Buffer.from(reused).equals(Buffer.from(analyzeStackRequest(resources).serializeBinary()))).toBe(true);
  });

  it("builds in full a resource whose Analyze request was not sent, such as the stack with its outputs", () => {
    const withOutputs = { ...stack, properties: { url: "https://shop.example", admins: 2 } };
    const sent = new Map(resources.map((r) => [r, analyzeRequest(r).serializeBinary()]));
    const stackResources = [withOutputs, provider, container];
    const reused = analyzeStackRequestBytes(stackResources, (r) => sent.get(r));
    expect(Buffer.from(reused).equals(Buffer.from(analyzeStackRequest(stackResources).serializeBinary()))).toBe(true);
  });
});

describe("an Analyze request written without jspb's object tree", () => {
  const jspbBytes = (r: AnalyzerResource) => Buffer.from(analyzeRequest(r).serializeBinary());
  const written = (r: AnalyzerResource) => {
    const bytes = analyzeRequestBytes(r);
    return bytes === undefined ? undefined : Buffer.from(bytes);
  };
  /** Where the written request departs from jspb's (undefined when they are the same bytes). */
  const departure = (r: AnalyzerResource): string | undefined => {
    const ours = written(r);
    const theirs = jspbBytes(r);
    if (ours === undefined) return "not written (left to jspb)";
    if (ours.equals(theirs)) return undefined;
    const at = ours.findIndex((byte, i) => byte !== theirs[i]);
    return `${r.urn}: ${ours.length} bytes against ${theirs.length}, first difference at byte ${at < 0 ? Math.min(ours.length, theirs.length) : at}`;
  };
  const withProperties = (properties: JsonObject, base: AnalyzerResource = container): AnalyzerResource => ({ ...base, properties });

  it("is byte for byte jspb's for every resource of the production stack", async () => {
    const run = await productionRun();
    const builder = new AnalysisInputBuilder(readStackConfig(ROOT, "production"));
    const requests = run.resources.flatMap((r) => builder.add(r));
    expect(requests.length).toBeGreaterThan(100);
    for (const r of requests) expect(departure(r)).toBeUndefined();
  });

  it("is byte for byte jspb's for edge values: numbers, strings, keys, nesting, options, lengths of every varint size", () => {
    const numbers = [0, -0, 1, -1, 0.1, NaN, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE, 2 ** 53 + 2, -1e21, 5e-324, 1e-310];
    const cases: AnalyzerResource[] = [
      withProperties({ numbers, zero: 0, nothing: null, yes: true, no: false, empty: "", list: [], object: {} }),
      withProperties({ "ß": "straße", "💍": "ring 💍", z: 1, a: 2, B: 3, "10": 4, "9": 5, "": "empty key" }),
      withProperties({ deep: { a: [{ b: [[], [null, [1, { c: "d" }]]] }] }, secret: wrapSecret({ inner: ["x"] }) }),
      withProperties({ small: "x".repeat(127), medium: "x".repeat(128), large: "x".repeat(16_384), huge: "y".repeat(2_097_152) }),
      { ...stack, options: { ...options(), protect: true, deleteBeforeReplace: false, aliases: ["urn:a", ""], ignoreChanges: [], customTimeouts: { create: -0, update: NaN, delete: 1.5 } } },
      { ...provider, provider: { type: "", name: "", urn: "", properties: {} }, type: "", name: "", urn: "" },
    ];
    for (const r of cases) expect(departure(r)).toBeUndefined();
  });

  it("leaves to jspb what is no JSON value: undefined, a function, a class instance, a hole, a lone surrogate", () => {
    class Box {
      constructor(readonly value: number) {}
    }
    const odd: unknown[] = [undefined, () => 1, new Box(1), [1, , 3], "\uD83D alone", { "\uDC8D": 1 }];
    for (const value of odd) expect(written(withProperties({ value } as unknown as JsonObject))).toBeUndefined();
  });
});

describe("an AnalyzeResponse read without its not-applicable entries", () => {
  const pb = fromSdk<typeof analyzerPb>("@pulumi/pulumi/proto/analyzer_pb");
  const diagnostic = (policy: string, urn: string) =>
    new pb.AnalyzeDiagnostic().setPolicyname(policy).setPolicypackname("pack").setPolicypackversion("1.0.0").setDescription("d")
      .setMessage(`${policy} on ${urn}`).setEnforcementlevel(1).setUrn(urn).setSeverity(3);
  const notApplicable = (policy: string) => new pb.PolicyNotApplicable().setPolicyName(policy).setReason(`Policy only applies to resources of type 't'`);
  const read = (bytes: Uint8Array) => pb.AnalyzeResponse.deserializeBinary(bytes);

  it("gives the same diagnostics, in order, and no not-applicable entry", () => {
    const response = new pb.AnalyzeResponse()
      .setNotApplicableList([notApplicable("a"), notApplicable("b")])
      .setDiagnosticsList([diagnostic("x", "urn:1"), diagnostic("y", "urn:2")]);
    const bytes = response.serializeBinary();
    const stripped = withoutNotApplicable(bytes);
    expect(stripped.length).toBeLessThan(bytes.length);
    expect(diagnosticsOf(read(stripped))).toEqual(diagnosticsOf(read(bytes)));
    expect(diagnosticsOf(read(stripped)).map((d) => d.policyName)).toEqual(["x", "y"]);
    expect(read(stripped).getNotApplicableList()).toEqual([]);
    // Entries interleaved on the wire, as another writer might put them.
    const interleaved = Buffer.concat([
      new pb.AnalyzeResponse().setNotApplicableList([notApplicable("a")]).serializeBinary(),
      new pb.AnalyzeResponse().setDiagnosticsList([diagnostic("x", "urn:1")]).serializeBinary(),
      new pb.AnalyzeResponse().setNotApplicableList([notApplicable("b")]).serializeBinary(),
      new pb.AnalyzeResponse().setDiagnosticsList([diagnostic("y", "urn:2")]).serializeBinary(),
    ]);
    expect(diagnosticsOf(read(withoutNotApplicable(interleaved)))).toEqual(diagnosticsOf(read(bytes)));
  });

  it("hands over the very bytes when there is nothing to drop, or anything but length-delimited fields", () => {
    const plain = new pb.AnalyzeResponse().setDiagnosticsList([diagnostic("x", "urn:1")]).serializeBinary();
    expect(withoutNotApplicable(plain)).toBe(plain);
    const empty = new Uint8Array(0);
    expect(withoutNotApplicable(empty)).toBe(empty);
    const withVarint = Buffer.concat([new pb.AnalyzeResponse().setNotApplicableList([notApplicable("a")]).serializeBinary(), Buffer.from([0x08, 0x01])]);
    expect(withoutNotApplicable(withVarint)).toBe(withVarint);
    const cut = new pb.AnalyzeResponse().setNotApplicableList([notApplicable("a")]).serializeBinary().slice(0, -2);
    expect(withoutNotApplicable(cut)).toBe(cut);
  });
});

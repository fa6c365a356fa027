// The pack converts each request's resource properties once (lib/shared-properties.ts): every policy
// @pulumi/policy's server runs on a request reads the same deserialized value, behind its own proxy,
// with the same values and unknowns as a conversion of its own; another request is converted anew.
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import type * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import type * as structPb from "google-protobuf/google/protobuf/struct_pb";
import { describe, expect, it } from "vitest";
import { fromSdk } from "../../check/sdk";
import { snapshotOf, snapshotText } from "../../policies/lib/docker/snapshot";
import { proxyTarget } from "../../policies/lib/props-view";
import { shareDeserializedProperties } from "../../policies/lib/shared-properties";
import { UNKNOWN } from "./harness";

const pb = fromSdk<typeof analyzerPb>("@pulumi/pulumi/proto/analyzer_pb");
const { Struct } = fromSdk<typeof structPb>("google-protobuf/google/protobuf/struct_pb");

interface ServerInternals {
  makeAnalyzeStackRpcFun(
    name: string, version: string, level: string, policies: StackValidationPolicy[],
  ): (call: { request: analyzerPb.AnalyzeStackRequest }, callback: (err: unknown, response?: analyzerPb.AnalyzeResponse) => void) => Promise<void>;
}
const server = require("@pulumi/policy/server") as ServerInternals;

const properties = { image: "nginx:1.27", env: ["A=1", UNKNOWN], ports: [{ internal: 80, external: UNKNOWN }] };

function stackRequest(): analyzerPb.AnalyzeStackRequest {
  const options = new pb.AnalyzerResourceOptions().setCustomtimeouts(new pb.AnalyzerResourceOptions.CustomTimeouts());
  const resource = new pb.AnalyzerResource()
    .setType("docker:index/container:Container")
    .setName("web")
    .setUrn("urn:pulumi:production::jewelry-shop::docker:index/container:Container::web")
    .setProperties(Struct.fromJavaScript(properties as never))
    .setOptions(options);
  return new pb.AnalyzeStackRequest().setResourcesList([resource]);
}

/** Runs AnalyzeStack through the pack's server with policies that keep the resources they were handed. */
async function analyzeStack(request: analyzerPb.AnalyzeStackRequest, policyCount: number): Promise<PolicyResource[][]> {
  const seen: PolicyResource[][] = [];
  const policies = Array.from({ length: policyCount }, (_, i): StackValidationPolicy => ({
    name: `keeps-${i}`, description: "Keeps what it is handed.", enforcementLevel: "mandatory",
    validateStack: (args) => void seen.push(args.resources),
  }));
  const analyze = server.makeAnalyzeStackRpcFun("test-pack", "0.0.1", "mandatory", policies);
  await new Promise<void>((resolve, reject) => void analyze({ request }, (err) => (err ? reject(err) : resolve())));
  return seen;
}

describe("the properties the pack's server hands its policies", () => {
  shareDeserializedProperties();
  // A second call must not wrap the conversion twice.
  shareDeserializedProperties();

  it("are converted once per request and read by every policy through its own proxy", async () => {
    const [first, second, third] = await analyzeStack(stackRequest(), 3);
    const target = proxyTarget(first[0].props);
    expect(target).toEqual(properties);
    expect(proxyTarget(second[0].props)).toBe(target);
    expect(proxyTarget(third[0].props)).toBe(target);
    // Each policy's resource and proxy are its own, and the proxy still raises on an unknown.
    // (Compared as booleans: printing a proxy would read its unknowns.)
    expect(second[0] === first[0]).toBe(false);
    expect(second[0].props === first[0].props).toBe(false);
    expect(first[0].props.image).toBe("nginx:1.27");
    expect(() => second[0].props.env[1]).toThrow(/can't be known during preview/);
    expect(() => third[0].props.ports[0].external).toThrow(/can't be known during preview/);
  });

  it("are converted anew for another request", async () => {
    const [[a]] = await analyzeStack(stackRequest(), 1);
    const [[b]] = await analyzeStack(stackRequest(), 1);
    expect(proxyTarget(b.props)).not.toBe(proxyTarget(a.props));
    expect(proxyTarget(b.props)).toEqual(proxyTarget(a.props));
  });

  it("give one snapshot, and one snapshot text, per conversion", async () => {
    const [first, second] = await analyzeStack(stackRequest(), 2);
    const snapshot = snapshotOf(first[0].props);
    expect(snapshotOf(second[0].props)).toBe(snapshot);
    expect(snapshotText(snapshot)).toBe(snapshotText(snapshotOf(second[0].props)));
    const [[other]] = await analyzeStack(stackRequest(), 1);
    expect(snapshotOf(other.props)).not.toBe(snapshot);
    expect(snapshotText(snapshotOf(other.props))).toBe(snapshotText(snapshot));
  });
});

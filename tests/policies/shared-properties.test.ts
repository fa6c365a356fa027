// The pack converts each request's resource properties once (lib/shared-properties.ts): every policy
// @pulumi/policy's server runs on a request reads the same deserialized value, behind its own proxy,
// with the same values and unknowns as a conversion of its own; another request is converted anew.
// Each resource's property-dependency map is walked once per request alike.
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import type * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import type * as structPb from "google-protobuf/google/protobuf/struct_pb";
import { describe, expect, it } from "vitest";
import { fromSdk } from "../../check/sdk";
import { snapshotOf, snapshotText } from "../../policies/lib/docker/snapshot";
import { proxyTarget } from "../../policies/lib/props-view";
import { shareDeserializedProperties, sharePropertyDependencies } from "../../policies/lib/shared-properties";
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

const NETWORK_URN = "urn:pulumi:production::jewelry-shop::docker:index/network:Network::backend";
const CONTAINER_URN = "urn:pulumi:production::jewelry-shop::docker:index/container:Container::web";

/** A network, and a container whose `networksAdvanced` and `labels` depend on it. */
function dependentRequest(): analyzerPb.AnalyzeStackRequest {
  const options = () => new pb.AnalyzerResourceOptions().setCustomtimeouts(new pb.AnalyzerResourceOptions.CustomTimeouts());
  const network = new pb.AnalyzerResource().setType("docker:index/network:Network").setName("backend").setUrn(NETWORK_URN)
    .setProperties(Struct.fromJavaScript({ name: "backend" })).setOptions(options());
  const container = new pb.AnalyzerResource().setType("docker:index/container:Container").setName("web").setUrn(CONTAINER_URN)
    .setProperties(Struct.fromJavaScript(properties as never)).setOptions(options()).setDependenciesList([NETWORK_URN]);
  for (const key of ["networksAdvanced", "labels"]) container.getPropertydependenciesMap().set(key, new pb.AnalyzerPropertyDependencies().setUrnsList([NETWORK_URN]));
  return new pb.AnalyzeStackRequest().setResourcesList([network, container]);
}

describe("the property dependencies the pack's server hands its policies", () => {
  sharePropertyDependencies();
  // A second call must not wrap the reading twice.
  sharePropertyDependencies();

  it("are read from each resource's map once per request, and every policy gets them alike", async () => {
    // protobuf's map walk, counted from before the request is built.
    const mapPrototype = Object.getPrototypeOf(new pb.AnalyzerResource().getPropertydependenciesMap()) as { entries(): unknown };
    const walk = mapPrototype.entries;
    let walks = 0;
    mapPrototype.entries = function (this: unknown) {
      walks++;
      return walk.call(this);
    };
    try {
      const request = dependentRequest();
      const seen = await analyzeStack(request, 3);
      for (const resources of seen) {
        const [network, container] = resources;
        expect(Object.keys(container.propertyDependencies).sort()).toEqual(["labels", "networksAdvanced"]);
        expect(container.propertyDependencies.networksAdvanced).toEqual([network]);
        expect(container.propertyDependencies.labels).toEqual([network]);
        expect(network.propertyDependencies).toEqual({});
        expect(container.dependencies).toEqual([network]);
      }
      // Once for each of the two resources, not once per resource and policy.
      expect(walks).toBe(2);
      // The request itself is unchanged: its map still serializes as it was built.
      expect(pb.AnalyzeStackRequest.deserializeBinary(request.serializeBinary()).toObject()).toEqual(dependentRequest().toObject());
    } finally {
      mapPrototype.entries = walk;
    }
  });
});

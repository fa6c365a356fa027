// AnalyzeStack's request built from the Analyze requests the check already sent (check/pack-channel.ts)
// must be the very request built from the resources afresh: the pack must judge the same stack.
import { describe, expect, it } from "vitest";
import { analyzeRequest, analyzeStackRequest, analyzeStackRequestBytes, type AnalyzerResource } from "../../check/analyzer-client";
import { unknownValue, wrapSecret } from "../../check/property-values";

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

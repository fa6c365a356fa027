// The capture keeps the secret marker on inputs that are secret and unknown at preview, whatever the
// SDK's serializer does with them (3.248 drops it), and leaves everything else as serialized.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../check/json";
import { unknownValue, wrapSecret } from "../../check/property-values";
import { keepSecretMarkersOnUnknowns } from "../../check/unknown-secrets";

type OutputConstructor = new (resources: Set<pulumi.Resource>, value: Promise<unknown>, isKnown: Promise<boolean>, isSecret: Promise<boolean>, allResources: Promise<Set<pulumi.Resource>>) => pulumi.Output<unknown>;
const OutputImpl = (require("@pulumi/pulumi/output") as { Output: OutputConstructor }).Output;
const unknownOutput = (secret: boolean) =>
  new OutputImpl(new Set(), Promise.resolve(undefined), Promise.resolve(false), Promise.resolve(secret), Promise.resolve(new Set()));

/** A serializer like 3.248's: every unknown output becomes the bare unknown sentinel. */
const bareUnknowns = async (_label: string, props: Record<string, unknown>): Promise<[JsonObject, unknown]> => {
  const serialize = async (value: unknown): Promise<unknown> => {
    if (value instanceof Promise) return serialize(await value);
    if (pulumi.Output.isInstance(value)) return unknownValue;
    if (Array.isArray(value)) return Promise.all(value.map(serialize));
    if (value && typeof value === "object") return Object.fromEntries(await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await serialize(v)])));
    return value;
  };
  return [(await serialize(props)) as JsonObject, new Map()];
};

describe("secret markers on unknown inputs", () => {
  it("re-marks secret unknowns at any depth and leaves plain unknowns and known values alone", async () => {
    const rpc = { serializeResourceProperties: bareUnknowns };
    const restore = keepSecretMarkersOnUnknowns(pulumi, rpc);
    const [serialized] = await rpc.serializeResourceProperties("r", {
      envs: ["A=1", unknownOutput(true), unknownOutput(false)],
      uploads: [{ file: "/run/secrets/KEY", content: Promise.resolve(unknownOutput(true)) }],
      image: "nginx:1.27",
    });
    restore();
    expect(serialized).toEqual({
      envs: ["A=1", wrapSecret(unknownValue), unknownValue],
      uploads: [{ file: "/run/secrets/KEY", content: wrapSecret(unknownValue) }],
      image: "nginx:1.27",
    });
    expect(rpc.serializeResourceProperties).toBe(bareUnknowns);
  });
});

import { unknownCheckingProxy } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { containerEnv, envValue, parseImageRef } from "../../policies/lib/containers";
import { crc32, tableCrc32 } from "../../policies/lib/docker/provider-sets";
import { knownElements } from "../../policies/lib/unknowns";
import { UNKNOWN } from "./harness";

describe("parseImageRef", () => {
  it.each([
    ["postgres:16.6-bookworm", { registry: undefined, repository: "postgres", name: "postgres", tag: "16.6-bookworm", digest: undefined }],
    ["registry.example.org:5000/shop/web:v1@sha256:abc", { registry: "registry.example.org:5000", repository: "shop/web", name: "web", tag: "v1", digest: "sha256:abc" }],
    ["edoburu/pgbouncer", { registry: undefined, repository: "edoburu/pgbouncer", name: "pgbouncer", tag: undefined, digest: undefined }],
  ])("parses %s", (reference, expected) => {
    expect(parseImageRef(reference)).toEqual(expected);
  });
});

describe("container env", () => {
  it("skips unknown entries but refuses to call a name absent while one could hide it", () => {
    const env = containerEnv(unknownCheckingProxy({ envs: ["DEBUG=False", UNKNOWN, "A=b=c"] }));
    expect(env.values.get("A")).toBe("b=c");
    expect(env.unknown).toHaveLength(1);
    expect(envValue(env, "DEBUG")).toBe("False");
    expect(() => envValue(env, "SITE_URL")).toThrow(/can't be known during preview/);
  });
  it("knownElements splits a proxied array", () => {
    const { known, unknown } = knownElements(unknownCheckingProxy({ a: ["x", UNKNOWN, "y"] }).a as string[]);
    expect([known, unknown.length]).toEqual([["x", "y"], 1]);
  });
});

describe("crc32 of a docker set element (the provider's order)", () => {
  it("is Go's crc32.ChecksumIEEE of the UTF-8 bytes, native or byte by byte", () => {
    // Go: crc32.ChecksumIEEE([]byte(s)).
    const go: Array<[string, number]> = [["", 0], ["hello", 907060870], ["The quick brown fox jumps over the lazy dog", 0x414fa339], ["é", 235179326], ["123456789", 0xcbf43926]];
    for (const [text, sum] of go) {
      expect(tableCrc32(text)).toBe(sum);
      expect(crc32(text)).toBe(sum);
    }
  });
});

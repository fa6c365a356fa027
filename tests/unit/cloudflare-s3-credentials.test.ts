import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { r2S3Credentials, r2S3Endpoint, r2SecretAccessKey } from "../../components/cloudflare/s3-credentials";

describe("R2 S3 credentials from an API token", () => {
  it("uses the token id as the access key id and the SHA-256 hex of the value as the secret", () => {
    const token = { id: "f267e341f3dd4697bd3b9f71dd96247f", value: "Y_cDfIKGdcrtQ2uxT3VlL6ZL1xaS7xWXmTq8gTuF" };
    const expected = createHash("sha256").update(token.value).digest("hex");
    expect(r2S3Credentials(token)).toEqual({ accessKeyId: token.id, secretAccessKey: expected });
  });

  it("matches the FIPS 180-2 SHA-256 test vector, lower-case hex", () => {
    expect(r2SecretAccessKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("never hands out the token value itself as the secret", () => {
    const value = "token-value-0123456789";
    expect(r2S3Credentials({ id: "id", value }).secretAccessKey).not.toContain(value);
  });

  it("refuses a token without an id or a value", () => {
    expect(() => r2S3Credentials({ id: "", value: "v" })).toThrow(/id and a value/);
    expect(() => r2S3Credentials({ id: "i", value: "" })).toThrow(/id and a value/);
  });
});

describe("r2S3Endpoint", () => {
  it("is the account's r2.cloudflarestorage.com host over https", () => {
    expect(r2S3Endpoint("fedcba9876543210fedcba9876543210")).toBe("https://fedcba9876543210fedcba9876543210.r2.cloudflarestorage.com");
  });

  it("refuses anything but a 32-hex-digit account id", () => {
    expect(() => r2S3Endpoint("evil.example.com/")).toThrow(/account id/);
  });
});

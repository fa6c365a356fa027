import { describe, expect, it } from "vitest";
import { R2_PERMISSION_GROUPS, r2BucketReadWritePolicy, r2BucketResourceKey } from "../../components/cloudflare/r2-token-policy";

const ACCOUNT = "fedcba9876543210fedcba9876543210";

describe("bucket-scoped R2 token policy", () => {
  it("names one bucket in the default jurisdiction as the only resource", () => {
    const policy = r2BucketReadWritePolicy(ACCOUNT, "jewelry-shop-media");
    expect(JSON.parse(policy.resources)).toEqual({ [`com.cloudflare.edge.r2.bucket.${ACCOUNT}_default_jewelry-shop-media`]: "*" });
    expect(r2BucketResourceKey(ACCOUNT, "b")).toBe(`com.cloudflare.edge.r2.bucket.${ACCOUNT}_default_b`);
  });

  it("grants object read and write and nothing account-wide", () => {
    const policy = r2BucketReadWritePolicy(ACCOUNT, "jewelry-shop-backups");
    expect(policy.effect).toBe("allow");
    expect(policy.permissionGroups.map((g) => g.id).sort()).toEqual(
      ["2efd5506f9c8494dacb1fa10a3e7d5b6", "6a018a9f2fc74eb6b293b0c548f38b39"].sort());
    expect(Object.values(R2_PERMISSION_GROUPS)).toHaveLength(2);
    expect(policy.resources).not.toMatch(/com\.cloudflare\.api\.account\.[0-9a-f]+"/);
  });
});

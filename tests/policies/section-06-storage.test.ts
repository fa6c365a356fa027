import { describe, expect, it } from "vitest";
import { baselineLater, findings, mutate } from "./baseline-later";

describe("r2-buckets-private", () => {
  it("accepts a bucket whose r2.dev domain is disabled", async () => {
    expect(await findings(baselineLater(), "r2-buckets-private")).toEqual([]);
  });
  it("refuses an enabled r2.dev domain", async () => {
    const found = await findings(mutate("media-r2dev-off", (p) => { p.enabled = true; }), "r2-buckets-private");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/jewelry-media is public/);
  });
  it("refuses a stack without an R2 bucket", async () => {
    const found = await findings(baselineLater().filter((r) => r.name !== "media-bucket"), "r2-buckets-private");
    expect(found[0].message).toMatch(/No Cloudflare R2 bucket/);
  });
});

describe("storage-keys-scoped", () => {
  it("accepts a one-bucket R2 token and a bucket-scoped B2 key", async () => {
    expect(await findings(baselineLater(), "storage-keys-scoped")).toEqual([]);
  });
  it("refuses an R2 token granted on the whole account", async () => {
    const found = await findings(mutate("media-token", (p) => {
      (p.policies as { resources: string }[])[0].resources = JSON.stringify({ "com.cloudflare.api.account.0123456789abcdef0123456789abcdef": "*" });
    }), "storage-keys-scoped");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/account-wide/);
  });
  describe("the token an app container's credentials come from", () => {
    /** web stores media in `bucket` with credentials computed from media-token, as the program delivers them. */
    const holding = (bucket: string, tokenResources?: string) => baselineLater().map((r) => {
      if (r.name === "app-web") {
        const props = r.props as { envs: string[]; uploads: { file: string; content: string }[] };
        return {
          ...r,
          props: { ...props, envs: [...props.envs, `AWS_STORAGE_BUCKET_NAME=${bucket}`], uploads: [...props.uploads, { file: "/run/secrets/AWS_ACCESS_KEY_ID", content: "token-id" }] },
          propertyDependencies: { ...r.propertyDependencies, uploads: ["media-token"] },
        };
      }
      if (r.name === "media-token" && tokenResources !== undefined) {
        const props = r.props as { policies: Record<string, unknown>[] };
        return { ...r, props: { ...props, policies: [{ ...props.policies[0], resources: tokenResources }] } };
      }
      return r;
    });
    const bucketKey = (bucket: string) => JSON.stringify({ [`com.cloudflare.edge.r2.bucket.0123456789abcdef0123456789abcdef_default_${bucket}`]: "*" });

    it("accepts a token scoped to the bucket the app names", async () => {
      expect(await findings(holding("jewelry-media"), "storage-keys-scoped")).toEqual([]);
    });
    it("refuses a token scoped to another bucket than AWS_STORAGE_BUCKET_NAME", async () => {
      const found = await findings(holding("jewelry-media", bucketKey("jewelry-backups")), "storage-keys-scoped");
      expect(found.map((f) => f.message.split("\n").pop())).toEqual([
        "Container jewelry-web stores media in R2 bucket jewelry-media with the credentials of API token media-token, which grants jewelry-backups instead: the app reaches a bucket that is not its own.",
      ]);
      const named = await findings(holding("jewelry-backups"), "storage-keys-scoped");
      expect(named[0].message).toMatch(/stores media in R2 bucket jewelry-backups with the credentials of API token media-token, which grants jewelry-media instead/);
    });
  });
  it("refuses a B2 key that can manage keys", async () => {
    const found = await findings(mutate("b2-backup-key", (p) => { p.capabilities = ["listFiles", "readFiles", "writeKeys"]; }), "storage-keys-scoped");
    expect(found[0].message).toMatch(/writeKeys/);
  });
  it("refuses a B2 key without a bucket", async () => {
    const found = await findings(mutate("b2-backup-key", (p) => { p.bucketId = null; }), "storage-keys-scoped");
    expect(found[0].message).toMatch(/not restricted to a bucket/);
  });
});

describe("b2-backup-bucket", () => {
  it("accepts a bucket with lifecycle retention", async () => {
    expect(await findings(baselineLater(), "b2-backup-bucket")).toEqual([]);
  });
  it("refuses a bucket without retention", async () => {
    const found = await findings(mutate("b2-backups", (p) => { p.retentionDays = 0; }), "b2-backup-bucket");
    expect(found).toHaveLength(1);
  });
  it("refuses a deployed bucket that became public", async () => {
    const found = await findings(mutate("b2-backups", (p) => { p.bucketType = "allPublic"; }), "b2-backup-bucket");
    expect(found[0].message).toMatch(/allPublic/);
  });
});

describe("storage-keys-scoped: what every key can do", () => {
  it("refuses an R2 token that also grants bucket administration or another service", async () => {
    const admin = await findings(mutate("media-token", (p) => {
      (p.policies as { permissionGroups: { id: string }[] }[])[0].permissionGroups.push({ id: "bf7481a1826f439697cb59a20b22293e" });
    }), "storage-keys-scoped");
    expect(admin.map((f) => f.message.split("\n").pop())).toEqual([expect.stringMatching(/grants more than object access in its bucket \(permission groups bf7481a1826f439697cb59a20b22293e\)/)]);
  });
  it("refuses a B2 key with any write or delete capability beyond files", async () => {
    const found = await findings(mutate("b2-backup-key", (p) => { p.capabilities = ["listFiles", "readFiles", "writeFiles", "writeBucketLogging"]; }), "storage-keys-scoped");
    expect(found[0].message).toMatch(/capabilities it must not: writeBucketLogging/);
  });
});

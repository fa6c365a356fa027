// Backblaze B2 dynamic providers against a LOCAL STAND-IN of the B2 native API (tests/b2/b2-standin.ts).
// This is the only part of the backup work tested against a stand-in rather than the real service:
// there is no network here. The stand-in follows B2's documented request/response shapes, so these
// tests prove our handling of them (retries, re-authorization, errors, idempotency, key scoping),
// not B2's behaviour itself.
import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { B2Client, isB2ApiError } from "../../components/b2/b2-client";
import {
  B2_BUCKET_SECRET_OUTPUTS, B2Bucket, b2BucketProvider, type B2BucketInputs, type B2BucketOutputs,
} from "../../components/b2/bucket-provider";
import {
  B2ApplicationKey, b2KeyProvider, PGBACKREST_B2_CAPABILITIES,
  type B2KeyInputs, type B2KeyOutputs,
} from "../../components/b2/key-provider";
import { B2StandIn } from "./b2-standin";

let b2: B2StandIn;
let seq = 0;

beforeAll(async () => {
  b2 = await new B2StandIn().start();
});
afterAll(async () => {
  await b2.stop();
});
beforeEach(() => {
  b2.clearInjections();
  b2.requests.length = 0;
});

async function bucketInputs(overrides: Partial<B2BucketInputs> = {}): Promise<B2BucketInputs> {
  const news = {
    adminKeyId: b2.masterKeyId,
    adminApplicationKey: b2.masterKey,
    apiBaseUrl: b2.baseUrl,
    bucketName: `jewelry-backups-${++seq}`,
    retentionDays: 30,
    fileLock: null,
    adoptBucketId: null,
    ...overrides,
  };
  const checked = await b2BucketProvider.check!({} as B2BucketInputs, news);
  expect(checked.failures ?? []).toEqual([]);
  return checked.inputs as B2BucketInputs;
}

function matchingSettings() {
  return {
    defaultServerSideEncryption: { isClientAuthorizedToRead: true, value: { mode: "SSE-B2" as const, algorithm: "AES256" as const } },
    lifecycleRules: [{ fileNamePrefix: "", daysFromHidingToDeleting: 30, daysFromUploadingToHiding: null }],
  };
}

async function keyInputs(bucketId: string, overrides: Partial<B2KeyInputs> = {}): Promise<B2KeyInputs> {
  const news = {
    adminKeyId: b2.masterKeyId,
    adminApplicationKey: b2.masterKey,
    apiBaseUrl: b2.baseUrl,
    bucketId,
    keyName: `pgbackrest-${++seq}`,
    namePrefix: null,
    ...overrides,
  } as B2KeyInputs;
  const checked = await b2KeyProvider.check!({} as B2KeyInputs, news);
  expect(checked.failures ?? []).toEqual([]);
  return checked.inputs as B2KeyInputs;
}

function fastClient(maxRetries = 2): B2Client {
  return new B2Client({ keyId: b2.masterKeyId, applicationKey: b2.masterKey }, {
    baseUrl: b2.baseUrl, maxRetries, initialBackoffMs: 5,
  });
}

describe("B2 bucket provider", () => {
  it("creates a private SSE-B2 bucket whose lifecycle keeps deleted versions retentionDays", async () => {
    const inputs = await bucketInputs({ retentionDays: 14 });
    const { id, outs } = await b2BucketProvider.create(inputs);
    const live = b2.buckets.get(id)!;
    expect(live.bucketType).toBe("allPrivate");
    expect(live.defaultServerSideEncryption.value).toEqual({ mode: "SSE-B2", algorithm: "AES256" });
    expect(live.lifecycleRules).toEqual([{ fileNamePrefix: "", daysFromHidingToDeleting: 14, daysFromUploadingToHiding: null }]);
    expect(outs).toMatchObject({ bucketId: id, bucketType: "allPrivate", fileLockEnabled: false, accountId: b2.accountId });
  });

  it("reads the live bucket and reports a deleted one as gone", async () => {
    const { id, outs } = await b2BucketProvider.create(await bucketInputs());
    const read = await b2BucketProvider.read!(id, outs);
    expect(read.id).toBe(id);
    expect(read.props?.lifecycleRules).toEqual(outs?.lifecycleRules);
    b2.buckets.delete(id);
    expect((await b2BucketProvider.read!(id, outs)).id).toBe("");
  });

  it("replaces on a name change and updates retention in place", async () => {
    const inputs = await bucketInputs();
    const { id, outs } = await b2BucketProvider.create(inputs);
    const olds = outs as B2BucketOutputs;
    const renamed = await b2BucketProvider.diff!(id, olds, { ...inputs, bucketName: `${inputs.bucketName}-x` });
    expect(renamed).toMatchObject({ changes: true, replaces: ["bucketName"] });
    const unchanged = await b2BucketProvider.diff!(id, olds, inputs);
    expect(unchanged).toMatchObject({ changes: false, replaces: [] });
    const longer = { ...inputs, retentionDays: 60 };
    expect(await b2BucketProvider.diff!(id, olds, longer)).toMatchObject({ changes: true, replaces: [] });
    const updated = await b2BucketProvider.update!(id, olds, longer);
    expect(b2.buckets.get(id)!.lifecycleRules[0].daysFromHidingToDeleting).toBe(60);
    expect(updated.outs?.revision).toBeGreaterThan(olds.revision);
  });

  it("repairs drift found by refresh with an in-place update", async () => {
    const inputs = await bucketInputs();
    const { id } = await b2BucketProvider.create(inputs);
    b2.buckets.get(id)!.bucketType = "allPublic";
    const refreshed = await b2BucketProvider.read!(id, { ...inputs } as B2BucketOutputs);
    const diff = await b2BucketProvider.diff!(id, refreshed.props!, inputs);
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    await b2BucketProvider.update!(id, refreshed.props!, inputs);
    expect(b2.buckets.get(id)!.bucketType).toBe("allPrivate");
  });

  it("enables file lock with a default retention and refuses to turn it off", async () => {
    const inputs = await bucketInputs({ fileLock: { mode: "governance", days: 7 } });
    const { id, outs } = await b2BucketProvider.create(inputs);
    const lock = b2.buckets.get(id)!.fileLockConfiguration.value!;
    expect(lock.isFileLockEnabled).toBe(true);
    expect(lock.defaultRetention).toEqual({ mode: "governance", period: { duration: 7, unit: "days" } });
    expect(outs?.fileLockEnabled).toBe(true);
    const off = await b2BucketProvider.check!(inputs, { ...inputs, fileLock: null });
    expect(off.failures).toEqual([{ property: "fileLock", reason: "B2 cannot turn file lock off once it is on" }]);
  });

  it("rejects names B2 would refuse before calling the API", async () => {
    const checked = await b2BucketProvider.check!({} as B2BucketInputs, {
      ...(await bucketInputs()), bucketName: "b2-x_y", retentionDays: 0,
    });
    expect(checked.failures?.map((f) => f.property)).toEqual(["bucketName", "bucketName", "retentionDays"]);
  });

  it("refuses an existing bucket of this account that it did not create, naming it and the way to adopt it", async () => {
    const inputs = await bucketInputs();
    const seeded = b2.seedBucket(inputs.bucketName, matchingSettings());
    const failure = await b2BucketProvider.create(inputs).then(() => "created", (e: Error) => e.message);
    expect(failure).toContain(`B2 bucket "${inputs.bucketName}" (id ${seeded.bucketId}) already exists in this account and was not created by this resource`);
    expect(failure).toContain(`pulumi config set --path jewelry-shop:b2.adoptBucketId ${seeded.bucketId}`);
    expect(b2.requests).not.toContain("POST b2_create_bucket");
    expect(b2.requests).not.toContain("POST b2_update_bucket");
  });

  it("adopts an existing bucket only by the id the operator confirmed, and only when it already matches", async () => {
    const inputs = await bucketInputs();
    const seeded = b2.seedBucket(inputs.bucketName, matchingSettings());
    await expect(b2BucketProvider.create({ ...inputs, adoptBucketId: "bktSomeOtherBucket" })).rejects.toThrow(/was not created by this resource/);
    const { id } = await b2BucketProvider.create({ ...inputs, adoptBucketId: seeded.bucketId });
    expect(id).toBe(seeded.bucketId);
    expect(b2.requests).not.toContain("POST b2_create_bucket");

    const other = await bucketInputs();
    const publicOne = b2.seedBucket(other.bucketName, { bucketType: "allPublic" });
    await expect(b2BucketProvider.create({ ...other, adoptBucketId: publicOne.bucketId }))
      .rejects.toThrow(/may be adopted but has other settings \(bucketType is allPublic/);
  });

  it("fails clearly when another account owns the name", async () => {
    const inputs = await bucketInputs();
    b2.foreignBucketNames.add(inputs.bucketName);
    await expect(b2BucketProvider.create(inputs)).rejects.toThrow(
      /belongs to another account.*400 duplicate_bucket_name: Bucket name is already in use/,
    );
  });

  it("deletes the bucket and treats a second delete as done", async () => {
    const inputs = await bucketInputs();
    const { id, outs } = await b2BucketProvider.create(inputs);
    await b2BucketProvider.delete!(id, outs!);
    expect(b2.buckets.has(id)).toBe(false);
    await expect(b2BucketProvider.delete!(id, outs!)).resolves.toBeUndefined();
  });

  it("does not delete a bucket that still holds backups", async () => {
    const { id, outs } = await b2BucketProvider.create(await bucketInputs());
    b2.buckets.get(id)!.bucketInfo.standinFileCount = "3";
    await expect(b2BucketProvider.delete!(id, outs!)).rejects.toThrow(/cannot_delete_non_empty_bucket/);
  });
});

describe("B2 client resilience", () => {
  it("retries 429 honouring Retry-After and 503 with backoff, then succeeds", async () => {
    b2.injectTooManyRequests("b2_create_bucket", 1, 1);
    b2.injectServiceUnavailable("b2_create_bucket", 1);
    const started = Date.now();
    const { id } = await b2BucketProvider.create(await bucketInputs());
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(b2.buckets.has(id)).toBe(true);
    expect(b2.requests.filter((r) => r === "POST b2_create_bucket")).toHaveLength(3);
  });

  it("re-authorizes once when the token expired", async () => {
    const client = fastClient();
    await client.authorize();
    b2.expireAllTokens();
    b2.requests.length = 0;
    await client.listBuckets();
    expect(b2.requests).toEqual(["POST b2_list_buckets", "GET b2_authorize_account", "POST b2_list_buckets"]);
  });

  it("surfaces B2's status, code and message on a persistent error", async () => {
    b2.injectError("b2_list_buckets", 400, "bad_request", "bucketTypes invalid");
    const failure = await fastClient().listBuckets().catch((e: unknown) => e);
    expect(isB2ApiError(failure)).toBe(true);
    expect(failure).toMatchObject({ status: 400, code: "bad_request", b2Message: "bucketTypes invalid" });
    expect((failure as Error).message).toBe("b2_list_buckets failed: 400 bad_request: bucketTypes invalid");
  });

  it("gives up on a 503 that never clears, reporting it", async () => {
    b2.injectServiceUnavailable("b2_list_keys", Infinity);
    await expect(fastClient(2).listKeys()).rejects.toThrow("b2_list_keys failed: 503 service_unavailable");
    expect(b2.requests.filter((r) => r === "POST b2_list_keys")).toHaveLength(3);
  });

  it("refuses a wrong application key with B2's unauthorized code", async () => {
    const client = new B2Client({ keyId: b2.masterKeyId, applicationKey: "wrong" }, { baseUrl: b2.baseUrl });
    await expect(client.authorize()).rejects.toMatchObject({ status: 401, code: "unauthorized" });
  });
});

describe("B2 application key provider", () => {
  it("creates a key scoped to one bucket with exactly the pgBackRest capabilities", async () => {
    const bucket = await b2BucketProvider.create(await bucketInputs());
    const { id, outs } = await b2KeyProvider.create(await keyInputs(bucket.id, { namePrefix: "pgbackrest/" }));
    const stored = b2.keys.get(id)!;
    expect(stored.bucketId).toBe(bucket.id);
    expect(stored.namePrefix).toBe("pgbackrest/");
    expect([...stored.capabilities].sort()).toEqual(["deleteFiles", "listBuckets", "listFiles", "readFiles", "writeFiles"]);
    expect(outs?.applicationKey).toBe(stored.applicationKey);
    // The new key authenticates, sees only its bucket and cannot manage buckets or keys.
    const asBackupJob = new B2Client({ keyId: id, applicationKey: outs!.applicationKey }, { baseUrl: b2.baseUrl });
    const auth = await asBackupJob.authorize();
    expect([...auth.capabilities].sort()).toEqual([...PGBACKREST_B2_CAPABILITIES].sort());
    expect((await asBackupJob.listBuckets({ bucketId: bucket.id })).map((b) => b.bucketId)).toEqual([bucket.id]);
    await expect(asBackupJob.createBucket({ bucketName: "someone-elses", bucketType: "allPrivate" }))
      .rejects.toMatchObject({ status: 401, code: "unauthorized" });
    await expect(asBackupJob.listKeys()).rejects.toMatchObject({ status: 401 });
  });

  it("refuses capabilities that could weaken the bucket or reach other keys", async () => {
    const checked = await b2KeyProvider.check!({} as B2KeyInputs, {
      ...(await keyInputs("bkt1")), capabilities: ["readFiles", "bypassGovernance", "writeKeys"],
    });
    expect(checked.failures).toEqual([
      { property: "capabilities", reason: "not allowed on a backup key: bypassGovernance, writeKeys" },
    ]);
  });

  it("replaces on any key change and updates only for new admin credentials", async () => {
    const bucket = await b2BucketProvider.create(await bucketInputs());
    const inputs = await keyInputs(bucket.id);
    const { id, outs } = await b2KeyProvider.create(inputs);
    const olds = outs as B2KeyOutputs;
    expect(await b2KeyProvider.diff!(id, olds, inputs)).toMatchObject({ changes: false, replaces: [] });
    expect(await b2KeyProvider.diff!(id, olds, { ...inputs, capabilities: ["listFiles", "readFiles"] }))
      .toMatchObject({ changes: true, replaces: ["capabilities"] });
    expect(await b2KeyProvider.diff!(id, olds, { ...inputs, namePrefix: "x/", keyName: "other" }))
      .toMatchObject({ changes: true, replaces: ["keyName", "namePrefix"] });
    const rotatedAdmin = { ...inputs, adminApplicationKey: "rotated" };
    expect(await b2KeyProvider.diff!(id, olds, rotatedAdmin)).toMatchObject({ changes: true, replaces: [] });
    const updated = await b2KeyProvider.update!(id, olds, rotatedAdmin);
    expect(updated.outs).toMatchObject({ applicationKeyId: id, applicationKey: olds.applicationKey, adminApplicationKey: "rotated" });
  });

  it("reads the key back keeping the secret, and deletes it idempotently", async () => {
    const bucket = await b2BucketProvider.create(await bucketInputs());
    const { id, outs } = await b2KeyProvider.create(await keyInputs(bucket.id));
    const read = await b2KeyProvider.read!(id, outs!);
    expect(read).toMatchObject({ id, props: { applicationKey: outs!.applicationKey, bucketId: bucket.id } });
    await b2KeyProvider.delete!(id, outs!);
    expect(b2.keys.has(id)).toBe(false);
    await expect(b2KeyProvider.delete!(id, outs!)).resolves.toBeUndefined();
    expect((await b2KeyProvider.read!(id, outs!)).id).toBe("");
  });
});

describe("B2 resources as the program registers them", () => {
  it("keeps admin credentials and the new application key secret in state", async () => {
    await pulumi.runtime.setMocks({
      newResource: (args) => ({ id: `${args.name}-id`, state: { ...args.inputs, bucketId: "bkt-mock" } }),
      call: () => {
        throw new Error("no calls expected");
      },
    }, "project", "stack", false);
    // The mock monitor ignores additionalSecretOutputs (the engine applies them): record what is sent.
    interface RegisterRequest { getName(): string; getAdditionalsecretoutputsList(): string[] }
    const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: RegisterRequest, cb: unknown): void };
    const secretOutputs = new Map<string, string[]>();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
      secretOutputs.set(req.getName(), req.getAdditionalsecretoutputsList());
      register(req, cb);
    };
    const bucket = new B2Bucket("backups", {
      adminKeyId: "kid", adminApplicationKey: "ksecret", bucketName: "jewelry-backups", retentionDays: 30,
    });
    const key = new B2ApplicationKey("pgbackrest", {
      adminKeyId: "kid", adminApplicationKey: "ksecret", bucketId: bucket.bucketId, keyName: "pgbackrest",
    });
    expect(await new Promise((resolve) => key.bucketId.apply(resolve))).toBe("bkt-mock");
    expect(secretOutputs.get("backups")).toEqual(expect.arrayContaining(["adminKeyId", "adminApplicationKey"]));
    expect(secretOutputs.get("pgbackrest")).toEqual(
      expect.arrayContaining(["applicationKey", "adminKeyId", "adminApplicationKey"]),
    );
    const outputsOf = (r: pulumi.Resource) => r as unknown as Record<string, pulumi.Output<unknown>>;
    for (const name of B2_BUCKET_SECRET_OUTPUTS) expect(await pulumi.isSecret(outputsOf(bucket)[name])).toBe(true);
    expect(await pulumi.isSecret(key.applicationKeyId)).toBe(false);
  });
});

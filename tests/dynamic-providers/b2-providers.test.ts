// The Backblaze B2 bucket and key providers as a real `pulumi up` runs them: serialized by the SDK,
// loaded by Pulumi's dynamic-provider host and driven over gRPC in the engine's order, against the
// local B2 stand-in (tests/b2/b2-standin.ts). What the engine would print is the gRPC status details.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { JsonObject } from "../../check/json";
import { B2StandIn } from "../b2/b2-standin";
import { DynamicResource } from "./dynamic-resource";
import {
  ProviderRpcError, serializeProviders, startProviderHost, UNKNOWN, type ProviderHost, type SerializedProvider,
} from "./provider-host";

const BUCKET_TYPE = "pulumi-nodejs:dynamic/b2:Bucket";
const KEY_TYPE = "pulumi-nodejs:dynamic/b2:ApplicationKey";

let b2: B2StandIn;
let host: ProviderHost;
let bucketProvider: SerializedProvider;
let keyProvider: SerializedProvider;
let seq = 0;

beforeAll(async () => {
  let providers: SerializedProvider[];
  [b2, host, providers] = await Promise.all([
    new B2StandIn().start(),
    startProviderHost(),
    serializeProviders([
      { modulePath: "components/b2/bucket-provider.ts", exportName: "b2BucketProvider" },
      { modulePath: "components/b2/key-provider.ts", exportName: "b2KeyProvider" },
    ]),
  ]);
  [bucketProvider, keyProvider] = providers;
});
afterAll(async () => {
  await host?.stop();
  await b2?.stop();
});
beforeEach(() => {
  b2.clearInjections();
  b2.requests.length = 0;
});

const admin = (): JsonObject => ({ adminKeyId: b2.masterKeyId, adminApplicationKey: b2.masterKey, apiBaseUrl: b2.baseUrl });
const bucketInputs = (overrides: JsonObject = {}): JsonObject =>
  ({ ...admin(), bucketName: `jewelry-shop-test-${++seq}-b2`, retentionDays: 35, fileLock: null, adoptBucketId: null, ...overrides });
const bucketResource = (stack = "test") => new DynamicResource(host, { type: BUCKET_TYPE, name: "b2-bucket", provider: bucketProvider, stack });
const keyResource = () => new DynamicResource(host, { type: KEY_TYPE, name: "b2-backup-key", provider: keyProvider });
const keyInputs = (bucketId: string, overrides: JsonObject = {}): JsonObject =>
  ({ ...admin(), bucketId, keyName: `jewelry-shop-test-${++seq}-pgbackrest`, namePrefix: null, ...overrides });

/** The text the engine receives for a failed call: the gRPC status details. */
async function engineMessage(action: Promise<unknown>): Promise<string> {
  const failure = await action.then(() => undefined, (error: unknown) => error);
  if (!(failure instanceof ProviderRpcError)) throw new Error(`expected a failed provider call, got ${String(failure)}`);
  return failure.details;
}

describe("B2 bucket and key through the dynamic-provider host", () => {
  it("creates, reads, diffs, updates, replaces and deletes in the engine's order", async () => {
    const bucket = bucketResource();
    const inputs = bucketInputs();
    expect(await bucket.up(inputs)).toBe("create");
    const bucketId = String(bucket.state!.outputs.bucketId);
    expect(b2.buckets.get(bucketId)).toMatchObject({ bucketType: "allPrivate", bucketName: inputs.bucketName });
    expect(bucket.state!.outputs.__provider).toBe(bucketProvider.text);

    const key = keyResource();
    expect(await key.up(keyInputs(bucketId))).toBe("create");
    const keyId = String(key.state!.id);
    expect(b2.keys.get(keyId)?.bucketId).toBe(bucketId);

    expect(await bucket.preview(inputs)).toBe("same");
    expect(await bucket.refresh()).toBe("same");
    expect(await bucket.up({ ...inputs, retentionDays: 60 })).toBe("update");
    expect(b2.buckets.get(bucketId)!.lifecycleRules[0].daysFromHidingToDeleting).toBe(60);

    // B2 keys are immutable: a new capability set creates the new key, then deletes the old one.
    expect(await key.up({ ...key.state!.inputs, capabilities: ["listBuckets", "listFiles", "readFiles"] })).toBe("replace");
    expect(b2.keys.has(keyId)).toBe(false);
    expect(b2.keys.get(String(key.state!.id))?.capabilities).toEqual(["listBuckets", "listFiles", "readFiles"]);

    await key.destroy();
    await bucket.destroy();
    expect(b2.keys.size + [...b2.buckets.values()].filter((b) => b.bucketId === bucketId).length).toBe(0);
  });

  it("previews a first deployment whose key waits for the bucket's id", async () => {
    expect(await bucketResource().preview(bucketInputs())).toBe("create");
    expect(await keyResource().preview(keyInputs(UNKNOWN))).toBe("create");
    expect(b2.requests).toEqual([]);
  });

  it("hands B2's error answers to the engine whole", async () => {
    const bucket = bucketResource();
    await bucket.up(bucketInputs());
    b2.injectError("b2_list_buckets", 400, "bad_request", "bucketTypes invalid");
    expect(await engineMessage(bucket.refresh())).toBe("b2_list_buckets failed: 400 bad_request: bucketTypes invalid");
    b2.clearInjections();

    const foreign = bucketInputs();
    b2.foreignBucketNames.add(String(foreign.bucketName));
    expect(await engineMessage(bucketResource().up(foreign))).toBe(`B2 bucket name "${String(foreign.bucketName)}" belongs to ` +
      "another account (names are global): choose another name. b2_create_bucket failed: 400 duplicate_bucket_name: Bucket name is already in use.");

    b2.buckets.get(String(bucket.state!.id))!.bucketInfo.standinFileCount = "12";
    expect(await engineMessage(bucket.destroy())).toBe("b2_delete_bucket failed: 400 cannot_delete_non_empty_bucket: Cannot delete non-empty bucket");

    const wrongAdmin = keyInputs(String(bucket.state!.id), { adminApplicationKey: "not-the-key" });
    expect(await engineMessage(keyResource().up(wrongAdmin))).toBe("b2_authorize_account failed: 401 unauthorized: invalid application key id or key");
  });

  it("refuses to take over a bucket it did not create, naming it and how to adopt it, and touches nothing", async () => {
    const production = bucketResource("production");
    const inputs = bucketInputs();
    await production.up(inputs);
    const existing = b2.buckets.get(String(production.state!.id))!;
    const revision = existing.revision;

    // A second stack given the same name and settings, as a copied stack file would give it.
    const staging = bucketResource("staging");
    const message = await engineMessage(staging.up(inputs));
    expect(message).toContain(`B2 bucket "${String(inputs.bucketName)}" (id ${existing.bucketId}) already exists in this account and was not created by this resource`);
    expect(message).toContain("Pulumi cannot `pulumi import` a dynamic-provider resource");
    expect(message).toContain(`pulumi config set --path jewelry-shop:b2.adoptBucketId ${existing.bucketId}`);
    expect(staging.state).toBeUndefined();
    expect(existing.revision).toBe(revision);
    expect(existing.lifecycleRules[0].daysFromHidingToDeleting).toBe(35);

    // With the operator's confirmation by id, and settings that already match, it is adopted unchanged.
    const adopting = bucketResource("replacement");
    expect(await adopting.up({ ...inputs, adoptBucketId: existing.bucketId })).toBe("create");
    expect(adopting.state!.id).toBe(existing.bucketId);
    expect(existing.revision).toBe(revision);
  });

  it("removes the bucket a failed create just made, so the retry is not refused as someone else's", async () => {
    const inputs = bucketInputs({ fileLock: { mode: "governance", days: 7 } });
    b2.injectError("b2_update_bucket", 409, "conflict", "ifRevisionMatch does not match the bucket's revision", 1);
    const bucket = bucketResource();
    expect(await engineMessage(bucket.up(inputs))).toBe("b2_update_bucket failed: 409 conflict: ifRevisionMatch does not match the bucket's revision");
    expect([...b2.buckets.values()].some((b) => b.bucketName === inputs.bucketName)).toBe(false);
    expect(await bucket.up(inputs)).toBe("create");
    expect(b2.buckets.get(String(bucket.state!.id))!.fileLockConfiguration.value?.isFileLockEnabled).toBe(true);
  });

  it("refuses to read a key it did not create, whose secret B2 never shows again", async () => {
    const bucket = bucketResource();
    await bucket.up(bucketInputs());
    const key = keyResource();
    await key.up(keyInputs(String(bucket.state!.id)));
    // What `B2ApplicationKey.get(name, id)` or an adoption hands the provider: inputs, never the secret.
    const { id, inputs } = key.state!;
    const message = await engineMessage(host.read(key.ref, id, inputs, inputs));
    expect(message).toContain(`B2 application key ${id} was not created by this resource, and B2 never shows a key's secret again`);
  });

  it("cannot be imported: the engine's import Read carries no serialized provider for the host to load", async () => {
    // pkg/resource/deploy/step.go ImportStep: Read with the import id, no properties and no inputs. The
    // host fails before any provider code runs (how it words it depends on the SDK version).
    const message = await engineMessage(host.read(bucketResource().ref, "bkt0123456789", undefined, undefined));
    expect(message).toMatch(/^(code must be a string, not undefined|Cannot read properties of undefined \(reading 'toJavaScript'\))$/);
    expect(b2.requests).toEqual([]);
  });
});

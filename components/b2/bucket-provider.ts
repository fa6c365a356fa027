// A private, encrypted Backblaze B2 bucket for database backups, as a Pulumi dynamic provider
// (no B2 provider is published on npm). Pulumi serializes `b2BucketProvider` with everything it
// references (the B2 client included) into the state, so this module keeps the provider's
// dependencies to b2-client.ts, which itself imports nothing.
import * as pulumi from "@pulumi/pulumi";
import {
  B2_DEFAULT_API_BASE_URL, b2ClientFor, isB2ApiError, isB2NotFound,
  type B2AdminInputs, type B2Client, type B2BucketInfo, type B2DefaultRetention, type B2EncryptionSetting,
  type B2LifecycleRule, type B2RetentionMode,
} from "./b2-client";
import { containsUnknown, isUnknown } from "../dynamic/unknowns";

export interface B2FileLock {
  /** governance: a key with bypassGovernance may still delete; compliance: nobody can until expiry. */
  mode: B2RetentionMode;
  /** Every uploaded file version is undeletable for this many days. */
  days: number;
}

/** Provider inputs once Pulumi has resolved them. */
export interface B2BucketInputs extends B2AdminInputs {
  bucketName: string;
  retentionDays: number;
  fileLock: B2FileLock | null;
  /**
   * The id of an existing bucket of this name that the operator confirms this resource may take over.
   * Create refuses any other existing bucket: it was not created here and may hold another stack's data.
   */
  adoptBucketId: string | null;
}

export interface B2BucketOutputs extends B2BucketInputs {
  bucketId: string;
  accountId: string;
  bucketType: string;
  lifecycleRules: B2LifecycleRule[];
  defaultServerSideEncryption: B2EncryptionSetting;
  fileLockEnabled: boolean;
  revision: number;
}

interface DesiredBucketSettings {
  bucketType: "allPrivate";
  lifecycleRules: B2LifecycleRule[];
  defaultServerSideEncryption: B2EncryptionSetting;
  fileLockEnabled: boolean;
  defaultRetention: B2DefaultRetention | null;
}

export const B2_SSE_DEFAULT: B2EncryptionSetting = { mode: "SSE-B2", algorithm: "AES256" };

/**
 * Lifecycle rules for a pgBackRest repository. pgBackRest's own repo-retention-* decides which
 * backups are live and deletes the rest; on B2 a delete only HIDES a file version. The rule keeps a
 * hidden (deleted or overwritten) version `retentionDays` as an undo window, then purges it.
 * daysFromUploadingToHiding stays null on purpose: pgBackRest writes archive.info once at
 * stanza-create, so hiding by upload age would break archive-push and orphan live backup chains.
 */
export function retentionLifecycleRules(retentionDays: number): B2LifecycleRule[] {
  return [{ fileNamePrefix: "", daysFromHidingToDeleting: retentionDays, daysFromUploadingToHiding: null }];
}

export function desiredBucketSettings(inputs: B2BucketInputs): DesiredBucketSettings {
  return {
    bucketType: "allPrivate",
    lifecycleRules: retentionLifecycleRules(inputs.retentionDays),
    defaultServerSideEncryption: B2_SSE_DEFAULT,
    fileLockEnabled: inputs.fileLock !== null,
    defaultRetention: inputs.fileLock
      ? { mode: inputs.fileLock.mode, period: { duration: inputs.fileLock.days, unit: "days" } }
      : null,
  };
}

/** Settings of a live bucket that differ from the desired ones (empty when it matches). */
export function bucketDrift(bucket: B2BucketInfo, desired: DesiredBucketSettings): string[] {
  const drift: string[] = [];
  if (bucket.bucketType !== desired.bucketType) drift.push(`bucketType is ${bucket.bucketType}`);
  const sse = bucket.defaultServerSideEncryption.value;
  if (sse?.mode !== "SSE-B2" || sse.algorithm !== "AES256") drift.push("default encryption is not SSE-B2/AES256");
  if (canonical(bucket.lifecycleRules) !== canonical(desired.lifecycleRules)) drift.push("lifecycle rules differ");
  const lock = bucket.fileLockConfiguration.value;
  if ((lock?.isFileLockEnabled ?? false) !== desired.fileLockEnabled) drift.push("file lock setting differs");
  if (desired.defaultRetention && canonical(lock?.defaultRetention) !== canonical(desired.defaultRetention)) {
    drift.push("default retention differs");
  }
  return drift;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).sort().join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${k}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** B2's documented bucket-name rules, checked before any API call. */
export function bucketNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (name.length < 6 || name.length > 63) problems.push("must be 6-63 characters");
  if (!/^[A-Za-z0-9-]*$/.test(name)) problems.push("may contain only letters, digits and '-'");
  if (/^b2-/i.test(name)) problems.push("must not start with 'b2-'");
  return problems;
}

function outputsOf(inputs: B2BucketInputs, bucket: B2BucketInfo): B2BucketOutputs {
  return {
    ...inputs,
    bucketId: bucket.bucketId,
    accountId: bucket.accountId,
    bucketType: bucket.bucketType,
    lifecycleRules: bucket.lifecycleRules,
    defaultServerSideEncryption: bucket.defaultServerSideEncryption.value ?? { mode: null },
    fileLockEnabled: bucket.fileLockConfiguration.value?.isFileLockEnabled ?? false,
    revision: bucket.revision,
  };
}

function inputsOf(props: B2BucketInputs): B2BucketInputs {
  const { adminKeyId, adminApplicationKey, apiBaseUrl, bucketName, retentionDays, fileLock, adoptBucketId } = props;
  return { adminKeyId, adminApplicationKey, apiBaseUrl, bucketName, retentionDays, fileLock: fileLock ?? null, adoptBucketId: adoptBucketId ?? null };
}

/**
 * Why an existing bucket is not simply taken over, and the two ways on. `pulumi import` cannot help:
 * the engine's import Read carries no serialized provider, so a dynamic resource cannot be imported
 * (pulumi/pulumi#16175); adoptBucketId is this provider's explicit, per-bucket consent instead.
 */
export function notCreatedHereMessage(bucket: Pick<B2BucketInfo, "bucketName" | "bucketId">): string {
  return `B2 bucket "${bucket.bucketName}" (id ${bucket.bucketId}) already exists in this account and was not created by this ` +
    "resource: refusing to manage it, since it may hold another stack's backups. Pulumi cannot `pulumi import` a " +
    "dynamic-provider resource (pulumi/pulumi#16175). If this stack is meant to own that bucket, confirm it by id: " +
    `\`pulumi config set --path jewelry-shop:b2.adoptBucketId ${bucket.bucketId}\` and run \`pulumi up\` again. ` +
    "Otherwise give this stack a bucket of its own: `pulumi config set --path jewelry-shop:b2.bucket <name>`.";
}

/** Takes over `existing` only with the operator's consent and only when it already has our settings. */
function adopt(existing: B2BucketInfo, inputs: B2BucketInputs): { id: string; outs: B2BucketOutputs } {
  if (inputs.adoptBucketId !== existing.bucketId) throw new Error(notCreatedHereMessage(existing));
  const drift = bucketDrift(existing, desiredBucketSettings(inputs));
  if (drift.length > 0) {
    throw new Error(`B2 bucket "${inputs.bucketName}" (id ${existing.bucketId}) may be adopted but has other settings ` +
      `(${drift.join("; ")}): make it match in the B2 console first, so that adopting it changes nothing.`);
  }
  return { id: existing.bucketId, outs: outputsOf(inputs, existing) };
}

/** Deletes a bucket this create call just made, so a failed create leaves nothing a retry would refuse. */
async function removeHalfCreated(client: B2Client, bucket: B2BucketInfo, failure: unknown): Promise<never> {
  const reason = failure instanceof Error ? failure.message : String(failure);
  try {
    await client.deleteBucket(bucket.bucketId);
  } catch (cleanup) {
    throw new Error(`${reason}. The new, empty B2 bucket "${bucket.bucketName}" (id ${bucket.bucketId}) could not be ` +
      `removed either (${cleanup instanceof Error ? cleanup.message : String(cleanup)}): delete it in the B2 console, ` +
      "or adopt it with `pulumi config set --path jewelry-shop:b2.adoptBucketId " + bucket.bucketId + "`.");
  }
  throw failure;
}

const UPDATABLE_INPUTS = ["retentionDays", "fileLock", "adminKeyId", "adminApplicationKey", "apiBaseUrl"] as const;

export const b2BucketProvider: pulumi.dynamic.ResourceProvider<B2BucketInputs, B2BucketOutputs> = {
  async check(olds, news) {
    const inputs = { ...inputsOf(news), apiBaseUrl: news.apiBaseUrl || B2_DEFAULT_API_BASE_URL };
    // A preview may hand over values not computed yet: judge only what is known.
    const failures: pulumi.dynamic.CheckFailure[] = isUnknown(inputs.bucketName) ? [] : bucketNameProblems(String(inputs.bucketName ?? ""))
      .map((reason) => ({ property: "bucketName", reason: `B2 bucket name ${reason}` }));
    if (!isUnknown(inputs.retentionDays) && (!Number.isInteger(inputs.retentionDays) || inputs.retentionDays < 1)) {
      failures.push({ property: "retentionDays", reason: "retentionDays must be a whole number of days >= 1" });
    }
    if (inputs.fileLock && !containsUnknown(inputs.fileLock) && (!Number.isInteger(inputs.fileLock.days) || inputs.fileLock.days < 1)) {
      failures.push({ property: "fileLock", reason: "fileLock.days must be a whole number of days >= 1" });
    }
    if (inputs.adoptBucketId !== null && !isUnknown(inputs.adoptBucketId) && !/^\w{1,64}$/.test(String(inputs.adoptBucketId))) {
      failures.push({ property: "adoptBucketId", reason: "adoptBucketId must be a B2 bucket id (letters and digits), or unset" });
    }
    if (olds?.fileLock && !inputs.fileLock && olds.bucketName === inputs.bucketName) {
      failures.push({ property: "fileLock", reason: "B2 cannot turn file lock off once it is on" });
    }
    return { inputs, failures };
  },

  async create(inputs) {
    const client = b2ClientFor(inputs);
    const desired = desiredBucketSettings(inputs);
    const [existing] = await client.listBuckets({ bucketName: inputs.bucketName });
    if (existing) return adopt(existing, inputs);
    let bucket: B2BucketInfo;
    try {
      bucket = await client.createBucket({
        bucketName: inputs.bucketName,
        bucketType: desired.bucketType,
        lifecycleRules: desired.lifecycleRules,
        defaultServerSideEncryption: desired.defaultServerSideEncryption,
        fileLockEnabled: desired.fileLockEnabled,
      });
    } catch (error) {
      if (isB2ApiError(error) && error.code === "duplicate_bucket_name") {
        throw new Error(`B2 bucket name "${inputs.bucketName}" belongs to another account (names are global): ` +
          `choose another name. ${error.message}`);
      }
      throw error;
    }
    // b2_create_bucket takes no default retention: set it in a second, revision-checked call.
    if (desired.defaultRetention) {
      try {
        bucket = await client.updateBucket({
          bucketId: bucket.bucketId, defaultRetention: desired.defaultRetention, ifRevisionMatch: bucket.revision,
        });
      } catch (error) {
        return removeHalfCreated(client, bucket, error);
      }
    }
    return { id: bucket.bucketId, outs: outputsOf(inputs, bucket) };
  },

  async read(id, props) {
    if (!props) throw new Error("reading a B2 bucket needs the admin credentials kept in state");
    const [bucket] = await b2ClientFor(props).listBuckets({ bucketId: id });
    if (!bucket) return { id: "", props: {} as B2BucketOutputs };
    return { id, props: outputsOf(inputsOf(props), bucket) };
  },

  async diff(_id, olds, news) {
    const replaces = olds.bucketName !== news.bucketName ? ["bucketName"] : [];
    const inputsChanged = UPDATABLE_INPUTS.filter((key) => canonical(olds[key]) !== canonical(news[key]));
    // Drift found by a refresh (someone edited the bucket in the console) is repaired by an update.
    const desired = desiredBucketSettings(news);
    const drifted = olds.bucketType !== desired.bucketType ||
      canonical(olds.lifecycleRules) !== canonical(desired.lifecycleRules) ||
      canonical(olds.defaultServerSideEncryption) !== canonical(desired.defaultServerSideEncryption) ||
      olds.fileLockEnabled !== desired.fileLockEnabled;
    return { changes: replaces.length > 0 || inputsChanged.length > 0 || drifted, replaces };
  },

  async update(id, _olds, news) {
    const desired = desiredBucketSettings(news);
    const bucket = await b2ClientFor(news).updateBucket({
      bucketId: id,
      bucketType: desired.bucketType,
      lifecycleRules: desired.lifecycleRules,
      defaultServerSideEncryption: desired.defaultServerSideEncryption,
      // Only ever turn file lock on: B2 refuses to turn it off, and check() already says so.
      ...(desired.fileLockEnabled ? { fileLockEnabled: true } : {}),
      ...(desired.defaultRetention ? { defaultRetention: desired.defaultRetention } : {}),
    });
    return { outs: outputsOf(inputsOf(news), bucket) };
  },

  async delete(id, props) {
    // B2 refuses to delete a bucket that still holds files, which protects the backups in it.
    try {
      await b2ClientFor(props).deleteBucket(id);
    } catch (error) {
      if (!isB2NotFound(error)) throw error;
    }
  },
};

export interface B2BucketArgs {
  /** Key ID of a B2 key with writeBuckets/deleteBuckets (kept secret in state). */
  adminKeyId: pulumi.Input<string>;
  adminApplicationKey: pulumi.Input<string>;
  /** Globally unique; changing it replaces the bucket. */
  bucketName: pulumi.Input<string>;
  /** Days a deleted or overwritten file version stays recoverable before B2 purges it. */
  retentionDays: pulumi.Input<number>;
  /** Object lock for every new file version; cannot be turned off once on. */
  fileLock?: pulumi.Input<B2FileLock>;
  /** Defaults to https://api.backblazeb2.com. */
  apiBaseUrl?: pulumi.Input<string>;
  /** Take over the existing bucket of this name with this id (see notCreatedHereMessage). */
  adoptBucketId?: pulumi.Input<string>;
}

/** Credentials are stored encrypted: they are inputs of every later refresh/update/delete. */
export const B2_BUCKET_SECRET_OUTPUTS = ["adminKeyId", "adminApplicationKey"];

/** A private (allPrivate), SSE-B2 encrypted bucket with retention lifecycle rules. */
export class B2Bucket extends pulumi.dynamic.Resource {
  declare readonly bucketId: pulumi.Output<string>;
  declare readonly bucketName: pulumi.Output<string>;
  declare readonly accountId: pulumi.Output<string>;
  declare readonly bucketType: pulumi.Output<string>;
  declare readonly lifecycleRules: pulumi.Output<B2LifecycleRule[]>;
  declare readonly defaultServerSideEncryption: pulumi.Output<B2EncryptionSetting>;
  declare readonly fileLockEnabled: pulumi.Output<boolean>;

  constructor(name: string, args: B2BucketArgs, opts?: pulumi.CustomResourceOptions) {
    super(b2BucketProvider, name, {
      adminKeyId: pulumi.secret(args.adminKeyId),
      adminApplicationKey: pulumi.secret(args.adminApplicationKey),
      apiBaseUrl: args.apiBaseUrl ?? B2_DEFAULT_API_BASE_URL,
      bucketName: args.bucketName,
      retentionDays: args.retentionDays,
      fileLock: args.fileLock ?? null,
      adoptBucketId: args.adoptBucketId ?? null,
      bucketId: undefined,
      accountId: undefined,
      bucketType: undefined,
      lifecycleRules: undefined,
      defaultServerSideEncryption: undefined,
      fileLockEnabled: undefined,
      revision: undefined,
    }, {
      ...opts,
      additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...B2_BUCKET_SECRET_OUTPUTS],
    }, "b2", "Bucket");
  }
}

// A Backblaze B2 application key restricted to one bucket, as a Pulumi dynamic provider. B2 keys
// are immutable, so every change but the admin credentials replaces the key (create the new one,
// then delete the old one: pgBackRest can be switched over without a window with no valid key).
import * as pulumi from "@pulumi/pulumi";
import {
  B2_DEFAULT_API_BASE_URL, b2ClientFor, isB2NotFound,
  type B2AdminInputs, type B2ApplicationKeyInfo,
} from "./b2-client";
import { containsUnknown, isUnknown } from "../dynamic/unknowns";

/**
 * What pgBackRest needs through B2's S3-compatible API: listFiles (ListObjectsV2 to find backups
 * and WAL), readFiles (GetObject for info files, restore, archive-get), writeFiles (PutObject and
 * multipart uploads), deleteFiles (DeleteObject for `expire`). listBuckets, scoped to this one bucket,
 * reveals nothing else and is what S3 clients' HeadBucket needs from a bucket-restricted key.
 * Deliberately absent: shareFiles (no download URLs), anything that writes bucket settings or file
 * retention, and bypassGovernance, so a leaked backup key cannot weaken the bucket or its file lock.
 */
export const PGBACKREST_B2_CAPABILITIES = ["listBuckets", "listFiles", "readFiles", "writeFiles", "deleteFiles"];

/** Capabilities this provider allows on a bucket-scoped key (a subset of what B2 accepts there). */
export const ALLOWED_BUCKET_KEY_CAPABILITIES = [
  ...PGBACKREST_B2_CAPABILITIES, "readBuckets", "readBucketEncryption", "readBucketRetentions",
  "readFileRetentions", "readFileLegalHolds",
];

export interface B2KeyInputs extends B2AdminInputs {
  keyName: string;
  bucketId: string;
  namePrefix: string | null;
  capabilities: string[];
}

export interface B2KeyOutputs extends B2KeyInputs {
  applicationKeyId: string;
  applicationKey: string;
  accountId: string;
}

/** Changing any of these needs a new key: B2 has no call that edits one. */
const KEY_DEFINING_INPUTS = ["keyName", "bucketId", "namePrefix", "capabilities"] as const;

function sameValue(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): string => JSON.stringify(Array.isArray(v) ? [...v].sort() : v ?? null);
  return norm(a) === norm(b);
}

function outputsOf(inputs: B2KeyInputs, key: B2ApplicationKeyInfo, secret: string): B2KeyOutputs {
  return {
    ...inputs,
    bucketId: key.bucketId ?? "",
    namePrefix: key.namePrefix,
    capabilities: [...key.capabilities].sort(),
    applicationKeyId: key.applicationKeyId,
    applicationKey: secret,
    accountId: key.accountId,
  };
}

function inputsOf(props: B2KeyInputs): B2KeyInputs {
  const { adminKeyId, adminApplicationKey, apiBaseUrl, keyName, bucketId, namePrefix, capabilities } = props;
  return { adminKeyId, adminApplicationKey, apiBaseUrl, keyName, bucketId, namePrefix: namePrefix ?? null, capabilities };
}

/** What B2 would refuse or this project forbids; values unknown during a preview are not judged. */
export function keyInputProblems(inputs: B2KeyInputs): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  if (!isUnknown(inputs.keyName) && !/^[A-Za-z0-9-]{1,100}$/.test(inputs.keyName ?? "")) {
    failures.push({ property: "keyName", reason: "keyName must be 1-100 letters, digits or '-'" });
  }
  if (!inputs.bucketId) failures.push({ property: "bucketId", reason: "the key must be restricted to one bucket" });
  if (containsUnknown(inputs.capabilities)) return failures;
  const caps = inputs.capabilities ?? [];
  if (caps.length === 0) failures.push({ property: "capabilities", reason: "at least one capability is needed" });
  const refused = caps.filter((c) => !ALLOWED_BUCKET_KEY_CAPABILITIES.includes(c));
  if (refused.length > 0) {
    failures.push({ property: "capabilities", reason: `not allowed on a backup key: ${refused.join(", ")}` });
  }
  return failures;
}

export const b2KeyProvider: pulumi.dynamic.ResourceProvider<B2KeyInputs, B2KeyOutputs> = {
  async check(_olds, news) {
    const inputs: B2KeyInputs = {
      ...inputsOf(news),
      apiBaseUrl: news.apiBaseUrl || B2_DEFAULT_API_BASE_URL,
      capabilities: isUnknown(news.capabilities) ? news.capabilities : [...(news.capabilities ?? PGBACKREST_B2_CAPABILITIES)].sort(),
    };
    return { inputs, failures: keyInputProblems(inputs) };
  },

  async create(inputs) {
    const key = await b2ClientFor(inputs).createKey({
      keyName: inputs.keyName,
      capabilities: inputs.capabilities,
      bucketId: inputs.bucketId,
      ...(inputs.namePrefix ? { namePrefix: inputs.namePrefix } : {}),
    });
    return { id: key.applicationKeyId, outs: outputsOf(inputs, key, key.applicationKey) };
  },

  async read(id, props) {
    // B2 hands out a key's secret only when it creates the key, so a key this stack did not create
    // (a `get`, or an import) would be unusable: refuse rather than record a key without its secret.
    if (!props?.applicationKey) {
      throw new Error(`B2 application key ${id} was not created by this resource, and B2 never shows a key's secret again: ` +
        "it cannot be adopted. Let the stack create its own key (remove the import or get), then delete the old key in the B2 console.");
    }
    const key = (await b2ClientFor(props).listKeys()).find((k) => k.applicationKeyId === id);
    if (!key) return { id: "", props: {} as B2KeyOutputs };
    // The secret is only ever returned at creation: keep the one in state.
    return { id, props: outputsOf(inputsOf(props), key, props.applicationKey) };
  },

  async diff(_id, olds, news) {
    const replaces = KEY_DEFINING_INPUTS.filter((k) => !sameValue(olds[k], news[k]));
    const credentialsChanged = (["adminKeyId", "adminApplicationKey", "apiBaseUrl"] as const)
      .some((k) => olds[k] !== news[k]);
    return { changes: replaces.length > 0 || credentialsChanged, replaces: [...replaces] };
  },

  async update(_id, olds, news) {
    // Only the admin credentials can reach here (diff replaces on everything else): keep the key.
    return { outs: { ...olds, ...inputsOf(news), capabilities: olds.capabilities, namePrefix: olds.namePrefix } };
  },

  async delete(id, props) {
    try {
      await b2ClientFor(props).deleteKey(id);
    } catch (error) {
      if (!isB2NotFound(error)) throw error;
    }
  },
};

export interface B2ApplicationKeyArgs {
  /** A key with writeKeys/deleteKeys/listKeys (kept secret in state). */
  adminKeyId: pulumi.Input<string>;
  adminApplicationKey: pulumi.Input<string>;
  /** The only bucket this key can touch. */
  bucketId: pulumi.Input<string>;
  keyName: pulumi.Input<string>;
  /** Restrict the key further to file names starting with this prefix (e.g. the repo path). */
  namePrefix?: pulumi.Input<string>;
  /** Defaults to PGBACKREST_B2_CAPABILITIES. */
  capabilities?: pulumi.Input<pulumi.Input<string>[]>;
  apiBaseUrl?: pulumi.Input<string>;
}

export const B2_KEY_SECRET_OUTPUTS = ["applicationKey", "adminKeyId", "adminApplicationKey"];

/** A bucket-scoped B2 application key for the backup job; applicationKey is a secret output. */
export class B2ApplicationKey extends pulumi.dynamic.Resource {
  declare readonly applicationKeyId: pulumi.Output<string>;
  declare readonly applicationKey: pulumi.Output<string>;
  declare readonly capabilities: pulumi.Output<string[]>;
  declare readonly bucketId: pulumi.Output<string>;

  constructor(name: string, args: B2ApplicationKeyArgs, opts?: pulumi.CustomResourceOptions) {
    super(b2KeyProvider, name, {
      adminKeyId: pulumi.secret(args.adminKeyId),
      adminApplicationKey: pulumi.secret(args.adminApplicationKey),
      apiBaseUrl: args.apiBaseUrl ?? B2_DEFAULT_API_BASE_URL,
      bucketId: args.bucketId,
      keyName: args.keyName,
      namePrefix: args.namePrefix ?? null,
      capabilities: args.capabilities ?? PGBACKREST_B2_CAPABILITIES,
      applicationKeyId: undefined,
      applicationKey: undefined,
      accountId: undefined,
    }, {
      ...opts,
      additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...B2_KEY_SECRET_OUTPUTS],
    }, "b2", "ApplicationKey");
  }
}

// Section 6, Cloud Storage: R2 buckets stay private, every storage credential reaches one bucket with
// the least it needs, and the backup bucket on B2 is private, encrypted and expires old versions.
// 6.5 (an upload and a download work) is checked after deployment.
import type { PolicyResource } from "@pulumi/policy";
import { checklistFramework, stackPolicy, type ChecklistPolicy } from "./lib/framework";
import { known, readKnownElements, stringProp, undecidable, UNKNOWN } from "./lib/unknowns";
import { appSettingValue, settingSources } from "./lib/app-settings";
import { isDjangoApp } from "./lib/app/django-app";
import { containerName } from "./lib/containers";
import { containers } from "./lib/stack-resources";

export const R2_BUCKET = "cloudflare:index/r2Bucket:R2Bucket";
export const R2_CUSTOM_DOMAIN = "cloudflare:index/r2CustomDomain:R2CustomDomain";
export const R2_MANAGED_DOMAIN = "cloudflare:index/r2ManagedDomain:R2ManagedDomain";
export const API_TOKEN_TYPES = ["cloudflare:index/apiToken:ApiToken", "cloudflare:index/accountToken:AccountToken"];
/** pulumi.dynamic.Resource(…, module "b2", type "Bucket"/"ApplicationKey"). */
export const B2_BUCKET = "pulumi-nodejs:dynamic/b2:Bucket";
export const B2_APPLICATION_KEY = "pulumi-nodejs:dynamic/b2:ApplicationKey";

const R2_BUCKET_RESOURCE = "com.cloudflare.edge.r2.bucket.";
/** Cloudflare's R2 permission groups (account-wide "Workers R2 Storage …" and per-bucket "… Bucket Item …"). */
export const R2_PERMISSION_GROUP_IDS = new Set([
  "bf7481a1826f439697cb59a20b22293e", "b4992e1108244f5d8bfbd5744320c2e1",
  "2efd5506f9c8494dacb1fa10a3e7d5b6", "6a018a9f2fc74eb6b293b0c548f38b39",
]);
/** "Workers R2 Storage Bucket Item Read/Write": object access in the buckets a policy names, nothing else. */
export const R2_OBJECT_PERMISSION_GROUP_IDS = new Set(["2efd5506f9c8494dacb1fa10a3e7d5b6", "6a018a9f2fc74eb6b293b0c548f38b39"]);

/** B2 capabilities a bucket-scoped data key never needs: they change buckets, keys, retention or share files (and any other write or delete capability but writeFiles and deleteFiles). */
export const B2_FORBIDDEN_CAPABILITIES = [
  "listKeys", "writeKeys", "deleteKeys", "writeBuckets", "deleteBuckets", "shareFiles", "bypassGovernance",
  "writeBucketRetentions", "writeBucketEncryption", "writeBucketReplications", "writeBucketNotifications",
  "writeFileRetentions", "writeFileLegalHolds",
];

const ofType = (resources: readonly PolicyResource[], ...types: string[]) => resources.filter((r) => types.includes(r.type));

export const r2BucketsPrivate = stackPolicy({
  name: "r2-buckets-private",
  description: "The stack has at least one Cloudflare R2 bucket and none of its R2 buckets is reachable through a public r2.dev or custom domain.",
  severity: "critical",
  alwaysMandatory: true,
  remediationSteps:
    "Create the media bucket as cloudflare.R2Bucket, remove any R2CustomDomain or enabled R2ManagedDomain on it, and serve " +
    "media through the app (signed URLs) instead.",
  framework: checklistFramework("6.1", "6.6"),
  validateStack: (args, report) => {
    const buckets = ofType(args.resources, R2_BUCKET);
    if (buckets.length === 0) report("No Cloudflare R2 bucket (cloudflare:index/r2Bucket:R2Bucket) is in the stack.");
    for (const domain of ofType(args.resources, R2_CUSTOM_DOMAIN, R2_MANAGED_DOMAIN)) {
      const enabled = known(() => domain.props.enabled as boolean | undefined);
      if (enabled === false) continue; // a disabled managed domain is how the r2.dev URL is switched off
      const bucket = known(() => domain.props.bucketName as string | undefined);
      const kind = domain.type === R2_CUSTOM_DOMAIN ? "custom domain" : "r2.dev domain";
      report(`R2 bucket ${bucket === UNKNOWN ? "(name unknown at preview)" : bucket ?? "?"} is public through a ${kind} (${domain.name}).`, domain.urn);
    }
  },
});

/** The R2 buckets one token policy grants, or "all" for an account-wide grant; undefined if it grants no R2. */
function r2Scope(policy: Record<string, unknown>): string[] | "all" | undefined {
  const resourcesText = known(() => policy.resources as string | Record<string, unknown> | undefined);
  if (resourcesText === UNKNOWN) undecidable("policies.resources");
  let resources: Record<string, unknown>;
  try {
    resources = typeof resourcesText === "string" ? (JSON.parse(resourcesText || "{}") as Record<string, unknown>) : resourcesText ?? {};
  } catch {
    return "all"; // Cloudflare refuses it; judged as the widest grant rather than crashing the pack
  }
  const groups = readKnownElements(() => policy.permissionGroups as { id?: string }[] | undefined).values;
  const groupIds = groups.map((g) => known(() => g.id)).filter((id): id is string => typeof id === "string");
  const keys = Object.keys(resources);
  const buckets = keys.filter((k) => k.startsWith(R2_BUCKET_RESOURCE));
  const grantsR2 = buckets.length > 0 || groupIds.some((id) => R2_PERMISSION_GROUP_IDS.has(id));
  if (!grantsR2) return undefined;
  return keys.some((k) => !k.startsWith(R2_BUCKET_RESOURCE)) ? "all" : buckets;
}

/** The R2 buckets a token's allow policies name (an account-wide grant names every bucket). */
function r2TokenBuckets(token: PolicyResource): string[] {
  const policies = readKnownElements(() => token.props.policies as Record<string, unknown>[] | undefined);
  if (policies.unknown > 0) undecidable("policies");
  // Resource keys read com.cloudflare.edge.r2.bucket.<account>_<jurisdiction>_<bucket>; bucket names have no "_".
  return policies.values
    .filter((p) => stringProp(token, () => p.effect) !== "deny")
    .map(r2Scope)
    .flatMap((scope) => (scope === undefined ? [] : scope === "all" ? ["every bucket of the account"] : scope.map((key) => key.slice(R2_BUCKET_RESOURCE.length).split("_").slice(2).join("_"))));
}

export const storageKeysScoped = stackPolicy({
  name: "storage-keys-scoped",
  description:
    "Every R2 API token is scoped to exactly one bucket and grants object read/write only, the token an app container's credentials " +
    "come from grants the bucket its AWS_STORAGE_BUCKET_NAME names, and every Backblaze B2 application key is " +
    "restricted to one bucket without capabilities that manage keys, buckets, retention or sharing; the stack has at least one of each.",
  severity: "high",
  alwaysMandatory: true,
  remediationSteps:
    'Give each consumer its own token: cloudflare.ApiToken with one allow policy whose resources is {"com.cloudflare.edge.r2.bucket.<account>_default_<bucket>": "*"}, ' +
    "give the app the credentials of the token scoped to its AWS_STORAGE_BUCKET_NAME (never the backup token's), " +
    "and B2 keys with bucketId set and capabilities limited to listBuckets, listFiles, readFiles, writeFiles, deleteFiles.",
  framework: checklistFramework("6.2", "6.4", "6.6"),
  validateStack: (args, report) => {
    let r2Tokens = 0;
    for (const token of ofType(args.resources, ...API_TOKEN_TYPES)) {
      const policies = readKnownElements(() => token.props.policies as Record<string, unknown>[] | undefined);
      if (policies.unknown > 0) undecidable("policies");
      const scopes = policies.values
        .filter((p) => stringProp(token, () => p.effect) !== "deny")
        .map(r2Scope)
        .filter((s): s is string[] | "all" => s !== undefined);
      if (scopes.length === 0) continue;
      r2Tokens++;
      // Every group the token grants counts, in any of its allow policies: a storage key grants object access only.
      const granted = policies.values.filter((p) => stringProp(token, () => p.effect) !== "deny")
        .flatMap((p) => readKnownElements(() => p.permissionGroups as { id?: string }[] | undefined).values.map((g) => known(() => g.id)))
        .filter((id): id is string => typeof id === "string");
      const beyond = [...new Set(granted.filter((id) => !R2_OBJECT_PERMISSION_GROUP_IDS.has(id)))];
      if (beyond.length > 0) report(`API token ${token.name} grants more than object access in its bucket (permission groups ${beyond.join(", ")}): a leaked storage key could administer R2 or other services.`, token.urn);
      const buckets = new Set(scopes.flatMap((s) => (s === "all" ? ["*"] : s)));
      if (scopes.includes("all")) report(`API token ${token.name} grants R2 access account-wide; scope it to one bucket.`, token.urn);
      else if (buckets.size !== 1) report(`API token ${token.name} reaches ${buckets.size} R2 buckets; give each bucket's consumer its own token.`, token.urn);
    }
    if (r2Tokens === 0) report("No R2 API token is in the stack: the app and the backups need bucket-scoped R2 credentials.");

    // Each token's one bucket must be the one its holder uses: django-storages sends the app's S3
    // requests for AWS_STORAGE_BUCKET_NAME with the keys derived from the token its AWS_* credentials
    // come from (R2's access key id is the token's id, its secret the SHA-256 of the token's value).
    for (const app of containers(args.resources).filter(isDjangoApp)) {
      const bucket = appSettingValue(app, "AWS_STORAGE_BUCKET_NAME")?.trim();
      if (!bucket) continue;
      for (const token of API_TOKEN_TYPES.flatMap((type) => settingSources(app, type))) {
        const other = r2TokenBuckets(token).filter((b) => b !== bucket);
        if (other.length > 0) {
          report(`Container ${containerName(app)} stores media in R2 bucket ${bucket} with the credentials of API token ${token.name}, which grants ${other.join(", ")} instead: the app reaches a bucket that is not its own.`, app.urn);
        }
      }
    }

    const keys = ofType(args.resources, B2_APPLICATION_KEY);
    if (keys.length === 0) report("No Backblaze B2 application key (pulumi-nodejs:dynamic/b2:ApplicationKey) is in the stack.");
    for (const key of keys) {
      // An unknown bucketId is the id of a bucket created in this run: scoped. Only a missing one is account-wide.
      const bucketId = known(() => key.props.bucketId as string | null | undefined);
      if (bucketId !== UNKNOWN && (bucketId === undefined || bucketId === null || bucketId === "")) {
        report(`B2 key ${key.name} is not restricted to a bucket (bucketId unset): it can read every bucket of the account.`, key.urn);
      }
      const capabilities = readKnownElements(() => key.props.capabilities as string[] | undefined);
      if (capabilities.unknown > 0) undecidable("capabilities");
      const excess = capabilities.values.filter((c) => B2_FORBIDDEN_CAPABILITIES.includes(c) || (/^(write|delete)/.test(c) && c !== "writeFiles" && c !== "deleteFiles"));
      if (excess.length > 0) report(`B2 key ${key.name} has capabilities it must not: ${excess.join(", ")}.`, key.urn);
      if (capabilities.values.length === 0) report(`B2 key ${key.name} lists no capabilities.`, key.urn);
    }
  },
});

export const b2BackupBucket = stackPolicy({
  name: "b2-backup-bucket",
  description: "The stack has a private Backblaze B2 bucket for backups with server-side encryption and a lifecycle that purges deleted versions.",
  severity: "high",
  remediationSteps:
    "Declare the backup bucket with the B2Bucket dynamic resource (allPrivate, SSE-B2) and retentionDays of at least 1; " +
    "do not change bucketType or encryption outside Pulumi.",
  framework: checklistFramework("6.3"),
  validateStack: (args, report) => {
    const buckets = ofType(args.resources, B2_BUCKET);
    if (buckets.length === 0) report("No Backblaze B2 bucket (pulumi-nodejs:dynamic/b2:Bucket) is in the stack.");
    for (const bucket of buckets) {
      const retention = known(() => bucket.props.retentionDays as number | undefined);
      if (retention === UNKNOWN) undecidable("retentionDays");
      if (typeof retention !== "number" || !(retention >= 1)) report(`B2 bucket ${bucket.name} has no lifecycle retention (retentionDays ${String(retention)}).`, bucket.urn);
      // The provider always creates allPrivate + SSE-B2; once deployed, outputs show what B2 holds.
      const type = known(() => bucket.props.bucketType as string | undefined);
      if (typeof type === "string" && type !== "allPrivate") report(`B2 bucket ${bucket.name} is ${type}, not allPrivate.`, bucket.urn);
      const sse = known(() => (bucket.props.defaultServerSideEncryption as { mode?: string } | undefined)?.mode);
      if (typeof sse === "string" && !/^SSE-(B2|C)$/.test(sse)) report(`B2 bucket ${bucket.name} has default encryption ${sse}.`, bucket.urn);
    }
  },
});

export const section06Policies: readonly ChecklistPolicy[] = [r2BucketsPrivate, storageKeysScoped, b2BackupBucket];

// Policies of bucket-scoped R2 API tokens, as plain data: what a token may do and to which bucket.

/** Cloudflare's fixed permission-group ids (https://developers.cloudflare.com/fundamentals/api/reference/permissions/). */
export const R2_PERMISSION_GROUPS = {
  /** "Workers R2 Storage Bucket Item Read": get, head and list objects. */
  itemRead: "6a018a9f2fc74eb6b293b0c548f38b39",
  /** "Workers R2 Storage Bucket Item Write": put and delete objects. */
  itemWrite: "2efd5506f9c8494dacb1fa10a3e7d5b6",
} as const;

/** Buckets created without a jurisdiction live in "default"; the resource key names it. */
export const R2_JURISDICTION = "default";

export interface R2TokenPolicy {
  readonly effect: "allow";
  readonly permissionGroups: readonly { readonly id: string }[];
  /** JSON object of resource key -> "*", as the API token resource takes it. */
  readonly resources: string;
}

/** The resource key that scopes a token to one bucket (not the account's R2 as a whole). */
export function r2BucketResourceKey(accountId: string, bucketName: string): string {
  return `com.cloudflare.edge.r2.bucket.${accountId}_${R2_JURISDICTION}_${bucketName}`;
}

/**
 * Object read + write on exactly one bucket: no bucket administration, no other bucket. The app's
 * token therefore cannot read or delete backups, and the backup token cannot touch media.
 */
export function r2BucketReadWritePolicy(accountId: string, bucketName: string): R2TokenPolicy {
  return {
    effect: "allow",
    permissionGroups: [{ id: R2_PERMISSION_GROUPS.itemRead }, { id: R2_PERMISSION_GROUPS.itemWrite }],
    resources: JSON.stringify({ [r2BucketResourceKey(accountId, bucketName)]: "*" }),
  };
}

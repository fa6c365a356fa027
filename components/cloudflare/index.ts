export { CloudflareEdge, R2Storage, R2_PURPOSES, type CloudflareEdgeArgs, type R2BucketAccess, type R2Purpose, type R2StorageArgs } from "./cloudflare";
export * from "./dns-records";
export * from "./r2-token-policy";
export * from "./s3-credentials";

// R2's S3-compatible API takes credentials derived from a Cloudflare API token
// (https://developers.cloudflare.com/r2/api/tokens/): no separate key pair exists to create or rotate.
import { createHash } from "node:crypto";

export interface R2S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Access key id = the token's id; secret access key = SHA-256 of the token value, lower-case hex. */
export function r2S3Credentials(token: { readonly id: string; readonly value: string }): R2S3Credentials {
  if (!token.id || !token.value) throw new Error("an R2 API token needs both an id and a value");
  return { accessKeyId: token.id, secretAccessKey: r2SecretAccessKey(token.value) };
}

export function r2SecretAccessKey(tokenValue: string): string {
  return createHash("sha256").update(tokenValue, "utf8").digest("hex");
}

/** The account's S3 endpoint; the bucket goes in the path or host as the client prefers (region "auto"). */
export function r2S3Endpoint(accountId: string): string {
  if (!/^[0-9a-f]{32}$/.test(accountId)) throw new Error(`"${accountId}" is not a 32-hex-digit Cloudflare account id`);
  return `https://${accountId}.r2.cloudflarestorage.com`;
}

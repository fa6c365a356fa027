import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { dnsRecordSpecs, type DnsRecordSpec, type DnsRecordsConfig } from "./dns-records";
import { r2BucketReadWritePolicy, R2_JURISDICTION } from "./r2-token-policy";
import { r2S3Endpoint, r2SecretAccessKey } from "./s3-credentials";

/** TTL 1 = "automatic", the only value Cloudflare accepts on proxied records. */
const AUTO_TTL = 1;

export interface CloudflareEdgeArgs {
  /** The zone's id straight from config: no lookup, so previews and mocks need no API call. */
  readonly zoneId: string;
  readonly dns: DnsRecordsConfig;
}

/** Web, CAA and mail-authentication records of the shop's zone (checklist 5.6, 9.1, 14.5). */
export class CloudflareEdge extends pulumi.ComponentResource {
  readonly specs: readonly DnsRecordSpec[];
  /** By spec key, e.g. "a-shop-example-org", "dmarc-shop-example-org". */
  readonly records: Readonly<Record<string, cloudflare.DnsRecord>>;

  constructor(name: string, args: CloudflareEdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jewelry-shop:index:CloudflareEdge", name, {}, opts);
    try {
      this.specs = dnsRecordSpecs(args.dns);
    } catch (error) {
      throw new pulumi.ResourceError(error instanceof Error ? error.message : String(error), this);
    }

    const records: Record<string, cloudflare.DnsRecord> = {};
    for (const spec of this.specs) {
      const common = { zoneId: args.zoneId, name: spec.name, type: spec.type, ttl: AUTO_TTL, proxied: spec.proxied, comment: spec.comment };
      records[spec.key] = new cloudflare.DnsRecord(`${name}-${spec.key}`,
        spec.type === "CAA" ? { ...common, data: { ...spec.data } } : { ...common, content: spec.content },
        { parent: this });
    }
    this.records = records;

    this.registerOutputs({ recordNames: this.specs.map((spec) => `${spec.type} ${spec.name}`) });
  }
}

export const R2_PURPOSES = ["media", "backups"] as const;
export type R2Purpose = (typeof R2_PURPOSES)[number];

/** What an S3 client (django-storages, pgBackRest) needs for one bucket. */
export interface R2BucketAccess {
  readonly bucket: pulumi.Output<string>;
  readonly endpoint: string;
  /** The token id: an identifier, not a credential. */
  readonly accessKeyId: pulumi.Output<string>;
  readonly secretAccessKey: pulumi.Output<string>;
}

export interface R2StorageArgs {
  readonly accountId: string;
  /** Location hint, honoured only when a bucket name is first created. */
  readonly location: string;
  /** Bucket name per purpose; they must differ, or the two tokens would share a bucket. */
  readonly buckets: Readonly<Record<R2Purpose, string>>;
  /** Shown in the tokens' display names so each stack's tokens are recognisable in the dashboard. */
  readonly stack: string;
}

/**
 * Private R2 buckets for media uploads and backups (checklist 6.1, 6.2), each with its own API token
 * limited to that bucket's objects. Buckets stay private because no r2.dev or custom domain is attached.
 * No lifecycle rule on the backup bucket: pgBackRest's retention expires its own files.
 * The provider's credentials need "API Tokens: Edit" besides R2, as the tokens are user-owned.
 */
export class R2Storage extends pulumi.ComponentResource {
  readonly buckets: Readonly<Record<R2Purpose, cloudflare.R2Bucket>>;
  readonly tokens: Readonly<Record<R2Purpose, cloudflare.ApiToken>>;
  readonly media: R2BucketAccess;
  readonly backups: R2BucketAccess;

  constructor(name: string, args: R2StorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jewelry-shop:index:R2Storage", name, {}, opts);
    if (args.buckets.media === args.buckets.backups) {
      throw new pulumi.ResourceError(`the media and backup buckets must differ (both are "${args.buckets.media}"): the app must not reach the backups`, this);
    }
    let endpoint: string;
    try {
      endpoint = r2S3Endpoint(args.accountId);
    } catch (error) {
      throw new pulumi.ResourceError(error instanceof Error ? error.message : String(error), this);
    }

    const buckets = {} as Record<R2Purpose, cloudflare.R2Bucket>;
    const tokens = {} as Record<R2Purpose, cloudflare.ApiToken>;
    const access = {} as Record<R2Purpose, R2BucketAccess>;
    for (const purpose of R2_PURPOSES) {
      const bucketName = args.buckets[purpose];
      const bucket = new cloudflare.R2Bucket(`${name}-${purpose}-bucket`, {
        accountId: args.accountId,
        name: bucketName,
        location: args.location,
        jurisdiction: R2_JURISDICTION,
        storageClass: "Standard",
      }, { parent: this });
      // The plain bucket name (not bucket.name) keeps the policy readable at preview; dependsOn orders it.
      const policy = r2BucketReadWritePolicy(args.accountId, bucketName);
      const token = new cloudflare.ApiToken(`${name}-${purpose}-token`, {
        name: `jewelry-shop ${args.stack} R2 ${purpose}`,
        policies: [{ ...policy, permissionGroups: [...policy.permissionGroups] }],
      }, { parent: this, dependsOn: [bucket] });
      buckets[purpose] = bucket;
      tokens[purpose] = token;
      access[purpose] = {
        bucket: bucket.name,
        endpoint,
        accessKeyId: token.id,
        secretAccessKey: pulumi.secret(token.value.apply(r2SecretAccessKey)),
      };
    }
    this.buckets = buckets;
    this.tokens = tokens;
    this.media = access.media;
    this.backups = access.backups;

    this.registerOutputs({
      mediaBucket: this.media.bucket, backupBucket: this.backups.bucket, endpoint,
      mediaAccessKeyId: this.media.accessKeyId, backupAccessKeyId: this.backups.accessKeyId,
    });
  }
}

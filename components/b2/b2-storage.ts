import * as pulumi from "@pulumi/pulumi";
import { B2Bucket } from "./bucket-provider";
import { B2ApplicationKey, PGBACKREST_B2_CAPABILITIES } from "./key-provider";

export interface B2StorageArgs {
  readonly bucket: string;
  readonly masterKeyId: string;
  readonly masterApplicationKey: pulumi.Input<string>;
  /** Hidden (superseded or deleted) backup files are kept this long, then removed. */
  readonly retentionDays: number;
  /** The id of an existing bucket named `bucket` this stack may take over; any other existing one is refused. */
  readonly adoptBucketId?: string;
}

/**
 * The second off-site backup copy at another vendor (checklist 6.3, 6.4, 13.4): a private,
 * server-side-encrypted B2 bucket and an application key restricted to it and to what pgBackRest needs.
 */
export class B2Storage extends pulumi.ComponentResource {
  readonly bucket: B2Bucket;
  readonly key: B2ApplicationKey;

  constructor(name: string, args: B2StorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jewelry-shop:index:B2Storage", name, {}, opts);
    const admin = { adminKeyId: args.masterKeyId, adminApplicationKey: args.masterApplicationKey };
    this.bucket = new B2Bucket(`${name}-bucket`, {
      ...admin, bucketName: args.bucket, retentionDays: args.retentionDays, adoptBucketId: args.adoptBucketId,
    }, { parent: this, protect: true });
    this.key = new B2ApplicationKey(`${name}-backup-key`, {
      ...admin,
      bucketId: this.bucket.bucketId,
      keyName: `${args.bucket}-pgbackrest`,
      capabilities: [...PGBACKREST_B2_CAPABILITIES],
    }, { parent: this });
    this.registerOutputs({ bucket: args.bucket });
  }
}

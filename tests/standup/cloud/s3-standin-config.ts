// What one S3 stand-in serves (s3-standin-server.ts reads it from its config file; s3-standins.ts writes it).

export interface S3StandInConfig {
  readonly port: number;
  readonly certFile: string;
  readonly keyFile: string;
  /** Where s3rver keeps the objects. */
  readonly directory: string;
  readonly endpoint: string;
  readonly uriStyle: "path" | "host";
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The host names the store answers to. */
export function standInHosts(store: Pick<S3StandInConfig, "endpoint" | "uriStyle" | "bucket">): string[] {
  return store.uriStyle === "host" ? [store.endpoint, `${store.bucket}.${store.endpoint}`] : [store.endpoint];
}

// A local stand-in for the Backblaze B2 native API v3 (the calls components/b2 uses), answering as
// the B2 documentation specifies: POST JSON in/out, Authorization token checks, error bodies
// {status, code, message}. In-memory state; switches inject 429 (with Retry-After), 503 and
// expired tokens. It is a stand-in, not B2: it proves our client's handling of documented shapes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { B2ApplicationKeyInfo, B2BucketInfo } from "../../components/b2/b2-client";

interface StoredKey extends B2ApplicationKeyInfo {
  applicationKey: string;
}

interface Injected {
  status: number;
  code: string;
  message: string;
  retryAfterSeconds?: number;
  remaining: number;
}

const ALL_CAPABILITIES = [
  "listKeys", "writeKeys", "deleteKeys", "listAllBucketNames", "listBuckets", "readBuckets", "writeBuckets",
  "deleteBuckets", "readBucketRetentions", "writeBucketRetentions", "readBucketEncryption",
  "writeBucketEncryption", "listFiles", "readFiles", "shareFiles", "writeFiles", "deleteFiles",
  "readFileLegalHolds", "writeFileLegalHolds", "readFileRetentions", "writeFileRetentions", "bypassGovernance",
];

// Capabilities B2 accepts on a key restricted to a bucket (b2_create_key docs).
const BUCKET_SCOPED_CAPABILITIES = ALL_CAPABILITIES.filter(
  (c) => !["listKeys", "writeKeys", "deleteKeys", "writeBuckets", "deleteBuckets"].includes(c),
);

const REQUIRED_CAPABILITY: Record<string, string> = {
  b2_create_bucket: "writeBuckets",
  b2_update_bucket: "writeBuckets",
  b2_delete_bucket: "deleteBuckets",
  b2_list_buckets: "listBuckets",
  b2_create_key: "writeKeys",
  b2_list_keys: "listKeys",
  b2_delete_key: "deleteKeys",
};

class B2Failure extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export class B2StandIn {
  readonly accountId = `acc${randomBytes(6).toString("hex")}`;
  readonly masterKeyId = this.accountId;
  readonly masterKey = `K${randomBytes(15).toString("hex")}`;
  readonly buckets = new Map<string, B2BucketInfo>();
  readonly keys = new Map<string, StoredKey>();
  /** Bucket names "owned by another account": creating them answers duplicate_bucket_name. */
  readonly foreignBucketNames = new Set<string>();
  /** Every request as "METHOD operation", for asserting retries and re-authorization. */
  readonly requests: string[] = [];
  private readonly tokens = new Map<string, { keyId: string; expired: boolean }>();
  private readonly injected = new Map<string, Injected[]>();
  private server: Server | undefined;
  baseUrl = "";

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next `times` calls of `operation` answer 429 too_many_requests with Retry-After. */
  injectTooManyRequests(operation: string, times: number, retryAfterSeconds = 1): void {
    this.inject(operation, { status: 429, code: "too_many_requests", message: "Too many requests", retryAfterSeconds, remaining: times });
  }

  /** The next `times` calls of `operation` answer 503 service_unavailable (no Retry-After). */
  injectServiceUnavailable(operation: string, times: number): void {
    this.inject(operation, { status: 503, code: "service_unavailable", message: "Service temporarily unavailable", remaining: times });
  }

  /** The next `times` calls answer an arbitrary B2 error (Infinity = persistent). */
  injectError(operation: string, status: number, code: string, message: string, times = Infinity): void {
    this.inject(operation, { status, code, message, remaining: times });
  }

  clearInjections(): void {
    this.injected.clear();
  }

  /** Every token issued so far now answers 401 expired_auth_token, as B2 does after 24 h. */
  expireAllTokens(): void {
    for (const token of this.tokens.values()) token.expired = true;
  }

  /** Creates a bucket directly, e.g. one made by hand in the console before Pulumi. */
  seedBucket(bucketName: string, overrides: Partial<B2BucketInfo> = {}): B2BucketInfo {
    const bucket = this.newBucket({ bucketName, bucketType: "allPrivate" });
    Object.assign(bucket, overrides);
    this.buckets.set(bucket.bucketId, bucket);
    return bucket;
  }

  private inject(operation: string, failure: Injected): void {
    this.injected.set(operation, [...(this.injected.get(operation) ?? []), failure]);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const operation = (req.url ?? "").split("?")[0].replace(/^\/b2api\/v3\//, "");
    this.requests.push(`${req.method} ${operation}`);
    let raw = "";
    for await (const chunk of req) raw += chunk;
    try {
      const queue = this.injected.get(operation);
      if (queue && queue.length > 0) {
        const failure = queue[0];
        if (--failure.remaining <= 0) queue.shift();
        if (failure.retryAfterSeconds !== undefined) res.setHeader("Retry-After", String(failure.retryAfterSeconds));
        throw new B2Failure(failure.status, failure.code, failure.message);
      }
      const result = operation === "b2_authorize_account"
        ? this.authorizeAccount(req)
        : this.dispatch(operation, req, raw);
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(result));
    } catch (error) {
      const f = error instanceof B2Failure ? error : new B2Failure(500, "internal_error", String(error));
      res.writeHead(f.status, { "Content-Type": "application/json" })
        .end(JSON.stringify({ status: f.status, code: f.code, message: f.message }));
    }
  }

  private authorizeAccount(req: IncomingMessage): unknown {
    if (req.method !== "GET") throw new B2Failure(405, "method_not_allowed", "use GET");
    const header = req.headers.authorization ?? "";
    const [keyId, secret] = Buffer.from(header.replace(/^Basic /, ""), "base64").toString().split(":");
    const key = this.keyFor(keyId);
    if (!key || key.secret !== secret) throw new B2Failure(401, "unauthorized", "invalid application key id or key");
    const token = `4_${randomBytes(20).toString("hex")}`;
    this.tokens.set(token, { keyId, expired: false });
    return {
      accountId: this.accountId,
      authorizationToken: token,
      applicationKeyExpirationTimestamp: null,
      apiInfo: {
        storageApi: {
          infoType: "storageApi",
          apiUrl: this.baseUrl,
          downloadUrl: this.baseUrl,
          s3ApiUrl: "https://s3.us-west-004.backblazeb2.com",
          absoluteMinimumPartSize: 5_000_000,
          recommendedPartSize: 100_000_000,
          capabilities: key.capabilities,
          bucketId: key.bucketId,
          bucketName: key.bucketId ? this.buckets.get(key.bucketId)?.bucketName ?? null : null,
          namePrefix: key.namePrefix,
        },
      },
    };
  }

  private keyFor(keyId: string): { secret: string; capabilities: string[]; bucketId: string | null; namePrefix: string | null } | undefined {
    if (keyId === this.masterKeyId) {
      return { secret: this.masterKey, capabilities: ALL_CAPABILITIES, bucketId: null, namePrefix: null };
    }
    const key = this.keys.get(keyId);
    return key && { secret: key.applicationKey, capabilities: key.capabilities, bucketId: key.bucketId, namePrefix: key.namePrefix };
  }

  private dispatch(operation: string, req: IncomingMessage, raw: string): unknown {
    if (req.method !== "POST") throw new B2Failure(405, "method_not_allowed", "use POST");
    const token = this.tokens.get(req.headers.authorization ?? "");
    if (!token) throw new B2Failure(401, "bad_auth_token", "Invalid authorization token");
    if (token.expired) throw new B2Failure(401, "expired_auth_token", "Authorization token has expired");
    const caller = this.keyFor(token.keyId);
    const needed = REQUIRED_CAPABILITY[operation];
    if (!needed) throw new B2Failure(404, "not_found", `unknown API ${operation}`);
    if (!caller || !caller.capabilities.includes(needed)) throw new B2Failure(401, "unauthorized", `not entitled: ${needed}`);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      throw new B2Failure(400, "bad_request", "request body is not JSON");
    }
    if (body.accountId !== this.accountId) throw new B2Failure(400, "bad_request", "accountId invalid");
    switch (operation) {
      case "b2_create_bucket": return this.createBucket(body);
      case "b2_update_bucket": return this.updateBucket(body);
      case "b2_list_buckets": return this.listBuckets(body, caller.bucketId);
      case "b2_delete_bucket": return this.deleteBucket(body);
      case "b2_create_key": return this.createKey(body);
      case "b2_list_keys": return this.listKeys(body);
      default: return this.deleteKey(body);
    }
  }

  private newBucket(body: Record<string, unknown>): B2BucketInfo {
    const sse = body.defaultServerSideEncryption as { mode: "SSE-B2" | null; algorithm?: "AES256" } | undefined;
    return {
      accountId: this.accountId,
      bucketId: `bkt${randomBytes(10).toString("hex")}`,
      bucketName: String(body.bucketName),
      bucketType: body.bucketType as B2BucketInfo["bucketType"],
      bucketInfo: (body.bucketInfo as Record<string, string>) ?? {},
      lifecycleRules: (body.lifecycleRules as B2BucketInfo["lifecycleRules"]) ?? [],
      defaultServerSideEncryption: { isClientAuthorizedToRead: true, value: sse ?? { mode: null } },
      fileLockConfiguration: {
        isClientAuthorizedToRead: true,
        value: { isFileLockEnabled: body.fileLockEnabled === true, defaultRetention: { mode: null, period: null } },
      },
      revision: 1,
      options: ["s3"],
    };
  }

  private createBucket(body: Record<string, unknown>): B2BucketInfo {
    const name = String(body.bucketName ?? "");
    if (!/^[A-Za-z0-9-]{6,63}$/.test(name) || /^b2-/i.test(name)) {
      throw new B2Failure(400, "bad_request", `Invalid bucketName: ${name}`);
    }
    if (!["allPrivate", "allPublic"].includes(String(body.bucketType))) {
      throw new B2Failure(400, "bad_request", "bucketType must be allPrivate or allPublic");
    }
    const ours = [...this.buckets.values()].some((b) => b.bucketName === name);
    if (ours || this.foreignBucketNames.has(name)) {
      throw new B2Failure(400, "duplicate_bucket_name", "Bucket name is already in use.");
    }
    const bucket = this.newBucket(body);
    this.buckets.set(bucket.bucketId, bucket);
    return bucket;
  }

  private bucketOrFail(bucketId: unknown): B2BucketInfo {
    const bucket = this.buckets.get(String(bucketId));
    if (!bucket) throw new B2Failure(400, "bad_bucket_id", `Invalid bucketId: ${String(bucketId)}`);
    return bucket;
  }

  private updateBucket(body: Record<string, unknown>): B2BucketInfo {
    const bucket = this.bucketOrFail(body.bucketId);
    if (body.ifRevisionMatch !== undefined && body.ifRevisionMatch !== bucket.revision) {
      throw new B2Failure(409, "conflict", "ifRevisionMatch does not match the bucket's revision");
    }
    const lock = bucket.fileLockConfiguration.value!;
    if (body.fileLockEnabled === false && lock.isFileLockEnabled) {
      throw new B2Failure(400, "bad_request", "file lock cannot be disabled once enabled");
    }
    if (body.defaultRetention && !(lock.isFileLockEnabled || body.fileLockEnabled === true)) {
      throw new B2Failure(400, "bad_request", "defaultRetention requires file lock to be enabled");
    }
    if (body.bucketType) bucket.bucketType = body.bucketType as B2BucketInfo["bucketType"];
    if (body.lifecycleRules) bucket.lifecycleRules = body.lifecycleRules as B2BucketInfo["lifecycleRules"];
    if (body.defaultServerSideEncryption) {
      bucket.defaultServerSideEncryption.value = body.defaultServerSideEncryption as { mode: "SSE-B2" };
    }
    if (body.fileLockEnabled === true) lock.isFileLockEnabled = true;
    if (body.defaultRetention) lock.defaultRetention = body.defaultRetention as typeof lock.defaultRetention;
    bucket.revision += 1;
    return bucket;
  }

  private listBuckets(body: Record<string, unknown>, restrictedTo: string | null): unknown {
    let buckets = [...this.buckets.values()];
    if (restrictedTo) {
      // A bucket-restricted key may only list buckets when it names its own bucket (B2 docs).
      const named = body.bucketId === restrictedTo || body.bucketName === this.buckets.get(restrictedTo)?.bucketName;
      if (!named) throw new B2Failure(401, "unauthorized", "key is restricted to one bucket: name it");
      buckets = buckets.filter((b) => b.bucketId === restrictedTo);
    }
    if (body.bucketId) buckets = buckets.filter((b) => b.bucketId === body.bucketId);
    if (body.bucketName) buckets = buckets.filter((b) => b.bucketName === body.bucketName);
    return { buckets };
  }

  private deleteBucket(body: Record<string, unknown>): B2BucketInfo {
    const bucket = this.bucketOrFail(body.bucketId);
    if (bucket.bucketInfo.standinFileCount && bucket.bucketInfo.standinFileCount !== "0") {
      throw new B2Failure(400, "cannot_delete_non_empty_bucket", "Cannot delete non-empty bucket");
    }
    this.buckets.delete(bucket.bucketId);
    return bucket;
  }

  private createKey(body: Record<string, unknown>): StoredKey {
    const capabilities = body.capabilities as string[] | undefined;
    if (!Array.isArray(capabilities) || capabilities.length === 0) {
      throw new B2Failure(400, "bad_request", "capabilities is required");
    }
    const bucketId = (body.bucketId as string | undefined) ?? null;
    const allowed = bucketId ? BUCKET_SCOPED_CAPABILITIES : ALL_CAPABILITIES;
    const invalid = capabilities.filter((c) => !allowed.includes(c));
    if (invalid.length > 0) throw new B2Failure(400, "bad_request", `capabilities not allowed: ${invalid.join(",")}`);
    if (bucketId) this.bucketOrFail(bucketId);
    if (!/^[A-Za-z0-9-]{1,100}$/.test(String(body.keyName ?? ""))) throw new B2Failure(400, "bad_request", "Invalid keyName");
    const key: StoredKey = {
      accountId: this.accountId,
      applicationKeyId: `004${randomBytes(11).toString("hex")}`,
      applicationKey: `K004${randomBytes(14).toString("hex")}`,
      keyName: String(body.keyName),
      capabilities,
      bucketId,
      namePrefix: (body.namePrefix as string | undefined) ?? null,
      expirationTimestamp: null,
    };
    this.keys.set(key.applicationKeyId, key);
    return key;
  }

  private listKeys(body: Record<string, unknown>): unknown {
    const max = Number(body.maxKeyCount ?? 100);
    const sorted = [...this.keys.values()].sort((a, b) => a.applicationKeyId.localeCompare(b.applicationKeyId));
    const found = body.startApplicationKeyId
      ? sorted.findIndex((k) => k.applicationKeyId >= String(body.startApplicationKeyId))
      : 0;
    const start = found < 0 ? sorted.length : found;
    const page = sorted.slice(start, start + max);
    const next = sorted[start + max];
    return {
      keys: page.map(({ applicationKey: _secret, ...info }) => info),
      nextApplicationKeyId: next ? next.applicationKeyId : null,
    };
  }

  private deleteKey(body: Record<string, unknown>): B2ApplicationKeyInfo {
    const key = this.keys.get(String(body.applicationKeyId));
    if (!key) throw new B2Failure(400, "bad_request", `application key does not exist: ${String(body.applicationKeyId)}`);
    this.keys.delete(key.applicationKeyId);
    const { applicationKey: _secret, ...info } = key;
    return info;
  }
}

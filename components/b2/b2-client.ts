// A small client for the Backblaze B2 native API v3 (https://www.backblaze.com/apidocs), using only
// Node's own fetch. It is captured by value into the serialized dynamic providers (bucket-provider,
// key-provider), so it must stay dependency-free: no imports beyond types.

export const B2_DEFAULT_API_BASE_URL = "https://api.backblazeb2.com";

export interface B2Credentials {
  /** Application key ID (or account ID for the master key). */
  keyId: string;
  applicationKey: string;
}

export interface B2ClientOptions {
  /** Where b2_authorize_account lives; tests point this at a local stand-in. */
  baseUrl?: string;
  /** Retries on 429/503 and network errors before giving up. */
  maxRetries?: number;
  /** First backoff step; doubles on every retry (with jitter), capped by maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface B2Authorization {
  accountId: string;
  authorizationToken: string;
  apiUrl: string;
  s3ApiUrl?: string;
  capabilities: string[];
}

export type B2BucketType = "allPrivate" | "allPublic" | "restricted" | "snapshot" | "shared";

export interface B2LifecycleRule {
  fileNamePrefix: string;
  daysFromHidingToDeleting: number | null;
  daysFromUploadingToHiding: number | null;
}

export interface B2EncryptionSetting {
  mode: "SSE-B2" | null;
  algorithm?: "AES256";
}

export type B2RetentionMode = "governance" | "compliance";

export interface B2DefaultRetention {
  mode: B2RetentionMode | null;
  period: { duration: number; unit: "days" | "years" } | null;
}

export interface B2BucketInfo {
  accountId: string;
  bucketId: string;
  bucketName: string;
  bucketType: B2BucketType;
  bucketInfo: Record<string, string>;
  lifecycleRules: B2LifecycleRule[];
  defaultServerSideEncryption: { isClientAuthorizedToRead: boolean; value?: B2EncryptionSetting };
  fileLockConfiguration: {
    isClientAuthorizedToRead: boolean;
    value?: { isFileLockEnabled: boolean; defaultRetention: B2DefaultRetention };
  };
  revision: number;
  options?: string[];
}

export interface B2CreateBucketRequest {
  bucketName: string;
  bucketType: B2BucketType;
  lifecycleRules?: B2LifecycleRule[];
  defaultServerSideEncryption?: B2EncryptionSetting;
  fileLockEnabled?: boolean;
  bucketInfo?: Record<string, string>;
}

export interface B2UpdateBucketRequest {
  bucketId: string;
  bucketType?: B2BucketType;
  lifecycleRules?: B2LifecycleRule[];
  defaultServerSideEncryption?: B2EncryptionSetting;
  fileLockEnabled?: boolean;
  defaultRetention?: B2DefaultRetention;
  /** Optimistic concurrency: B2 answers 409 conflict when the bucket changed meanwhile. */
  ifRevisionMatch?: number;
}

export interface B2ApplicationKeyInfo {
  accountId: string;
  applicationKeyId: string;
  keyName: string;
  capabilities: string[];
  bucketId: string | null;
  namePrefix: string | null;
  expirationTimestamp: number | null;
}

export interface B2NewApplicationKey extends B2ApplicationKeyInfo {
  /** Only ever returned by b2_create_key. */
  applicationKey: string;
}

export interface B2CreateKeyRequest {
  keyName: string;
  capabilities: string[];
  bucketId?: string;
  namePrefix?: string;
  validDurationInSeconds?: number;
}

/** An error answer from B2, carrying its documented {status, code, message} body. */
export interface B2ApiError extends Error {
  readonly name: "B2ApiError";
  readonly operation: string;
  readonly status: number;
  readonly code: string;
  readonly b2Message: string;
}

/**
 * A real Error with B2's fields, never a subclass: Pulumi's closure serializer rewrites
 * `class … extends Error` into a function that calls `Error.call(this, message)`, which sets no
 * `message` on `this`, so the engine would report "Unknown Error" instead of B2's answer.
 */
export function b2ApiError(operation: string, status: number, code: string, b2Message: string): B2ApiError {
  const fields = { name: "B2ApiError" as const, operation, status, code, b2Message };
  return Object.assign(new Error(`${operation} failed: ${status} ${code}: ${b2Message}`), fields);
}

export function isB2ApiError(error: unknown): error is B2ApiError {
  return error instanceof Error && error.name === "B2ApiError" && typeof (error as Partial<B2ApiError>).status === "number";
}

/** True for B2's ways of saying "that bucket/key does not exist" (delete is then a no-op). */
export function isB2NotFound(error: unknown): boolean {
  if (!isB2ApiError(error)) return false;
  if (error.status === 404 || error.code === "not_found" || error.code === "bad_bucket_id") return true;
  return error.status === 400 && /does not exist|not found|no such/i.test(error.b2Message);
}

/** The admin credentials and endpoint every B2 dynamic provider takes as inputs. */
export interface B2AdminInputs {
  adminKeyId: string;
  adminApplicationKey: string;
  apiBaseUrl: string;
}

export function b2ClientFor(inputs: B2AdminInputs, options: Omit<B2ClientOptions, "baseUrl"> = {}): B2Client {
  return new B2Client(
    { keyId: inputs.adminKeyId, applicationKey: inputs.adminApplicationKey },
    { ...options, baseUrl: inputs.apiBaseUrl },
  );
}

const RETRYABLE_STATUSES = [429, 503];

export class B2Client {
  private auth: B2Authorization | undefined;
  private readonly baseUrl: string;
  private readonly maxRetries: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(private readonly credentials: B2Credentials, options: B2ClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? B2_DEFAULT_API_BASE_URL).replace(/\/+$/, "");
    this.maxRetries = options.maxRetries ?? 5;
    this.initialBackoffMs = options.initialBackoffMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
  }

  /** b2_authorize_account: Basic auth with keyId:applicationKey; caches the token. */
  async authorize(): Promise<B2Authorization> {
    const basic = Buffer.from(`${this.credentials.keyId}:${this.credentials.applicationKey}`).toString("base64");
    const body = (await this.send("b2_authorize_account", `${this.baseUrl}/b2api/v3/b2_authorize_account`, {
      method: "GET",
      headers: { Authorization: `Basic ${basic}` },
    })) as {
      accountId: string;
      authorizationToken: string;
      apiInfo: { storageApi: { apiUrl: string; s3ApiUrl?: string; capabilities: string[] } };
    };
    this.auth = {
      accountId: body.accountId,
      authorizationToken: body.authorizationToken,
      apiUrl: body.apiInfo.storageApi.apiUrl.replace(/\/+$/, ""),
      s3ApiUrl: body.apiInfo.storageApi.s3ApiUrl,
      capabilities: body.apiInfo.storageApi.capabilities,
    };
    return this.auth;
  }

  async accountId(): Promise<string> {
    return (this.auth ?? (await this.authorize())).accountId;
  }

  async createBucket(request: B2CreateBucketRequest): Promise<B2BucketInfo> {
    return (await this.call("b2_create_bucket", { ...request })) as B2BucketInfo;
  }

  async updateBucket(request: B2UpdateBucketRequest): Promise<B2BucketInfo> {
    return (await this.call("b2_update_bucket", { ...request })) as B2BucketInfo;
  }

  /** b2_list_buckets filtered by id or name (a bucket-restricted key must give one of them). */
  async listBuckets(filter: { bucketId?: string; bucketName?: string } = {}): Promise<B2BucketInfo[]> {
    return ((await this.call("b2_list_buckets", { ...filter })) as { buckets: B2BucketInfo[] }).buckets;
  }

  async deleteBucket(bucketId: string): Promise<B2BucketInfo> {
    return (await this.call("b2_delete_bucket", { bucketId })) as B2BucketInfo;
  }

  async createKey(request: B2CreateKeyRequest): Promise<B2NewApplicationKey> {
    return (await this.call("b2_create_key", { ...request })) as B2NewApplicationKey;
  }

  /** b2_list_keys, following nextApplicationKeyId until every page is read. */
  async listKeys(): Promise<B2ApplicationKeyInfo[]> {
    const keys: B2ApplicationKeyInfo[] = [];
    let start: string | null = null;
    do {
      const page = (await this.call("b2_list_keys", {
        maxKeyCount: 1000,
        ...(start ? { startApplicationKeyId: start } : {}),
      })) as { keys: B2ApplicationKeyInfo[]; nextApplicationKeyId: string | null };
      keys.push(...page.keys);
      start = page.nextApplicationKeyId;
    } while (start);
    return keys;
  }

  async deleteKey(applicationKeyId: string): Promise<B2ApplicationKeyInfo> {
    return (await this.call("b2_delete_key", { applicationKeyId })) as B2ApplicationKeyInfo;
  }

  /** POST an account-scoped call; re-authorizes once when B2 says the token expired. */
  private async call(operation: string, body: Record<string, unknown>): Promise<unknown> {
    for (let reauthorized = false; ; reauthorized = true) {
      const auth = this.auth ?? (await this.authorize());
      try {
        return await this.send(operation, `${auth.apiUrl}/b2api/v3/${operation}`, {
          method: "POST",
          headers: { Authorization: auth.authorizationToken, "Content-Type": "application/json" },
          body: JSON.stringify({ accountId: auth.accountId, ...body }),
        });
      } catch (error) {
        const expired = isB2ApiError(error) && error.status === 401 && error.code === "expired_auth_token";
        if (!expired || reauthorized) throw error;
        this.auth = undefined;
      }
    }
  }

  /** One HTTP exchange with retries on 429/503 (Retry-After honoured) and network failures. */
  private async send(operation: string, url: string, init: RequestInit): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, init);
      } catch (networkError) {
        if (attempt >= this.maxRetries) throw new Error(`${operation} failed: ${(networkError as Error).message}`);
        await this.pause(attempt, null);
        continue;
      }
      const text = await response.text();
      if (response.ok) return text ? JSON.parse(text) : {};
      if (RETRYABLE_STATUSES.includes(response.status) && attempt < this.maxRetries) {
        await this.pause(attempt, response.headers.get("retry-after"));
        continue;
      }
      let parsed: { code?: string; message?: string } = {};
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        parsed = { message: text.slice(0, 200) };
      }
      throw b2ApiError(operation, response.status, parsed.code ?? "unknown", parsed.message ?? response.statusText);
    }
  }

  private pause(attempt: number, retryAfter: string | null): Promise<void> {
    const exponential = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** attempt);
    const jittered = exponential / 2 + Math.random() * (exponential / 2);
    // Retry-After is seconds in B2's answers; never wait less than the server asked.
    const serverAsked = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : 0;
    return new Promise((resolve) => setTimeout(resolve, Math.max(jittered, serverAsked)));
  }
}

// pgbackrest.conf for the production cluster: one local posix repository plus object-storage copies
// (Cloudflare R2 and Backblaze B2 through their S3 APIs), every one encrypted with aes-256-cbc.
// Pure: typed args -> file text. The file carries NO secret: pgBackRest reads any option from an
// environment variable PGBACKREST_<OPTION> (repo2-s3-key -> PGBACKREST_REPO2_S3_KEY), so cipher
// passes and S3 keys go to the container's secret environment (see pgbackrestSecretEnv).
import { hkdfSync } from "node:crypto";

export interface PgbackrestRetention {
  /** Full backups kept (repoN-retention-full, count). */
  full: number;
  /** Differential backups kept (repoN-retention-diff). */
  diff: number;
  /** Full backups whose WAL is kept for point-in-time recovery (repoN-retention-archive). Default: full. */
  archive?: number;
}

interface RepoBase {
  /**
   * Stable name of the repository ("local", "r2", "b2"). The cipher pass is derived from it, so it
   * must never change for an existing repository, even if the repository is renumbered.
   */
  name: string;
  /** Path inside the volume or bucket, e.g. "/pgbackrest". */
  path: string;
  retention: PgbackrestRetention;
}

export interface PosixRepo extends RepoBase {
  type: "posix";
}

export interface R2Repo extends RepoBase {
  type: "r2";
  /** Cloudflare account ID: the endpoint is <accountId>.r2.cloudflarestorage.com. */
  accountId: string;
  bucket: string;
}

export interface B2Repo extends RepoBase {
  type: "b2";
  /** B2 region, e.g. "us-west-004": the endpoint is s3.<region>.backblazeb2.com. */
  region: string;
  bucket: string;
}

export type PgbackrestRepo = PosixRepo | R2Repo | B2Repo;

export interface PgbackrestConfArgs {
  stanza: string;
  /** In order: repos[0] is repo1. Back up to each with --repo=N. */
  repos: PgbackrestRepo[];
  pg: {
    dataDir: string;
    /** Default 5432. */
    port?: number;
    /** Default /var/run/postgresql. */
    socketPath?: string;
    /** Default postgres. */
    user?: string;
  };
  /** Default /var/spool/pgbackrest: queue of archive-async. */
  spoolPath?: string;
  /** Default /var/log/pgbackrest. */
  logPath?: string;
  /** Default /tmp/pgbackrest. */
  lockPath?: string;
  /** Default 2: parallel compression/transfer processes. */
  processMax?: number;
  /** Default zst: best ratio per CPU of pgBackRest's choices; lz4 is faster, larger. */
  compressType?: "zst" | "lz4";
}

const STANZA = /^[A-Za-z0-9_-]+$/;
const SAFE_VALUE = /^[^\s#=]+$/;

function assertPath(label: string, value: string): void {
  if (!value.startsWith("/") || !SAFE_VALUE.test(value)) throw new Error(`${label} must be an absolute path without spaces: ${value}`);
}

function assertCount(label: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > 9999) throw new RangeError(`${label} must be a whole number 1-9999: ${value}`);
}

/** The S3 endpoint host pgBackRest talks to for an object-storage repository. */
export function s3Endpoint(repo: R2Repo | B2Repo): string {
  return repo.type === "r2" ? `${repo.accountId}.r2.cloudflarestorage.com` : `s3.${repo.region}.backblazeb2.com`;
}

function repoLines(n: number, repo: PgbackrestRepo): string[] {
  assertPath(`repo${n} path`, repo.path);
  assertCount(`repo${n} retention.full`, repo.retention.full);
  assertCount(`repo${n} retention.diff`, repo.retention.diff);
  const archive = repo.retention.archive ?? repo.retention.full;
  assertCount(`repo${n} retention.archive`, archive);
  const p = `repo${n}-`;
  const lines = [`# repo${n}: ${repo.name} (${repo.type})`];
  if (repo.type === "posix") {
    lines.push(`${p}type=posix`);
  } else {
    if (repo.type === "r2" && !/^[0-9a-f]{32}$/.test(repo.accountId)) throw new Error(`R2 accountId must be 32 hex characters: ${repo.accountId}`);
    if (repo.type === "b2" && !/^[a-z]+-[a-z]+-\d{3}$/.test(repo.region)) throw new Error(`B2 region looks wrong (e.g. us-west-004): ${repo.region}`);
    if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(repo.bucket)) throw new Error(`invalid bucket name: ${repo.bucket}`);
    lines.push(
      `${p}type=s3`,
      `${p}s3-endpoint=${s3Endpoint(repo)}`,
      `${p}s3-bucket=${repo.bucket}`,
      // R2 has a single "auto" region; B2's region is part of the endpoint and the signature.
      `${p}s3-region=${repo.type === "r2" ? "auto" : repo.region}`,
      `${p}s3-uri-style=${repo.type === "r2" ? "path" : "host"}`,
      `${p}storage-verify-tls=y`,
    );
  }
  lines.push(
    `${p}path=${repo.path}`,
    // Encrypted client-side before it leaves the host; the pass comes from PGBACKREST_REPO<N>_CIPHER_PASS.
    `${p}cipher-type=aes-256-cbc`,
    `${p}retention-full-type=count`,
    `${p}retention-full=${repo.retention.full}`,
    `${p}retention-diff=${repo.retention.diff}`,
    `${p}retention-archive-type=full`,
    `${p}retention-archive=${archive}`,
  );
  return lines;
}

export function renderPgbackrestConf(args: PgbackrestConfArgs): string {
  if (!STANZA.test(args.stanza)) throw new Error(`stanza must be letters, digits, "_" or "-": ${args.stanza}`);
  if (args.repos.length === 0 || args.repos.length > 4) throw new RangeError("pgBackRest takes 1-4 repositories");
  const names = args.repos.map((r) => r.name);
  if (new Set(names).size !== names.length) throw new Error(`repository names must be unique: ${names.join(", ")}`);
  for (const name of names) if (!STANZA.test(name)) throw new Error(`repository name must be letters, digits, "_" or "-": ${name}`);
  const spoolPath = args.spoolPath ?? "/var/spool/pgbackrest";
  const logPath = args.logPath ?? "/var/log/pgbackrest";
  const lockPath = args.lockPath ?? "/tmp/pgbackrest";
  const processMax = args.processMax ?? 2;
  for (const [label, path] of [["spoolPath", spoolPath], ["logPath", logPath], ["lockPath", lockPath], ["pg.dataDir", args.pg.dataDir]]) {
    assertPath(label, path);
  }
  assertCount("processMax", processMax);
  const socketPath = args.pg.socketPath ?? "/var/run/postgresql";
  assertPath("pg.socketPath", socketPath);
  const user = args.pg.user ?? "postgres";
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(user)) throw new Error(`invalid pg user: ${user}`);

  const global = [
    "[global]",
    ...args.repos.flatMap((repo, i) => [...repoLines(i + 1, repo), ""]),
    "# Shared by every repository",
    `compress-type=${args.compressType ?? "zst"}`,
    // Checkpoint at once instead of waiting up to checkpoint_timeout for the backup to start.
    "start-fast=y",
    // WAL is queued in the spool and pushed in parallel, so a slow bucket does not stall archiving.
    "archive-async=y",
    `spool-path=${spoolPath}`,
    `process-max=${processMax}`,
    `log-path=${logPath}`,
    `lock-path=${lockPath}`,
    "log-level-console=info",
    "log-level-file=detail",
    // Restores into a non-empty dir only rewrite what differs.
    "delta=y",
  ];
  const stanza = [
    `[${args.stanza}]`,
    `pg1-path=${args.pg.dataDir}`,
    `pg1-port=${args.pg.port ?? 5432}`,
    `pg1-socket-path=${socketPath}`,
    `pg1-user=${user}`,
  ];
  return `# Generated by the jewelry-shop Pulumi program; do not edit by hand.\n# Secrets are NOT here: see PGBACKREST_* environment variables.\n\n${global.join("\n")}\n\n${stanza.join("\n")}\n`;
}

export type PgbackrestSecretKind = "cipher-pass" | "s3-key" | "s3-key-secret";

export interface PgbackrestSecretEnvVar {
  /** Environment variable pgBackRest reads, e.g. PGBACKREST_REPO2_S3_KEY_SECRET. */
  env: string;
  repo: number;
  repoName: string;
  kind: PgbackrestSecretKind;
}

/** Every secret the rendered config leaves out, and the environment variable it must arrive in. */
export function pgbackrestSecretEnvNames(repos: readonly PgbackrestRepo[]): PgbackrestSecretEnvVar[] {
  return repos.flatMap((repo, i) => {
    const n = i + 1;
    const at = (kind: PgbackrestSecretKind): PgbackrestSecretEnvVar => ({
      env: `PGBACKREST_REPO${n}_${kind.replace(/-/g, "_").toUpperCase()}`, repo: n, repoName: repo.name, kind,
    });
    return repo.type === "posix" ? [at("cipher-pass")] : [at("cipher-pass"), at("s3-key"), at("s3-key-secret")];
  });
}

/**
 * The cipher pass of one repository, derived from BACKUP_ENCRYPTION_KEY (a Fernet key: url-safe
 * base64 of 32 random bytes) with HKDF-SHA256, info "jewelry-shop pgbackrest repo-cipher-pass <name>".
 * Why derive instead of reusing the Fernet string: the same key must not serve two ciphers (Fernet
 * for the app's file backups, AES-256-CBC here), each repository gets its own pass (R2 and B2 never
 * share one), and yet one escrowed secret, BACKUP_ENCRYPTION_KEY, still restores every repository.
 * Deterministic and pure, so the pass can be recomputed at restore time from the key alone.
 */
export function deriveRepoCipherPass(backupEncryptionKey: string, repoName: string): string {
  const keyBytes = Buffer.from(backupEncryptionKey, "base64url");
  if (keyBytes.length !== 32 || keyBytes.toString("base64url") !== backupEncryptionKey.replace(/=+$/, "")) {
    throw new Error("BACKUP_ENCRYPTION_KEY must be a Fernet key: url-safe base64 of 32 bytes");
  }
  const derived = hkdfSync("sha256", keyBytes, Buffer.from("jewelry-shop/pgbackrest"),
    Buffer.from(`jewelry-shop pgbackrest repo-cipher-pass ${repoName}`), 32);
  return Buffer.from(derived).toString("base64url");
}

export interface PgbackrestSecretValues {
  backupEncryptionKey: string;
  /** S3 access keys by repository name (e.g. r2, b2). */
  s3Keys: Record<string, { accessKeyId: string; secretAccessKey: string }>;
}

/** The secret environment for the backup container: variable name -> value. */
export function pgbackrestSecretEnv(repos: readonly PgbackrestRepo[], values: PgbackrestSecretValues): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of pgbackrestSecretEnvNames(repos)) {
    if (v.kind === "cipher-pass") {
      env[v.env] = deriveRepoCipherPass(values.backupEncryptionKey, v.repoName);
      continue;
    }
    const key = values.s3Keys[v.repoName];
    if (!key) throw new Error(`no S3 key given for repository ${v.repoName}`);
    env[v.env] = v.kind === "s3-key" ? key.accessKeyId : key.secretAccessKey;
  }
  return env;
}

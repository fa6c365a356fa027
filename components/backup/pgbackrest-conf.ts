// pgbackrest.conf for the production cluster: one local posix repository plus object-storage copies
// (Cloudflare R2 and Backblaze B2 through their S3 APIs), every one encrypted with aes-256-cbc.
// Pure: typed args -> file text. The file carries NO secret: cipher passes and S3 keys go to small
// include files in <config-path>/conf.d/ (pgbackrestSecretIncludes), which pgBackRest merges into
// its config. Not environment variables: the jobs run from cron, which does not pass the container's
// environment on, and a policy can judge an include by its name while its content is unknown.
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

/** The local PostgreSQL cluster of a stanza (pg1-*). */
export interface PgbackrestPg {
  dataDir: string;
  /** Default 5432. */
  port?: number;
  /** Default /var/run/postgresql. */
  socketPath?: string;
  /** Default postgres. */
  user?: string;
}

/**
 * `pgbackrest server` on the repository host: PostgreSQL hosts reach the repositories through it.
 * Clients prove themselves with a certificate signed by `caFile`; only the CNs listed are let in.
 */
export interface PgbackrestTlsServer {
  /** IP address to listen on (one network only). */
  address: string;
  /** Default 8432. */
  port?: number;
  certFile: string;
  keyFile: string;
  /** CA that must have signed the client certificates. */
  caFile: string;
  /** Client certificate CN -> the stanzas it may use. Never "*": each client gets its own stanzas. */
  authorizedClients: Record<string, string[]>;
}

export interface PgbackrestConfArgs {
  stanza: string;
  /** In order: repos[0] is repo1. Back up to each with --repo=N. */
  repos: PgbackrestRepo[];
  pg: PgbackrestPg;
  /** Makes this host the repository host for remote PostgreSQL hosts (their archive-push). */
  tlsServer?: PgbackrestTlsServer;
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

export function assertStanza(stanza: string): void {
  if (!STANZA.test(stanza)) throw new Error(`stanza must be letters, digits, "_" or "-": ${stanza}`);
}

export function assertPath(label: string, value: string): void {
  if (!value.startsWith("/") || !SAFE_VALUE.test(value)) throw new Error(`${label} must be an absolute path without spaces: ${value}`);
}

export function assertCount(label: string, value: number): void {
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
    // Encrypted client-side before it leaves the host; the pass comes from conf.d/repo<N>-cipher-pass.conf.
    `${p}cipher-type=aes-256-cbc`,
    `${p}retention-full-type=count`,
    `${p}retention-full=${repo.retention.full}`,
    `${p}retention-diff=${repo.retention.diff}`,
    `${p}retention-archive-type=full`,
    `${p}retention-archive=${archive}`,
    // Small files bundled into a few objects: a cluster has 1,000+ files, mostly tiny, and an object
    // store (R2, B2) pays a request, and time, per object written (pgBackRest's user guide, "File Bundling").
    `${p}bundle=y`,
  );
  return lines;
}

/** The `[stanza]` section: where the cluster's files are and how to reach it over its socket. */
export function pgStanzaSection(stanza: string, pg: PgbackrestPg): string[] {
  assertStanza(stanza);
  assertPath("pg.dataDir", pg.dataDir);
  const socketPath = pg.socketPath ?? "/var/run/postgresql";
  assertPath("pg.socketPath", socketPath);
  const user = pg.user ?? "postgres";
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(user)) throw new Error(`invalid pg user: ${user}`);
  const port = pg.port ?? 5432;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`invalid pg port: ${port}`);
  return [`[${stanza}]`, `pg1-path=${pg.dataDir}`, `pg1-port=${port}`, `pg1-socket-path=${socketPath}`, `pg1-user=${user}`];
}

function tlsServerLines(server: PgbackrestTlsServer): string[] {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(server.address)) throw new Error(`tlsServer.address must be one IPv4 address: ${server.address}`);
  const port = server.port ?? 8432;
  if (!Number.isInteger(port) || port < 1024 || port > 65535) throw new RangeError(`tlsServer.port must be 1024-65535: ${port}`);
  for (const [label, path] of [["certFile", server.certFile], ["keyFile", server.keyFile], ["caFile", server.caFile]]) {
    assertPath(`tlsServer.${label}`, path);
  }
  const clients = Object.entries(server.authorizedClients);
  if (clients.length === 0) throw new Error("tlsServer.authorizedClients must name at least one client");
  const auth = clients.flatMap(([cn, stanzas]) => {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(cn)) throw new Error(`invalid client CN: ${cn}`);
    if (stanzas.length === 0) throw new Error(`client ${cn} is authorized for no stanza`);
    for (const stanza of stanzas) assertStanza(stanza);
    return stanzas.map((stanza) => `tls-server-auth=${cn}=${stanza}`);
  });
  return [
    `tls-server-address=${server.address}`,
    `tls-server-port=${port}`,
    `tls-server-cert-file=${server.certFile}`,
    `tls-server-key-file=${server.keyFile}`,
    `tls-server-ca-file=${server.caFile}`,
    ...auth,
  ];
}

export function renderPgbackrestConf(args: PgbackrestConfArgs): string {
  assertStanza(args.stanza);
  if (args.repos.length === 0 || args.repos.length > 4) throw new RangeError("pgBackRest takes 1-4 repositories");
  const names = args.repos.map((r) => r.name);
  if (new Set(names).size !== names.length) throw new Error(`repository names must be unique: ${names.join(", ")}`);
  for (const name of names) if (!STANZA.test(name)) throw new Error(`repository name must be letters, digits, "_" or "-": ${name}`);
  const spoolPath = args.spoolPath ?? "/var/spool/pgbackrest";
  const logPath = args.logPath ?? "/var/log/pgbackrest";
  const lockPath = args.lockPath ?? "/tmp/pgbackrest";
  const processMax = args.processMax ?? 2;
  for (const [label, path] of [["spoolPath", spoolPath], ["logPath", logPath], ["lockPath", lockPath]]) {
    assertPath(label, path);
  }
  assertCount("processMax", processMax);

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
    ...(args.tlsServer
      ? ["", "# Repository host: PostgreSQL's archive-push arrives here over TLS, from authorized client certificates only", ...tlsServerLines(args.tlsServer)]
      : []),
  ];
  const stanza = pgStanzaSection(args.stanza, args.pg);
  return `# Generated by the jewelry-shop Pulumi program; do not edit by hand.\n# Secrets are NOT here: see the include files in conf.d/.\n\n${global.join("\n")}\n\n${stanza.join("\n")}\n`;
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

/** One secret include file a repository needs; its name is known before any secret is. */
export interface PgbackrestSecretIncludeFile {
  /** Name inside <config-path>/conf.d/: repoN-cipher-pass.conf or repoN-s3-credentials.conf. */
  file: string;
  repo: number;
  repoName: string;
  kind: "cipher-pass" | "s3-credentials";
}

/** A rendered include: name inside <config-path>/conf.d/ and its text. */
export interface PgbackrestSecretInclude {
  file: string;
  content: string;
}

/**
 * The include files the repositories' secrets go to: every repository's cipher pass, and the
 * access key of each object-storage one. Depends on the repositories only, so the upload paths are
 * known at `pulumi preview` while the secret contents are not.
 */
export function pgbackrestSecretIncludeFiles(repos: readonly PgbackrestRepo[]): PgbackrestSecretIncludeFile[] {
  return repos.flatMap((repo, i) => {
    const n = i + 1;
    const cipher: PgbackrestSecretIncludeFile = { file: `repo${n}-cipher-pass.conf`, repo: n, repoName: repo.name, kind: "cipher-pass" };
    return repo.type === "posix" ? [cipher] : [cipher, { file: `repo${n}-s3-credentials.conf`, repo: n, repoName: repo.name, kind: "s3-credentials" }];
  });
}

/** An ini value pgBackRest reads back unchanged: one line, no surrounding blanks. */
function assertIniValue(label: string, value: string): void {
  if (value === "" || /[\r\n]/.test(value) || value.trim() !== value) {
    throw new Error(`${label} must be one non-empty line without surrounding blanks`);
  }
}

/** The text of one secret include file ([global] plus its repoN-* secret options). */
export function renderPgbackrestSecretInclude(include: PgbackrestSecretIncludeFile, values: PgbackrestSecretValues): string {
  const p = `repo${include.repo}-`;
  let lines: string[];
  if (include.kind === "cipher-pass") {
    lines = [`${p}cipher-pass=${deriveRepoCipherPass(values.backupEncryptionKey, include.repoName)}`];
  } else {
    const key = values.s3Keys[include.repoName];
    if (!key) throw new Error(`no S3 key given for repository ${include.repoName}`);
    assertIniValue(`${include.repoName} accessKeyId`, key.accessKeyId);
    assertIniValue(`${include.repoName} secretAccessKey`, key.secretAccessKey);
    lines = [`${p}s3-key=${key.accessKeyId}`, `${p}s3-key-secret=${key.secretAccessKey}`];
  }
  return `# Generated by the jewelry-shop Pulumi program; do not edit by hand. Secret: mode 0600, pgBackRest's user only.\n[global]\n${lines.join("\n")}\n`;
}

/** Every secret include file of the repositories, rendered. */
export function pgbackrestSecretIncludes(repos: readonly PgbackrestRepo[], values: PgbackrestSecretValues): PgbackrestSecretInclude[] {
  return pgbackrestSecretIncludeFiles(repos).map((include) => ({ file: include.file, content: renderPgbackrestSecretInclude(include, values) }));
}

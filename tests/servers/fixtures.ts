// Shared fixtures for tests that prove generated files in real servers from Debian packages.
// Every server binds 127.0.0.1 on a random port outside the ephemeral range, runs as the user
// the server expects, and is stopped by PID; nothing outlives the test file.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A port in 20000–32767 that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12767);
    if (await canBind(port)) return port;
  }
  throw new Error("no free port found in 20000-32767");
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Polls `probe` every `intervalMs` until it returns true; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 15_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export interface UserIds {
  uid: number;
  gid: number;
}

const knownUsers = new Map<string, UserIds>();

/** uid/gid of a system user (postgres, redis, www-data …), asked of id(1) once per test file. */
export function userIds(user: string): UserIds {
  let ids = knownUsers.get(user);
  if (!ids) {
    ids = { uid: Number(execFileSync("id", ["-u", user]).toString().trim()), gid: Number(execFileSync("id", ["-g", user]).toString().trim()) };
    knownUsers.set(user, ids);
  }
  return ids;
}

/** A fresh folder under /tmp (reachable by service users), owned by `owner` when given. */
export function workDir(prefix: string, owner?: string): string {
  const dir = mkdtempSync(join(tmpdir(), `js-${prefix}-`));
  chmodSync(dir, 0o755);
  if (owner) {
    const { uid, gid } = userIds(owner);
    chownSync(dir, uid, gid);
  }
  return dir;
}

/** Writes a file, optionally owned by `owner` with `mode`. */
export function writeOwned(path: string, content: string, owner?: string, mode = 0o644): void {
  writeFileSync(path, content);
  chmodSync(path, mode);
  if (owner) {
    const { uid, gid } = userIds(owner);
    chownSync(path, uid, gid);
  }
}

export interface TlsFiles {
  cert: string;
  key: string;
}

/**
 * A self-signed certificate for 127.0.0.1/localhost, usable as its own root for verify-full.
 * The key is mode 0600 and owned by `owner`, as PostgreSQL and PgBouncer demand.
 */
export function selfSignedCert(dir: string, owner?: string): TlsFiles {
  const cert = join(dir, "server.crt");
  const key = join(dir, "server.key");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
  ], { stdio: "ignore" });
  chmodSync(key, 0o600);
  chmodSync(cert, 0o644);
  if (owner) {
    const { uid, gid } = userIds(owner);
    chownSync(key, uid, gid);
    chownSync(cert, uid, gid);
  }
  return { cert, key };
}

/** argv prefix that runs a command as `user` with a clean environment (servers refuse root). */
export function asUser(user: string, argv: string[]): string[] {
  return ["setpriv", `--reuid=${user}`, `--regid=${user}`, "--init-groups", "--reset-env", "--", ...argv];
}

export interface ServerProcess {
  readonly pid: number;
  readonly output: () => string;
  /** Sends `signal` and resolves once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Starts a server in the foreground so that the PID held is the server's own (setpriv execs),
 * then waits for `ready`. If readiness fails, the process is killed and its output reported.
 */
export async function startServer(opts: {
  name: string;
  argv: string[];
  user?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  ready: () => Promise<boolean> | boolean;
  /**
   * A line the server writes when it is ready (e.g. PostgreSQL's "ready to accept connections"):
   * `ready` is first asked once it appeared, so a slow start-up costs no probe processes.
   */
  readyLine?: RegExp;
  timeoutMs?: number;
}): Promise<ServerProcess> {
  const argv = opts.user ? asUser(opts.user, opts.argv) : opts.argv;
  const child = spawn(argv[0], argv.slice(1), {
    cwd: opts.cwd,
    env: opts.env ?? { PATH: process.env.PATH },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  let exited = false;
  const exitPromise = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      running.delete(child);
      resolve();
    }),
  );
  const handle: ServerProcess = {
    pid: child.pid ?? -1,
    output: () => output,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (exited) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exitPromise;
      clearTimeout(timer);
    },
  };
  try {
    await waitFor(`${opts.name} to become ready`, async () => {
      if (exited) throw new Error(`${opts.name} exited before becoming ready:\n${output}`);
      if (opts.readyLine && !opts.readyLine.test(output)) return false;
      return opts.ready();
    }, opts.timeoutMs ?? 20_000);
  } catch (error) {
    await handle.stop("SIGKILL");
    throw new Error(`${(error as Error).message}\n--- ${opts.name} output ---\n${output}`);
  }
  return handle;
}

/** Removes a work folder; tolerant of files created by other users. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface TestCa {
  cert: string;
  key: string;
  /** Signs a certificate for `commonName`: "server" gets serverAuth and the SANs, "client" clientAuth only. */
  issue(name: string, commonName: string, use: "server" | "client", subjectAltNames?: string[]): TlsFiles;
}

/**
 * A throw-away CA in `dir` (ECDSA P-256, 2 days) for mutual-TLS tests; issued keys are mode 0600
 * and owned by `owner`. Extended key usages are set as the internal CA sets them, so a server that
 * checks them sees what production gives it.
 */
export function createTestCa(dir: string, owner?: string): TestCa {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const own = (files: string[]) => {
    if (!owner) return;
    const { uid, gid } = userIds(owner);
    for (const file of files) chownSync(file, uid, gid);
  };
  const ca = { cert: join(dir, "ca.crt"), key: join(dir, "ca.key") };
  execFileSync("openssl", ["req", "-x509", ...ec, "-keyout", ca.key, "-out", ca.cert, "-days", "2", "-subj", "/CN=test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], { stdio: "ignore" });
  chmodSync(ca.key, 0o600);
  return {
    ...ca,
    issue(name, commonName, use, subjectAltNames = []) {
      const files = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
      const csr = join(dir, `${name}.csr`);
      const ext = join(dir, `${name}.ext`);
      execFileSync("openssl", ["req", ...ec, "-keyout", files.key, "-out", csr, "-subj", `/CN=${commonName}`], { stdio: "ignore" });
      writeFileSync(ext, [
        "keyUsage=critical,digitalSignature,keyEncipherment",
        `extendedKeyUsage=${use === "server" ? "serverAuth" : "clientAuth"}`,
        ...(subjectAltNames.length > 0 ? [`subjectAltName=${subjectAltNames.join(",")}`] : []),
      ].join("\n"));
      execFileSync("openssl", ["x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial", "-days", "2",
        "-out", files.cert, "-extfile", ext], { stdio: "ignore" });
      rmSync(csr);
      chmodSync(files.key, 0o600);
      chmodSync(files.cert, 0o644);
      own([files.key, files.cert]);
      return files;
    },
  };
}

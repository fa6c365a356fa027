// The Docker host the program targets, reached as the Docker provider reaches it: unix:// (the local
// socket), tcp:// (TLS from DOCKER_CERT_PATH when DOCKER_TLS_VERIFY is set, as the docker CLI does) or
// ssh://user@host[:port] (dockerode's SSH transport: `docker system dial-stdio` on the host, keys
// from the SSH agent). Also TCP streams to a container's address as seen from that host, for the
// clients of the inside checks (pg, HTTP): direct on unix:// and tcp://, `ssh -W` on ssh://.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { Duplex, PassThrough } from "node:stream";
import Dockerode from "dockerode";
import { parseDockerHost } from "./docker-host-url";

export interface DockerHost {
  readonly url: string;
  readonly docker: Dockerode;
  /** A stream to address:port from the Docker host. */
  openStream(address: string, port: number): Promise<Duplex>;
}

function tcpStream(address: string, port: number, timeoutMs: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port, timeout: timeoutMs });
    socket.once("connect", () => {
      socket.setTimeout(0);
      resolve(socket);
    });
    socket.once("timeout", () => socket.destroy(new Error(`${address}:${port}: no answer in ${timeoutMs} ms`)));
    socket.once("error", reject);
  });
}

/** `ssh -W address:port` through the Docker host: the OpenSSH client the docker CLI uses too. */
function sshStream(target: URL, address: string, port: number, timeoutMs: number): Promise<Duplex> {
  const args = ["-W", `${address}:${port}`, "-o", "BatchMode=yes", "-o", `ConnectTimeout=${Math.ceil(timeoutMs / 1000)}`];
  if (target.port) args.push("-p", target.port);
  args.push(`${target.username ? `${decodeURIComponent(target.username)}@` : ""}${target.hostname}`);
  const child = spawn("ssh", args, { stdio: ["pipe", "pipe", "pipe"] });
  const stream = Duplex.from({ writable: child.stdin, readable: child.stdout });
  stream.on("close", () => child.kill());
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once("error", (err) => reject(new Error(`ssh to ${target.hostname}: ${err.message}`)));
    child.once("exit", (code) => reject(new Error(`ssh -W ${address}:${port} via ${target.hostname} exited ${code}: ${stderr.trim()}`)));
    // The stream is usable at once: ssh buffers until the channel is open.
    resolve(stream);
  });
}

export function connectDockerHost(url: string, timeoutMs = 30_000): DockerHost {
  const target = parseDockerHost(url);
  let docker: Dockerode;
  if (target.protocol === "unix:") {
    docker = new Dockerode({ socketPath: target.pathname, timeout: timeoutMs });
  } else if (target.protocol === "tcp:") {
    const certPath = process.env.DOCKER_CERT_PATH;
    const tlsFiles = process.env.DOCKER_TLS_VERIFY && certPath
      ? { ca: readFileSync(join(certPath, "ca.pem")), cert: readFileSync(join(certPath, "cert.pem")), key: readFileSync(join(certPath, "key.pem")) }
      : undefined;
    docker = new Dockerode({ host: target.hostname, port: Number(target.port || (tlsFiles ? 2376 : 2375)), protocol: tlsFiles ? "https" : "http", timeout: timeoutMs, ...tlsFiles });
  } else {
    docker = new Dockerode({
      protocol: "ssh", host: target.hostname, port: Number(target.port || 22), username: decodeURIComponent(target.username || process.env.USER || "root"),
      sshOptions: { agent: process.env.SSH_AUTH_SOCK }, timeout: timeoutMs,
    } as Dockerode.DockerOptions);
  }
  return {
    url,
    docker,
    openStream: (address, port) => (target.protocol === "ssh:" ? sshStream(target, address, port, timeoutMs) : tcpStream(address, port, Math.min(timeoutMs, 10_000))),
  };
}

/** A listener on 127.0.0.1 that pipes each connection to address:port through the Docker host, for clients that dial themselves. */
export async function forwardPort(host: DockerHost, address: string, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((local) => {
    sockets.add(local);
    local.on("close", () => sockets.delete(local));
    host.openStream(address, port).then(
      (remote) => {
        local.pipe(remote).pipe(local);
        remote.on("error", () => local.destroy());
        local.on("error", () => remote.destroy());
        local.on("close", () => remote.destroy());
      },
      () => local.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const local = (server.address() as { port: number }).port;
  return {
    port: local,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Both streams interleaved in the order the container wrote them. */
  readonly output: string;
}

/** Runs argv in a running container (read-only probes: `pgbackrest info`, a healthcheck, `celery inspect`), bounded by timeoutMs. */
export async function execIn(docker: Dockerode, container: string, argv: readonly string[], options: { user?: string; timeoutMs?: number; env?: readonly string[] } = {}): Promise<ExecResult> {
  const exec = await docker.getContainer(container).exec({
    Cmd: [...argv], AttachStdout: true, AttachStderr: true, ...(options.user ? { User: options.user } : {}), ...(options.env ? { Env: [...options.env] } : {}),
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const err = new PassThrough();
  // Chunks, decoded once at the end: a character may be split across two chunks.
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const output: Buffer[] = [];
  const collectInto = (own: Buffer[]) => (d: Buffer) => {
    own.push(d);
    output.push(d);
  };
  out.on("data", collectInto(stdout));
  err.on("data", collectInto(stderr));
  docker.modem.demuxStream(stream, out, err);
  const timeoutMs = options.timeoutMs ?? 60_000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`${argv.join(" ")} in ${container}: still running after ${timeoutMs} ms`));
    }, timeoutMs);
    stream.on("end", () => {
      clearTimeout(timer);
      resolve();
    });
    stream.on("error", (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  const { ExitCode } = await exec.inspect();
  const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString();
  return { exitCode: ExitCode ?? -1, stdout: text(stdout), stderr: text(stderr), output: text(output) };
}

/**
 * Runs the container's declared healthcheck now, as Docker would (CMD-SHELL through /bin/sh, the
 * container's user, bounded by the healthcheck's timeout, 30 s by default, at least 5 s). Docker
 * before 25 runs the first probe only one interval after the start (60 s for some services), so a
 * verdict still "starting" is asked of the same command directly. Never throws: a failed exec is
 * exit -1 with its message.
 */
export function runDeclaredHealthcheck(docker: Dockerode, container: { readonly Id: string; readonly Config: { readonly Healthcheck?: { readonly Test?: string[]; readonly Timeout?: number } } }): Promise<ExecResult> {
  const test = container.Config.Healthcheck?.Test ?? [];
  const argv = test[0] === "CMD-SHELL" ? ["/bin/sh", "-c", test.slice(1).join(" ")] : test.slice(1);
  const timeoutMs = Math.max(5_000, (container.Config.Healthcheck?.Timeout || 30e9) / 1e6);
  return execIn(docker, container.Id, argv, { timeoutMs }).catch((err: Error) => ({ exitCode: -1, stdout: "", stderr: err.message, output: err.message }));
}

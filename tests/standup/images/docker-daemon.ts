// A Docker engine for the stand-up: Debian's docker.io, installed when missing, and dockerd started
// when nothing answers on the default socket. Nothing here starts dockerd a second time: a daemon
// that already answers (another test file's, the machine's own) is used as it is. DOCKER_HOST
// (unix://PATH) chooses another engine, as for the docker client itself: that engine must already
// answer, nothing is started for it.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "./run-command";

/** Set to 1 to skip the stand-up on purpose (README, "Stand-up images"); CI never sets it. */
export const SKIP_STANDUP_ENV = "JEWELRY_SHOP_SKIP_STANDUP";

export const DOCKERD_LOG = join(tmpdir(), "jewelry-standup-dockerd.log");
/** The engine the docker client talks to unless DOCKER_HOST says otherwise. */
export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";
const READY_TIMEOUT_MS = 90_000;
const APT_TIMEOUT_MS = 15 * 60_000;

export interface DockerDaemon {
  /** The client binary: Debian's (/usr/bin/docker, the engine's own version) when installed. */
  readonly client: string;
  readonly serverVersion: string;
  /** The engine's unix socket (DOCKER_HOST's, or the default one). */
  readonly socketPath: string;
  /**
   * Set when this call started dockerd. Nothing in the tests stops it: other test files and the other
   * test process may be using it. `npm test` (scripts/run-tests.mjs) starts dockerd before its
   * processes and stops it at the end when it was not running before.
   */
  readonly startedPid?: number;
  readonly logFile?: string;
}

/** Why Docker cannot run, and what to do about it: the message every stand-up failure carries. */
export class DockerUnavailableError extends Error {
  constructor(reason: string) {
    super(`${reason}\nThe stand-up needs a Docker engine (Debian's docker.io, started as root). ` +
      `To skip the stand-up tests on purpose, set ${SKIP_STANDUP_ENV}=1 (CI never sets it).`);
    this.name = "DockerUnavailableError";
  }
}

const aptEnv = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };

/** Installs Debian packages as root, updating the package lists once if the first try fails. */
export async function aptInstall(packages: readonly string[], log: (line: string) => void): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new DockerUnavailableError(`Debian packages missing (${packages.join(" ")}) and not root: run \`sudo apt-get install -y ${packages.join(" ")}\`.`);
  }
  const install = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q", "--no-install-recommends", ...packages];
  log(`installing ${packages.join(" ")} (apt-get)`);
  let result = await runCommand(install, { timeoutMs: APT_TIMEOUT_MS, env: aptEnv });
  if (result.code !== 0) {
    await runCommand(["apt-get", "-o", "DPkg::Lock::Timeout=600", "update", "-q"], { timeoutMs: APT_TIMEOUT_MS, env: aptEnv });
    result = await runCommand(install, { timeoutMs: APT_TIMEOUT_MS, env: aptEnv });
  }
  if (result.code !== 0) {
    throw new DockerUnavailableError(`\`${install.join(" ")}\` failed (exit ${result.code}): ${result.stderr.trim().split("\n").slice(-5).join(" | ")}`);
  }
}

function dockerClient(): string {
  return existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker";
}

async function serverVersion(client: string): Promise<string | undefined> {
  const result = await runCommand([client, "version", "--format", "{{.Server.Version}}"], { timeoutMs: 20_000 });
  const version = result.stdout.trim();
  return result.code === 0 && version ? version : undefined;
}

/**
 * The unix socket of the engine DOCKER_HOST names, or undefined when it is unset (the default
 * engine). Throws for a value that is not unix://PATH: the stand-up mounts the engine's socket.
 */
export function chosenDockerSocket(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const host = env.DOCKER_HOST?.trim();
  if (!host) return undefined;
  const path = /^unix:\/\/(\/.+)$/.exec(host)?.[1];
  if (!path) throw new DockerUnavailableError(`DOCKER_HOST=${host} is not supported: the stand-up images need a local engine's socket, DOCKER_HOST=unix:///path/to/docker.sock (or unset DOCKER_HOST for ${DEFAULT_DOCKER_SOCKET}).`);
  return path;
}

/**
 * Installs docker.io if dockerd is missing, starts dockerd if nothing answers, waits until it does.
 * With DOCKER_HOST set, uses that engine only and fails if it does not answer.
 */
export async function ensureDockerDaemon(log: (line: string) => void): Promise<DockerDaemon> {
  const chosen = chosenDockerSocket();
  if (!existsSync("/usr/bin/docker") || (!chosen && !existsSync("/usr/sbin/dockerd"))) await aptInstall(["docker.io"], log);
  const client = dockerClient();
  const running = await serverVersion(client);
  if (chosen) {
    if (!running) throw new DockerUnavailableError(`The engine DOCKER_HOST chooses (unix://${chosen}) does not answer: start it, or unset DOCKER_HOST to use (and start) the default engine.`);
    log(`using the engine at unix://${chosen} (DOCKER_HOST), dockerd ${running}`);
    return { client, serverVersion: running, socketPath: chosen };
  }
  if (running) return { client, serverVersion: running, socketPath: DEFAULT_DOCKER_SOCKET };

  if (process.getuid?.() !== 0) throw new DockerUnavailableError("dockerd is not running and this process is not root, so it cannot start it.");
  log(`starting dockerd (log: ${DOCKERD_LOG})`);
  const logFd = openSync(DOCKERD_LOG, "a");
  const daemon = spawn("/usr/sbin/dockerd", [], { detached: true, stdio: ["ignore", logFd, logFd] });
  closeSync(logFd);
  let exited: number | null = null;
  daemon.once("exit", (code) => { exited = code ?? -1; });
  daemon.unref();

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let anotherStarting = false;
  while (Date.now() < deadline) {
    const version = await serverVersion(client);
    if (version) {
      // Ours, or one another process started at the same moment (ours then found its pid file).
      const ours = exited === null;
      log(`dockerd ${version} ready (${ours ? `pid ${daemon.pid}` : "started by another process"})`);
      return { client, serverVersion: version, socketPath: DEFAULT_DOCKER_SOCKET, ...(ours ? { startedPid: daemon.pid, logFile: DOCKERD_LOG } : {}) };
    }
    if (exited !== null && !anotherStarting) {
      // dockerd refuses to start while another one holds its pid file: that one will answer soon.
      anotherStarting = /pid file found|is still running/.test(logTail(DOCKERD_LOG));
      if (!anotherStarting) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (exited === null && daemon.pid) process.kill(daemon.pid, "SIGTERM");
  throw new DockerUnavailableError(`dockerd did not answer within ${READY_TIMEOUT_MS / 1000} s` +
    `${exited !== null ? ` (it exited with ${exited})` : ""}; the end of ${DOCKERD_LOG}:\n${logTail(DOCKERD_LOG)}`);
}

function logTail(file: string): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-20).join("\n");
  } catch {
    return "(no log)";
  }
}

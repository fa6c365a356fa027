// What every stand-up test file shares: the running stack's info (written by the global set-up's
// child when the stand-up is ready), a Docker client, and helpers to look at declared inputs and to
// run commands inside containers.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { localEngine, SKIP_ENV } from "./docker/docker-engine";
import { execIn as execInContainer, runDeclaredHealthcheck, type ExecResult } from "../../verify/probes/docker-host";
import { inputsOf, type DeclaredResource } from "./program/declared-stack";
import { STANDUP_INFO_FILE, STANDUP_LOG_FILE } from "./run-files";
import type { StandUpInfo } from "./standup";

export type { ExecResult };

/** The stand-up is built in the background; a test file waits for it at most this long. */
const READY_TIMEOUT_MS = 14 * 60_000;

export const standUpSkipped = (): boolean => process.env[SKIP_ENV] === "1";

let ready: Promise<StandUpInfo> | undefined;

/** The running stand-up; rejects with the stand-up's own error if it failed. */
export function standUp(): Promise<StandUpInfo> {
  ready ??= (async () => {
    const file = STANDUP_INFO_FILE;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!existsSync(file)) {
      if (Date.now() > deadline) throw new Error(`the stand-up was not ready after ${READY_TIMEOUT_MS / 60_000} min; its log: ${STANDUP_LOG_FILE}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const result = JSON.parse(readFileSync(file, "utf8")) as { ok: true; info: StandUpInfo } | { ok: false; error: string };
    if (!result.ok) throw new Error(`the stand-up failed: ${result.error}\n(log: ${STANDUP_LOG_FILE})`);
    return result.info;
  })();
  return ready;
}

export const docker = localEngine();

export const CONTAINER_TYPE = "docker:index/container:Container";

/** Declared containers that run in the stand-up, with their inputs. */
export function declaredContainers(info: StandUpInfo): { resource: DeclaredResource; inputs: Record<string, unknown>; name: string; id: string }[] {
  return info.declared.resources
    .filter((r) => r.type === CONTAINER_TYPE)
    .map((resource) => {
      const inputs = inputsOf(resource) as Record<string, unknown>;
      const name = String(inputs.name);
      return { resource, inputs, name, id: info.containers[name]?.id };
    })
    .filter((c) => c.id !== undefined);
}

export function declaredContainer(info: StandUpInfo, name: string): { inputs: Record<string, unknown>; id: string } {
  const found = declaredContainers(info).find((c) => c.name === name);
  if (!found) throw new Error(`no running declared container ${name}`);
  return found;
}

/** The content of a declared upload (e.g. a certificate) of a container. */
export function uploadContent(info: StandUpInfo, container: string, file: string): string {
  const uploads = (declaredContainer(info, container).inputs.uploads ?? []) as { file: string; content?: string }[];
  const upload = uploads.find((u) => u.file === file);
  if (!upload?.content) throw new Error(`${container} declares no upload ${file}`);
  return upload.content;
}

/** Runs argv in a running container (as its user unless `user` is given); bounded by timeoutMs. verify's own exec, on the tests' client. */
export function execIn(containerId: string, argv: readonly string[], options: { user?: string; timeoutMs?: number; env?: readonly string[] } = {}): Promise<ExecResult> {
  return execInContainer(docker, containerId, argv, options);
}

/** Polls `probe` every second until it returns a value; fails naming `what` after timeoutMs. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`);
}

/**
 * Waits until a declared container runs and is healthy. Docker (before 25) runs a restarted
 * container's first health probe one interval after the start (60 s for the worker and beat), so
 * while its verdict is still "starting" the declared healthcheck is run now instead, as verify's
 * containers check does; "unhealthy" keeps waiting.
 */
export function running(info: StandUpInfo, name: string, timeoutMs = 150_000): Promise<true> {
  const container = docker.getContainer(declaredContainer(info, name).id);
  return eventually(`${name} running and its healthcheck passing`, async () => {
    const { State, Config } = await container.inspect();
    const health = State.Health?.Status;
    if (!State.Running || health === "unhealthy") return undefined;
    if (health !== "starting") return true;
    return (await runDeclaredHealthcheck(docker, { Id: container.id, Config })).exitCode === 0 ? true : undefined;
  }, timeoutMs);
}

/**
 * Waits until the Celery worker, (re)started at or after `since` (Unix seconds), consumes again: first
 * its own "ready." log line, then its healthcheck (`celery inspect ping`, through running()). A ping
 * sent before the worker consumes waits out the ping's 10 s timeout unanswered.
 */
export async function workerReady(info: StandUpInfo, since: number, timeoutMs = 150_000): Promise<void> {
  const worker = docker.getContainer(declaredContainer(info, "jewelry-worker").id);
  await eventually("the worker logging that it is ready", async () => ((await worker.logs({ stdout: true, stderr: true, since })).toString("utf8").includes(" ready.") ? true : undefined), timeoutMs);
  await running(info, "jewelry-worker", timeoutMs);
}

/** A Prometheus HTTP API call, made inside the Prometheus container (it sits on an internal network). */
export async function prometheusApi<T>(info: StandUpInfo, path: string): Promise<T> {
  const prometheus = declaredContainer(info, "jewelry-prometheus");
  const result = await execIn(prometheus.id, ["wget", "-q", "-O", "-", `http://127.0.0.1:9090${path}`], { timeoutMs: 30_000 });
  if (result.exitCode !== 0) throw new Error(`GET ${path} from Prometheus failed: ${result.output}`);
  const body = JSON.parse(result.output) as { status: string; data: T };
  if (body.status !== "success") throw new Error(`GET ${path}: ${result.output}`);
  return body.data;
}

/** The value of an instant query's single sample, or undefined when it has none. */
export async function prometheusValue(info: StandUpInfo, query: string): Promise<number | undefined> {
  const data = await prometheusApi<{ result: { value: [number, string] }[] }>(info, `/api/v1/query?query=${encodeURIComponent(query)}`);
  return data.result.length === 1 ? Number(data.result[0].value[1]) : undefined;
}

export interface ShopResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * An HTTPS request to the shop through nginx's published port on 127.0.0.1, for the stack's domain
 * (SNI and Host), trusting only the certificate nginx serves before Let's Encrypt answers (its
 * declared bootstrap certificate), so the hostname is verified too.
 */
export function shopRequest(info: StandUpInfo, method: string, path: string, body?: unknown): Promise<ShopResponse> {
  const nginx = declaredContainers(info).find((c) => ((c.inputs.ports ?? []) as { internal: number }[]).some((p) => p.internal === 443))!;
  const domain = String((nginx.inputs.envs as string[]).find((e) => e.startsWith("PRIMARY_DOMAIN="))!.split("=")[1]);
  const ca = uploadContent(info, nginx.name, "/etc/nginx/tls/bootstrap/fullchain.pem");
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = httpsRequest({
      host: "127.0.0.1", port: 443, method, path, servername: domain, ca, timeout: 30_000,
      headers: { Host: domain, ...(payload ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) } : {}) },
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    request.on("timeout", () => request.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
    request.on("error", reject);
    request.end(payload);
  });
}

export interface StockCount { readonly pieces: number; readonly counted_at: string; readonly task: string }

/**
 * Queues the reference app's stock count for one tenant and waits for its own task's result (asked
 * for by the task's id): beat counts every tenant too, and another count of the tenant may finish
 * before or after this one.
 */
export async function countedByOwnTask(info: StandUpInfo, tenant: string, timeoutMs: number): Promise<StockCount> {
  const queued = await shopRequest(info, "POST", `/api/tenants/${tenant}/stock-count/`);
  if (queued.status !== 202) throw new Error(`POST /api/tenants/${tenant}/stock-count/ answered ${queued.status}: ${queued.body}`);
  const { task } = JSON.parse(queued.body) as { task: string };
  return eventually(`the result of stock count task ${task}`, async () => {
    const response = await shopRequest(info, "GET", `/api/tenants/${tenant}/stock-count/?task=${encodeURIComponent(task)}`);
    if (response.status !== 200) return undefined;
    const counted = JSON.parse(response.body) as StockCount;
    if (counted.task !== task) throw new Error(`asked for task ${task}'s count, got task ${counted.task}'s`);
    return counted;
  }, timeoutMs);
}

/** psql as the superuser inside the PostgreSQL container (over its socket), one value per line. */
export async function psql(info: StandUpInfo, sql: string, database = "postgres"): Promise<string> {
  return (await psqlEach(info, [sql], database))[0]!;
}

/**
 * Several statements in one psql run (one `docker exec` instead of one each: under load an exec
 * costs about a second), each statement's output apart, in order. psql runs each `-c` in turn and
 * stops at the first error (ON_ERROR_STOP), which fails the whole call.
 */
export async function psqlEach(info: StandUpInfo, sqls: readonly string[], database = "postgres"): Promise<string[]> {
  if (sqls.length === 0) return [];
  const pg = declaredContainer(info, "jewelry-postgres");
  const password = (pg.inputs.envs as string[]).find((e) => e.startsWith("POSTGRES_PASSWORD="))!.slice("POSTGRES_PASSWORD=".length);
  // A line no statement's output can hold, printed after each one.
  const end = `-- end of statement ${randomBytes(8).toString("hex")} --`;
  const result = await execIn(pg.id, ["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-h", "/var/run/postgresql", "-d", database,
    ...sqls.flatMap((sql) => ["-c", sql, "-c", `\\echo '${end}'`])], {
    env: [`PGPASSWORD=${password}`],
  });
  if (result.exitCode !== 0) throw new Error(`psql: ${result.output}`);
  const outputs = result.output.split(`${end}\n`);
  if (outputs.length !== sqls.length + 1) throw new Error(`psql: expected ${sqls.length} outputs, got: ${result.output}`);
  return outputs.slice(0, sqls.length).map((output) => output.trim());
}

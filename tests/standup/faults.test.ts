// Runs last (its own vitest project): restarts keep PostgreSQL's and Redis's data; a killed Celery
// worker and a crashed Redis come back by their restart policy, and the app recovers.
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { StandUpInfo } from "./standup";
import { countedByOwnTask, declaredContainer, docker, eventually, execIn, psql, running, shopRequest, standUp, standUpSkipped, uploadContent, workerReady } from "./fixture";

/** Kills a container's main process from the host, as a crash would (not through Docker, which would count it as a stop). */
async function crash(info: StandUpInfo, name: string, command: RegExp): Promise<number> {
  const container = docker.getContainer(declaredContainer(info, name).id);
  const before = (await container.inspect()).RestartCount;
  const top = await container.top({ ps_args: "-o pid,args" });
  const row = (top.Processes as string[][]).find((p) => command.test(p[1]));
  if (!row) throw new Error(`${name}: no process matching ${command} in ${JSON.stringify(top.Processes)}`);
  process.kill(Number(row[0]), "SIGKILL");
  return before;
}

// Docker waits before each restart by policy, twice as long as before for a container that ran under
// 10 s (from 100 ms up to a minute): a worker that left its broker several times while Redis came back
// under load may wait its full minute, and then start.
const RESTART_WAIT_MS = 150_000;

async function restartedByPolicy(info: StandUpInfo, name: string, restartsBefore: number): Promise<void> {
  await eventually(`${name} restarted by its restart policy`, async () => {
    const { RestartCount, State } = await docker.getContainer(declaredContainer(info, name).id).inspect();
    return RestartCount > restartsBefore && State.Running ? true : undefined;
  }, RESTART_WAIT_MS);
}

async function appRecovers(info: StandUpInfo): Promise<void> {
  await eventually("/health/ 200 again", async () => ((await shopRequest(info, "GET", "/health/")).status === 200 ? true : undefined), 120_000);
  await countedByOwnTask(info, "silverline", 150_000);
}

describe.skipIf(standUpSkipped())("restarts and faults", () => {
  let info: StandUpInfo;
  let redisCli: string[];
  beforeAll(async () => {
    info = await standUp();
    // The app's own Redis credentials, as its secret file carries them.
    const url = new URL(uploadContent(info, "jewelry-web", "/run/secrets/REDIS_URL").trim());
    redisCli = ["redis-cli", "--no-auth-warning", "--user", decodeURIComponent(url.username), "--pass", decodeURIComponent(url.password)];
  });

  it("keeps PostgreSQL's data across a restart", async () => {
    const marker = randomBytes(8).toString("hex");
    await psql(info, `CREATE TABLE IF NOT EXISTS standup_restart_probe (marker text); INSERT INTO standup_restart_probe VALUES ('${marker}')`);
    await docker.getContainer(declaredContainer(info, "jewelry-postgres").id).restart();
    await running(info, "jewelry-postgres");
    expect(await psql(info, `SELECT count(*) FROM standup_restart_probe WHERE marker = '${marker}'`)).toBe("1");
  });

  it("keeps Redis's data across a restart", async () => {
    const redis = declaredContainer(info, "jewelry-redis").id;
    const key = `standup:restart:${randomBytes(4).toString("hex")}`;
    expect((await execIn(redis, [...redisCli, "SET", key, "kept"])).output.trim()).toBe("OK");
    const workerRestarts = (await docker.getContainer(declaredContainer(info, "jewelry-worker").id).inspect()).RestartCount;
    const restartedAt = Math.floor(Date.now() / 1000);
    await docker.getContainer(redis).restart();
    await running(info, "jewelry-redis");
    expect((await execIn(redis, [...redisCli, "GET", key])).output.trim()).toBe("kept");
    // The worker exits on the lost broker (reference app: CELERY_BROKER_CONNECTION_RETRY = False) and its
    // restart policy starts it again: waited for, so the next test does not meet it between the two.
    await restartedByPolicy(info, "jewelry-worker", workerRestarts);
    await workerReady(info, restartedAt);
  });

  it("brings a killed Celery worker back by its restart policy, and tasks run again", async () => {
    const before = await crash(info, "jewelry-worker", /celery -A config worker/);
    await restartedByPolicy(info, "jewelry-worker", before);
    await appRecovers(info);
  });

  it("brings a crashed Redis back by its restart policy, and the app recovers: the worker, which left on the lost broker, by its own", async () => {
    const workerRestarts = (await docker.getContainer(declaredContainer(info, "jewelry-worker").id).inspect()).RestartCount;
    const before = await crash(info, "jewelry-redis", /redis-server/);
    await restartedByPolicy(info, "jewelry-redis", before);
    await running(info, "jewelry-redis");
    await appRecovers(info);
    // A worker that reconnected instead would, on Debian's Celery 5.2.6, never consume again (celery/celery#8030).
    await restartedByPolicy(info, "jewelry-worker", workerRestarts);
  });
});

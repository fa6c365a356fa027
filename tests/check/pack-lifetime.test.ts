// The policy pack the offline check starts runs in a process group of its own, so that it can be ended
// as a whole; a check that dies by a signal (Ctrl-C, SIGKILL, a test worker torn down) runs no exit
// handler, and its pack was left serving, orphaned. Its lifeline (check/pack-lifeline.cjs) ends it.
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const packEnv = `{ project: "jewelry-shop", stack: "production", organization: "organization", config: {} }`;
/** How a check process starts its pack: from its main thread (the tests' sessions), or from its pack thread as `npm run check` does. */
const starts = {
  "its main thread": `require("./check/policy-pack-process.ts").startPolicyPack("policies", ${packEnv})`,
  "its pack thread": `new (require("./check/pack-channel.ts").PackChannel)(require("./check/pack-thread.ts").startPackThread("policies", ${packEnv})).started`,
  "its pack thread started ahead, as `npm run check` starts it": `(require("./check/pack-thread.ts").prestartPackThread(),
    new (require("./check/pack-channel.ts").PackChannel)(require("./check/pack-thread.ts").startPackThread("policies", ${packEnv})).started)`,
};

/** Starts the pack from a separate check process; resolves with both pids. */
function checkWithPack(start: string): Promise<{ check: number; pack: number }> {
  const script = `${start}
    .then((pack) => console.log(String(pack.pid)), (err) => { console.error(err.message); process.exit(3); });`;
  const check = spawn(process.execPath, ["-r", "./check/start.cjs", "-e", script], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  check.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    check.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = /^(\d+)\n/.exec(stdout);
      if (line) resolve({ check: check.pid!, pack: Number(line[1]) });
    });
    check.once("exit", (code) => reject(new Error(`the check exited ${code} before its pack started: ${stderr}`)));
  });
}

describe("the policy pack the check starts", () => {
  it.each(Object.entries(starts))("from %s ends when the check is killed by a signal, which runs no exit handler", async (_from, start) => {
    const { check, pack } = await checkWithPack(start);
    expect(alive(pack)).toBe(true);
    process.kill(check, "SIGKILL");
    const deadline = Date.now() + 20_000;
    while (alive(pack) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const orphaned = alive(pack);
    if (orphaned) process.kill(-pack, "SIGKILL");
    expect(orphaned, "the pack outlived the check").toBe(false);
  });

  it("is not started by a pack thread started ahead and never told which pack: its process exits", () => {
    const script = `require("./check/pack-thread.ts").prestartPackThread(); console.log("prestarted");`;
    const run = spawnSync(process.execPath, ["-r", "./check/start.cjs", "-e", script], { cwd: root, encoding: "utf8", timeout: 20_000 });
    expect(run.signal, "the idle thread kept the process alive").toBeNull();
    expect(run.status).toBe(0);
    expect(run.stdout).toBe("prestarted\n");
  });
});

// The pid lock that keeps one image build and one stand-up per machine (build-lock.ts, standup-lock.ts),
// against a real second process holding it: a live owner is waited for, a dead one taken over.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { acquirePidLock } from "./build-lock";

/** A process that takes `lockDir` as a live stand-up does, prints "held", and releases it on SIGTERM. */
function startOwner(lockDir: string): Promise<ChildProcess> {
  const script = `
    const fs = require("node:fs");
    fs.mkdirSync(process.argv[1]);
    fs.writeFileSync(process.argv[1] + "/pid", String(process.pid));
    process.on("SIGTERM", () => { fs.rmSync(process.argv[1], { recursive: true, force: true }); process.exit(0); });
    setInterval(() => undefined, 1000);
    process.stdout.write("held\\n");`;
  const owner = spawn(process.execPath, ["-e", script, lockDir], { stdio: ["ignore", "pipe", "inherit"] });
  owners.push(owner);
  return new Promise((resolve, reject) => {
    owner.once("error", reject);
    owner.once("exit", (code) => reject(new Error(`the owner exited ${code} before holding the lock`)));
    owner.stdout!.once("data", () => resolve(owner));
  });
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())));

const owners: ChildProcess[] = [];
const dirs: string[] = [];
function lockDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "jewelry-pid-lock-"));
  dirs.push(dir);
  return join(dir, "lock");
}

afterEach(() => {
  for (const owner of owners.splice(0)) owner.kill("SIGKILL");
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the pid lock of the image build and the stand-up", () => {
  it("waits for a live owner, names its pid once, and takes the lock when the owner releases it", async () => {
    const dir = lockDir();
    const owner = await startOwner(dir);
    const announced: number[] = [];
    let ownerReleased = false;
    const taking = acquirePidLock(dir, 30_000, (pid) => {
      announced.push(pid);
      // Released only once the waiter has seen it alive: the lock cannot have been taken before.
      ownerReleased = true;
      owner.kill("SIGTERM");
    });
    const release = await taking;
    expect(ownerReleased).toBe(true);
    expect(announced).toEqual([owner.pid]);
    expect(readFileSync(join(dir, "pid"), "utf8")).toBe(String(process.pid));
    release();
    await exited(owner);
  });

  it("takes over the lock of an owner that died holding it, without waiting", async () => {
    const dir = lockDir();
    const owner = await startOwner(dir);
    owner.kill("SIGKILL");
    await exited(owner);
    const announced: number[] = [];
    const release = await acquirePidLock(dir, 30_000, (pid) => announced.push(pid));
    expect(announced).toEqual([]);
    expect(readFileSync(join(dir, "pid"), "utf8")).toBe(String(process.pid));
    release();
  });

  it("gives up after its timeout, naming the owner's pid and the lock, and leaves the owner's lock alone", async () => {
    const dir = lockDir();
    const owner = await startOwner(dir);
    await expect(acquirePidLock(dir, 1_500, () => undefined)).rejects.toThrow(new RegExp(`pid ${owner.pid}\\) has held ${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} for over 2 s`));
    expect(readFileSync(join(dir, "pid"), "utf8")).toBe(String(owner.pid));
  });
});

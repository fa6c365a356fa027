// The stand-up follows the image build image by image (ready-images.ts), its own or another process's.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { BuiltImage } from "./build-images";
import type { LocalImageName } from "./catalog";
import { followImages, readReady, recordReady } from "./ready-images";

const image = (tag: string): BuiltImage => ({ tag, id: `sha256:${tag}`, sizeBytes: 1, buildSeconds: 1, reused: false });
type OnImage = (name: LocalImageName, built: BuiltImage) => void;

/** A build the test drives by hand: it reports images and finishes (or fails) when told. */
function manualBuild() {
  let report: OnImage = () => undefined;
  let finish: (value: string) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const build = (onImage: OnImage) => {
    report = onImage;
    return new Promise<string>((resolve, reject) => ((finish = resolve), (fail = reject)));
  };
  return { build, report: (name: LocalImageName) => report(name, image(name)), finish: () => finish("map"), fail: (error: Error) => fail(error) };
}

const dirs: string[] = [];
/** A lock folder as build-lock.ts makes it, owned by `pid`. */
function lockFolder(pid: number): string {
  const dir = mkdtempSync(join(tmpdir(), "ready-images-"));
  dirs.push(dir);
  writeFileSync(join(dir, "pid"), String(pid));
  return dir;
}
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe("following the stand-up's image build", () => {
  it("answers for an image as soon as this process's build reports it, before the build ends", async () => {
    const run = manualBuild();
    const images = followImages(run.build, lockFolder(process.pid));
    const redis = images.ready("redis");
    run.report("redis");
    await expect(redis).resolves.toMatchObject({ tag: "redis" });
    let appReady = false;
    void images.ready("app").then(() => (appReady = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(appReady).toBe(false);
    run.report("app");
    run.finish();
    await expect(images.all).resolves.toBe("map");
    expect(appReady).toBe(true);
  });

  it("answers from the record of the live process that holds the build lock while this one waits for it", async () => {
    const lock = lockFolder(process.pid);
    recordReady(lock, "postgres", image("postgres"));
    const images = followImages(manualBuild().build, lock);
    await expect(images.ready("postgres")).resolves.toMatchObject({ tag: "postgres", id: "sha256:postgres" });
  });

  it("ignores the record of a lock whose holder died", () => {
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const lock = lockFolder(Number(dead.stdout));
    writeFileSync(join(lock, "ready.json"), JSON.stringify({ pid: Number(dead.stdout), images: { redis: image("redis") } }));
    expect(readReady(lock)).toEqual({});
    expect(readReady(lockFolder(process.pid))).toEqual({});
  });

  it("fails every waiting container, and later ones, with the build's own error", async () => {
    const run = manualBuild();
    const images = followImages(run.build, lockFolder(process.pid));
    const nginx = images.ready("nginx");
    run.fail(new Error("nginx: apt-get install failed"));
    await expect(nginx).rejects.toThrow("nginx: apt-get install failed");
    await expect(images.ready("redis")).rejects.toThrow("nginx: apt-get install failed");
  });

  it("fails the images a finished build never reported, and refuses a name that is no stand-up image", async () => {
    const run = manualBuild();
    const images = followImages(run.build, lockFolder(process.pid));
    const certbot = images.ready("certbot");
    run.finish();
    await expect(certbot).rejects.toThrow(/finished without .*certbot/);
    await expect(images.ready("grafana" as LocalImageName)).rejects.toThrow("grafana is no stand-up image");
  });
});

// The stand-up's images as each one becomes ready, so the stand-up creates the containers whose
// images exist while the others still build. From nothing the builds take minutes (the app's chain
// is the last to finish); before this the stand-up waited for every image before its first container.
//
// The process that holds the build lock (build-lock.ts) records each image it has built or reused in
// a file inside the lock folder, which goes with the lock. A process waiting for the lock reads it,
// so the stand-up follows a build that another process runs (in `npm test`, often the image-build
// test's) as well as its own.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BuiltImage } from "./build-images";
import { engineBuildLockDir, liveOwner } from "./build-lock";
import { LOCAL_IMAGE_NAMES, type LocalImageName } from "./catalog";

const READY_FILE = "ready.json";
const POLL_MS = 1000;

type ReadyImages = Partial<Record<LocalImageName, BuiltImage>>;

/** Adds `image` to the lock holder's record. Only the holder writes it, from one process: no race. */
export function recordReady(lockDir: string, name: LocalImageName, image: BuiltImage): void {
  const file = join(lockDir, READY_FILE);
  const images = { ...readRecord(file)?.images, [name]: image };
  // Written aside and renamed: a reader never sees half a file.
  writeFileSync(`${file}.${process.pid}`, JSON.stringify({ pid: process.pid, images }));
  renameSync(`${file}.${process.pid}`, file);
}

function readRecord(file: string): { readonly pid: number; readonly images: ReadyImages } | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as { pid: number; images: ReadyImages };
  } catch {
    return undefined;
  }
}

/** What the live holder of `lockDir` has recorded ready; nothing when no live process holds it. */
export function readReady(lockDir: string): ReadyImages {
  const record = readRecord(join(lockDir, READY_FILE));
  // A lock whose owner died keeps its folder until the next taker clears it: its record is void.
  return record && liveOwner(lockDir) === record.pid ? record.images : {};
}

export interface ImagesInProgress<Map> {
  /** Resolves once `name` is built or reused (by this process or the lock's holder); rejects when the build fails. */
  ready(name: LocalImageName): Promise<BuiltImage>;
  /** The build of every image, as ensureStandupImages returns it. */
  readonly all: Promise<Map>;
}

/**
 * Starts `build` (ensureStandupImages, which calls back for every image it builds or reuses) and
 * answers for each image as soon as it is ready, from that callback or from the record of another
 * process that holds the lock.
 */
export function followImages<Map>(
  build: (onImage: (name: LocalImageName, image: BuiltImage) => void) => Promise<Map>,
  lockDir = engineBuildLockDir(),
): ImagesInProgress<Map> {
  const known = new Map<LocalImageName, BuiltImage>();
  const waiting = new Map<LocalImageName, { resolve: (image: BuiltImage) => void; reject: (error: Error) => void }[]>();
  let failure: Error | undefined;
  const settle = (name: LocalImageName, image: BuiltImage) => {
    if (known.has(name)) return;
    known.set(name, image);
    for (const waiter of waiting.get(name) ?? []) waiter.resolve(image);
    waiting.delete(name);
  };
  const fail = (error: Error) => {
    failure = error;
    for (const waiters of waiting.values()) for (const waiter of waiters) waiter.reject(error);
    waiting.clear();
  };
  const poll = setInterval(() => {
    for (const [name, image] of Object.entries(readReady(lockDir)) as [LocalImageName, BuiltImage][]) settle(name, image);
  }, POLL_MS);
  poll.unref();
  const all = build(settle);
  all.then(
    () => {
      // The build calls back for every image, reused ones included: nothing can be left waiting.
      const missing = LOCAL_IMAGE_NAMES.filter((name) => !known.has(name));
      if (missing.length > 0) fail(new Error(`the image build finished without ${missing.join(", ")}`));
    },
    (error: Error) => fail(error),
  ).finally(() => clearInterval(poll));
  // The caller may never await `all` (a stand-up that failed first): its failure reaches the waiters.
  all.catch(() => undefined);
  return {
    all,
    ready(name) {
      if (!LOCAL_IMAGE_NAMES.includes(name)) return Promise.reject(new Error(`${name} is no stand-up image (tests/standup/images/catalog.ts)`));
      const image = known.get(name);
      if (image) return Promise.resolve(image);
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => waiting.set(name, [...(waiting.get(name) ?? []), { resolve, reject }]));
    },
  };
}

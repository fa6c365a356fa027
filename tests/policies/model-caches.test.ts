// The pack's memos (lib/model-cache.ts, the cron timings, the index of volume writers nginx reads)
// save repeating work across policies and containers: none may ever serve a result built from other
// inputs than the ones asked about.
import { unknownCheckingProxy, type PolicyResource } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { parseCrontab } from "../../policies/lib/cron/crontab";
import { combinedMaxGap, scheduleTiming } from "../../policies/lib/cron/schedule";
import { memoized, memoizedForInputs } from "../../policies/lib/model-cache";
import { nginxInputOf } from "../../policies/lib/nginx/container-input";
import { uploadsOf } from "../../policies/lib/containers";

const schedule = (line: string) => parseCrontab(`${line} /bin/job\n`, false).jobs[0]!.schedule;

describe("the model cache", () => {
  it("builds once per key and again for another key", () => {
    let builds = 0;
    const build = (value: string) => () => {
      builds++;
      return { value };
    };
    const first = memoized("test-kind", "inputs A", build("A"));
    expect(memoized("test-kind", "inputs A", build("stale"))).toBe(first);
    expect(memoized("test-kind", "inputs B", build("B")).value).toBe("B");
    expect(memoized("other-kind", "inputs A", build("other")).value).toBe("other");
    expect(builds).toBe(3);
  });

  it("keeps the entries in use and drops the least recently used one when full", () => {
    const build = (value: number) => () => ({ value });
    const hot = memoized("test-lru", "hot", build(-1));
    // Far more keys than the bound, the hot one asked for all along.
    for (let i = 0; i < 3000; i++) {
      memoized("test-lru", `cold ${i}`, build(i));
      expect(memoized("test-lru", "hot", build(-2))).toBe(hot);
    }
    let rebuilt = false;
    memoized("test-lru", "cold 0", () => {
      rebuilt = true;
      return { value: 0 };
    });
    expect(rebuilt).toBe(true);
  });
});

describe("the model cache by a resource's inputs", () => {
  const kindModel = (image: string) => ({ image });

  it("serves the same inputs object's model without reading the inputs or building their key again, and other inputs by their own key", () => {
    const read: string[] = [];
    const ask = (owner: object, image: string) =>
      memoizedForInputs("test-inputs", "urn:web", owner, () => {
        read.push(image);
        return image;
      }, (i) => `web ${i}`, kindModel);
    const props = { image: "a" };
    const first = ask(props, "a");
    expect(ask(props, "a")).toBe(first);
    expect(read).toEqual(["a"]);
    // Another object with the same content: found by its key text, the same model.
    expect(ask({ image: "a" }, "a")).toBe(first);
    // Other content: its own model.
    expect(ask({ image: "b" }, "b").image).toBe("b");
    expect(read).toEqual(["a", "a", "b"]);
  });

  it("never serves one resource's model for another URN handed the same inputs object", () => {
    const props = { image: "a" };
    const web = memoizedForInputs("test-inputs-urn", "urn:web", props, () => "a", (i) => `urn:web ${i}`, () => ({ urn: "urn:web" }));
    const worker = memoizedForInputs("test-inputs-urn", "urn:worker", props, () => "a", (i) => `urn:worker ${i}`, () => ({ urn: "urn:worker" }));
    expect(worker.urn).toBe("urn:worker");
    expect(web.urn).toBe("urn:web");
  });

  it("keeps nothing when reading the inputs throws, so every later ask throws too", () => {
    const props = { command: "unknown at preview" };
    const ask = () => memoizedForInputs("test-inputs-throw", "urn:job", props, () => {
      throw new Error("undecidable: command");
    }, () => "never", () => ({}));
    expect(ask).toThrow("undecidable: command");
    expect(ask).toThrow("undecidable: command");
  });
});

describe("a container's uploads", () => {
  const container = (props: Record<string, unknown>): PolicyResource => ({
    type: "docker:index/container:Container", name: "web", urn: "urn:web", props: unknownCheckingProxy(props), opts: {}, dependencies: [], propertyDependencies: {},
    isType: () => false, asType: () => undefined,
  }) as unknown as PolicyResource;

  it("are read once per deserialized value and handed to every rule frozen, another value's read on its own", () => {
    const props = { uploads: [{ file: "/etc/app.conf", contentBase64: Buffer.from("debug = false").toString("base64") }] };
    // Two policies: two resource objects and two proxies over the same deserialized value.
    const first = uploadsOf(container(props));
    expect(first).toEqual([{ file: "/etc/app.conf", content: "debug = false" }]);
    expect(uploadsOf(container(props))).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first[0])).toBe(true);
    expect(uploadsOf(container({ uploads: [{ file: "/etc/app.conf", content: "debug = true" }] }))[0]!.content).toBe("debug = true");
  });
});

describe("cron timings", () => {
  it("give each schedule, and each set of schedules, its own gap, whatever was asked before", () => {
    const daily = schedule("0 3 * * *");
    const weekly = schedule("0 3 * * 0");
    const twiceWeekly = [schedule("0 3 * * 0"), schedule("0 3 * * 3")];
    expect(scheduleTiming(daily).maxGapMinutes).toBe(1440);
    expect(scheduleTiming(weekly).maxGapMinutes).toBe(7 * 1440);
    // Sunday and Wednesday: the longest wait is Wednesday to Sunday, four days.
    expect(combinedMaxGap(twiceWeekly)).toBe(4 * 1440);
    expect(combinedMaxGap([schedule("0 3 * * 0"), schedule("0 3 * * 4")])).toBe(4 * 1440);
    expect(combinedMaxGap([schedule("0 3 * * 1"), schedule("0 3 * * 4")])).toBe(4 * 1440);
    expect(combinedMaxGap([schedule("0 3 * * 1"), schedule("0 3 * * 2")])).toBe(6 * 1440);
    // The same set in another order is the same set.
    expect(combinedMaxGap([...twiceWeekly].reverse())).toBe(4 * 1440);
    expect(combinedMaxGap([schedule("0 3 * * 0"), schedule("30 3 * * 0")])).toBe(7 * 1440 - 30);
  });
});

describe("files nginx reads from a volume another container writes", () => {
  const CONTAINER = "docker:index/container:Container";
  const container = (props: Record<string, unknown>, name: string): PolicyResource =>
    ({ type: CONTAINER, name, urn: `urn:${name}`, props: unknownCheckingProxy(props), propertyDependencies: {} }) as unknown as PolicyResource;
  const nginx = () => container({
    image: "nginx:1.27.3",
    uploads: [{ file: "/etc/nginx/nginx.conf", content: "events {}\nhttp { include /etc/nginx/shared/*.conf; }\n" }],
    volumes: [{ volumeName: "shared", containerPath: "/etc/nginx/shared" }],
  }, "nginx");
  const writer = (content: string, volumeName = "shared") =>
    container({ image: "alpine:3.20", volumes: [{ volumeName, containerPath: "/out" }], uploads: [{ file: "/out/tls.conf", content }] }, "writer");
  const sharedFile = (stack: PolicyResource[]) => nginxInputOf(stack[0]!, stack)!.files.get("/etc/nginx/shared/tls.conf")?.content;

  it("come from the stack being judged, not from one judged before", () => {
    const first = [nginx(), writer("ssl_protocols TLSv1;\n")];
    expect(sharedFile(first)).toBe("ssl_protocols TLSv1;\n");
    expect(sharedFile(first)).toBe("ssl_protocols TLSv1;\n");
    expect(sharedFile([nginx(), writer("ssl_protocols TLSv1.3;\n")])).toBe("ssl_protocols TLSv1.3;\n");
    expect(sharedFile([nginx(), writer("ssl_protocols TLSv1.3;\n", "elsewhere")])).toBeUndefined();
    expect(sharedFile([nginx()])).toBeUndefined();
  });

  it("are read in the stack's order: of two writers of one file, the later one wins", () => {
    const a = writer("ssl_protocols TLSv1;\n");
    const b = container({ image: "alpine:3.20", volumes: [{ volumeName: "shared", containerPath: "/data" }], uploads: [{ file: "/data/tls.conf", content: "ssl_protocols TLSv1.2;\n" }] }, "second");
    expect(sharedFile([nginx(), a, b])).toBe("ssl_protocols TLSv1.2;\n");
    expect(sharedFile([nginx(), b, a])).toBe("ssl_protocols TLSv1;\n");
  });
});

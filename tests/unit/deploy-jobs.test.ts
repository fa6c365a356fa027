// The precondition web, worker and beat carry: every deploy job's recorded exit code is 0. And the
// baseline's guard that a waited-for healthcheck can pass within the wait.
import { describe, expect, it } from "vitest";
import { deployJobFailures } from "../../components/app/deploy-jobs";
import { durationSeconds, hardenedContainerArgs } from "../../components/docker/hardening";

describe("deploy job exit codes", () => {
  it("names each job that exited non-zero or reported no exit code, and nothing when all exited 0", () => {
    expect(deployJobFailures([{ containerName: "jewelry-migrate", exitCode: 0 }, { containerName: "jewelry-collectstatic", exitCode: 0 }])).toEqual([]);
    expect(deployJobFailures([
      { containerName: "jewelry-migrate", exitCode: 1 },
      { containerName: "jewelry-collectstatic", exitCode: 0 },
      { containerName: "jewelry-compilemessages", exitCode: undefined },
    ])).toEqual([
      "jewelry-migrate exited 1 (its output: docker logs jewelry-migrate)",
      "jewelry-compilemessages reported no exit code (it did not run to its end)",
    ]);
  });
});

describe("the hardened baseline's healthcheck wait", () => {
  const size = { memoryMb: 256, cpus: 0.5 };
  it("reads Docker durations", () => {
    expect([durationSeconds("10s"), durationSeconds("5m"), durationSeconds("1h30m"), durationSeconds("500ms")]).toEqual([10, 300, 5400, 0.5]);
    expect(() => durationSeconds("5 minutes")).toThrow(/not a duration/);
  });

  it("refuses a waited-for service whose first probe comes after the wait ends, and allows it unwaited", () => {
    const healthcheck = { test: ["CMD", "true"], interval: "5m" };
    expect(() => hardenedContainerArgs({ containerName: "jewelry-slow", image: "x", size, healthcheck })).toThrow(/first verdict comes after 305 s/);
    const unwaited = hardenedContainerArgs({ containerName: "jewelry-slow", image: "x", size, healthcheck, waitForHealthy: false });
    expect(unwaited.wait).toBe(false);
  });

  it("waits for services by default, with a 10 s interval, and never for one-shot jobs", () => {
    const service = hardenedContainerArgs({ containerName: "jewelry-svc", image: "x", size, healthcheck: { test: ["CMD", "true"] } });
    expect({ wait: service.wait, timeout: service.waitTimeout, interval: (service.healthcheck as { interval: string }).interval }).toEqual({ wait: true, timeout: 180, interval: "10s" });
    expect(hardenedContainerArgs({ containerName: "jewelry-job", image: "x", size, restart: "no", healthcheck: { test: ["CMD", "true"] } }).wait).toBe(false);
  });
});

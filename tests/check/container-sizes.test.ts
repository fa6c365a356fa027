// The host-size rule in components/config counts each size once per container that uses it
// (CONTAINERS_PER_SIZE). Proven here against the containers the program really declares: every
// service gets a distinct memory size, and the containers are counted by their memory limit.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { readStackConfig } from "../../check/stack-config";
import { CONTAINERS_PER_SIZE, SERVICES } from "../../components/config";
import { containerMemoryTotalMb } from "../../components/config/rules";
import { runProgramAfresh } from "../fixtures/broken-stacks/check-session";

const root = path.resolve(__dirname, "../..");

describe("container sizes against the host", () => {
  it("counts every container the program runs with each service's size", async () => {
    (require("tsx/cjs/api") as { register(): void }).register();
    const production = readStackConfig(root, "production");
    const sizes = Object.fromEntries(SERVICES.map((service, i) => [service, { memoryMb: 1000 + i, cpus: 1 }]));
    const config = { ...production.config, "jewelry-shop:sizes": JSON.stringify(sizes), "jewelry-shop:hostSize": JSON.stringify({ memoryMb: 1_000_000, cpus: 8 }) };
    const run = await runProgramAfresh(root, { ...production, config });
    const memories = run.resources.filter((r) => r.type === "docker:index/container:Container").map((r) => Number(r.object.memory));
    const perService = Object.fromEntries(SERVICES.map((service, i) => [service, memories.filter((m) => m === 1000 + i).length]));
    expect(perService).toEqual(CONTAINERS_PER_SIZE);
    expect(memories.every((m) => m >= 1000 && m < 1000 + SERVICES.length)).toBe(true);
    expect(containerMemoryTotalMb(sizes as never)).toBe(memories.reduce((a, b) => a + b, 0));
  }, 120_000);
});

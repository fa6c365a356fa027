// Prometheus on the running stack: every declared scrape target that is in the stand-up is up, and
// the alert rules the program uploads load without error.
import { beforeAll, describe, expect, it } from "vitest";
import type { StandUpInfo } from "./standup";
import { declaredContainers, eventually, prometheusApi, standUp, standUpSkipped, uploadContent } from "./fixture";

interface Target { readonly labels: { job: string; instance: string }; readonly scrapeUrl: string; readonly health: string; readonly lastError: string }

describe.skipIf(standUpSkipped())("monitoring", () => {
  let info: StandUpInfo;
  /** Every DNS name of a container in the stand-up (container name and aliases). */
  let running: Set<string>;
  let left: Set<string>;
  beforeAll(async () => {
    info = await standUp();
    const names = (inputs: Record<string, unknown>) => [String(inputs.name), ...((inputs.networksAdvanced ?? []) as { aliases?: string[] }[]).flatMap((n) => n.aliases ?? [])];
    running = new Set(declaredContainers(info).flatMap((c) => names(c.inputs)));
    const skipped = new Set(info.skipped.map((s) => s.resource));
    left = new Set(info.declared.resources.filter((r) => skipped.has(r.name)).flatMap((r) => names(r.object as Record<string, unknown>)));
  });

  it("scrapes every declared target whose container is in the stand-up as up", async () => {
    const hostOf = (t: Target) => new URL(t.scrapeUrl).hostname;
    const targets = await eventually("every scrape target of the stand-up to be scraped", async () => {
      const { activeTargets } = await prometheusApi<{ activeTargets: Target[] }>(info, "/api/v1/targets");
      const ours = activeTargets.filter((t) => !left.has(hostOf(t)));
      return ours.every((t) => t.health === "up") ? activeTargets : undefined;
    }, 120_000).catch(async (error: Error) => {
      const { activeTargets } = await prometheusApi<{ activeTargets: Target[] }>(info, "/api/v1/targets");
      throw new Error(`${error.message}\n${activeTargets.filter((t) => t.health !== "up").map((t) => `${t.labels.job} ${t.scrapeUrl}: ${t.health} ${t.lastError}`).join("\n")}`);
    });
    const hosts = targets.map(hostOf);
    // Each scraped host is either a container of the stand-up (or Prometheus itself) or one left out on purpose.
    for (const host of hosts) expect({ host, known: running.has(host) || left.has(host) || host === "localhost" }).toEqual({ host, known: true });
    expect(targets.filter((t) => !left.has(hostOf(t))).length).toBeGreaterThanOrEqual(8);
  });

  it("loads every alert rule the program uploads, none with an error", async () => {
    const rulesFile = (declaredContainers(info).find((c) => c.name === "jewelry-prometheus")!.inputs.uploads as { file: string }[])
      .map((u) => u.file).find((file) => file.includes("/rules/"))!;
    const declaredAlerts = [...uploadContent(info, "jewelry-prometheus", rulesFile).matchAll(/^\s*-\s*alert:\s*(\S+)/gm)].map((m) => m[1]).sort();
    const { groups } = await prometheusApi<{ groups: { rules: { name: string; type: string; health: string; lastError?: string }[] }[] }>(info, "/api/v1/rules");
    const loaded = groups.flatMap((g) => g.rules).filter((r) => r.type === "alerting");
    expect(loaded.map((r) => r.name).sort()).toEqual(declaredAlerts);
    expect(declaredAlerts.length).toBeGreaterThan(5);
    for (const rule of loaded) expect({ rule: rule.name, health: rule.health === "err" ? rule.lastError : "ok" }).toEqual({ rule: rule.name, health: "ok" });
  });
});

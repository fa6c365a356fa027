// Monitoring as it runs (P.12, 8.4): Prometheus scrapes every declared target and each is up; the
// declared alert rules are loaded without error (8.6). Alertmanager (P.13): for each declared alert's
// labels, the loaded configuration routes to the receivers the declared one routes to (both asked of
// amtool, Alertmanager's own tool); a test alert is posted only with --send-test-alert.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { result, unreachable, type Check, type VerifyContext } from "../context";
import type { CheckResult } from "../../report";
import { withForward } from "./reach";

const run = promisify(execFile);

function httpJson<T>(port: number, path: string, method = "GET", body?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = http.request({ host: "127.0.0.1", port, path, method, timeout: 15_000, headers: payload ? { "Content-Type": "application/json" } : {} }, (response) => {
      let text = "";
      response.setEncoding("utf8").on("data", (d: string) => (text += d));
      response.on("end", () => {
        if ((response.statusCode ?? 500) >= 300) return reject(new Error(`${method} ${path}: ${response.statusCode} ${text.slice(0, 200)}`));
        try {
          resolve((text ? JSON.parse(text) : {}) as T);
        } catch (err) {
          reject(err);
        }
      });
    });
    request.on("timeout", () => request.destroy(new Error(`${method} ${path}: no answer in 15 s`)));
    request.on("error", reject);
    request.end(payload);
  });
}

function prometheusApi<T>(ctx: VerifyContext, path: string): Promise<T> {
  const p = ctx.intent.prometheus;
  if (!p) throw new Error("the program declares no Prometheus");
  return withForward(ctx, p.container, p.port, async (port) => {
    const answer = await httpJson<{ status: string; data: T; error?: string }>(port, path);
    if (answer.status !== "success") throw new Error(`${path}: ${answer.error ?? answer.status}`);
    return answer.data;
  });
}

export interface Sample { readonly metric: Readonly<Record<string, string>>; readonly value: readonly [number, string] }

export const prometheusQuery = async (ctx: VerifyContext, query: string): Promise<Sample[]> =>
  (await prometheusApi<{ result: Sample[] }>(ctx, `/api/v1/query?query=${encodeURIComponent(query)}`)).result;

interface Target { labels: Record<string, string>; scrapeUrl: string; health: string; lastError: string }

export const prometheus: Check = {
  name: "prometheus",
  where: "inside",
  ids: ["P.12", "8.4", "8.6"],
  summary: "Prometheus has every declared target up and every declared alert rule loaded",
  async run(ctx) {
    const declared = ctx.intent.prometheus;
    if (!declared) return [result("prometheus", this.ids, "prometheus", "fail", "the program declares no Prometheus")];
    const results: CheckResult[] = [];
    try {
      const { activeTargets } = await prometheusApi<{ activeTargets: Target[] }>(ctx, "/api/v1/targets");
      for (const t of declared.targets) {
        // A blackbox probe's scrape URL is the exporter's: its target is the `target` parameter.
        const scraped = (a: Target) => [new URL(a.scrapeUrl).host, new URL(a.scrapeUrl).searchParams.get("target")];
        const found = activeTargets.find((a) => a.labels.job === t.job && scraped(a).includes(t.target));
        results.push(result("prometheus", ["P.12", "8.4"], `${t.job} ${t.target}`, found?.health === "up" ? "pass" : "fail",
          found ? `${found.health}${found.lastError ? `: ${found.lastError}` : ""}` : "not among Prometheus's active targets", "scraped and up"));
      }
      const { groups } = await prometheusApi<{ groups: { rules: { name: string; type: string; health: string; lastError?: string }[] }[] }>(ctx, "/api/v1/rules");
      const loaded = groups.flatMap((g) => g.rules).filter((r) => r.type === "alerting");
      const missing = declared.alertRules.filter((r) => !loaded.some((l) => l.name === r.alert)).map((r) => r.alert);
      const broken = loaded.filter((r) => r.health === "err").map((r) => `${r.name}: ${r.lastError}`);
      results.push(result("prometheus", ["8.6"], "alert rules", missing.length + broken.length === 0 && declared.alertRules.length > 0 ? "pass" : "fail",
        missing.length + broken.length === 0 ? `all ${declared.alertRules.length} declared rules loaded: ${declared.alertRules.map((r) => r.alert).join(", ")}` : [...missing.map((m) => `${m} not loaded`), ...broken].join("; "),
        `${declared.alertRules.length} declared alert rules loaded, none in error`));
    } catch (err) {
      return [unreachable("prometheus", this.ids, declared.container, err)];
    }
    return results;
  },
};

/** The receivers amtool routes a label set to under a configuration text. */
async function routes(configText: string, labels: Readonly<Record<string, string>>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "verify-am-"));
  try {
    const file = join(dir, "alertmanager.yml");
    writeFileSync(file, configText, { mode: 0o600 });
    const { stdout } = await run("amtool", ["config", "routes", "test", `--config.file=${file}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)], { timeout: 15_000 });
    return stdout.trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new Error("amtool is not installed: apt-get install prometheus-alertmanager (Debian), or --skip alertmanager");
    throw err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const alertmanager: Check = {
  name: "alertmanager",
  where: "inside",
  ids: ["P.13"],
  summary: "Alertmanager's loaded route sends each declared alert to the declared receivers (a test alert only with --send-test-alert)",
  async run(ctx) {
    const declared = ctx.intent.alertmanager;
    const rules = ctx.intent.prometheus?.alertRules ?? [];
    if (!declared) return [result("alertmanager", this.ids, "alertmanager", "fail", "the program declares no Alertmanager")];
    try {
      return await withForward(ctx, declared.container, declared.port, async (port) => {
        const status = await httpJson<{ config: { original: string } }>(port, "/api/v2/status");
        const results: CheckResult[] = [];
        const labelSets = new Map<string, Record<string, string>>();
        for (const r of rules) labelSets.set(JSON.stringify(r.labels), { ...r.labels });
        const differing: string[] = [];
        const same: string[] = [];
        for (const labels of labelSets.values()) {
          const [want, got] = await Promise.all([routes(declared.configText, labels), routes(status.config.original, labels)]);
          const text = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",");
          if (want === got) same.push(`${text} -> ${got}`);
          else differing.push(`${text} -> ${got} (declared ${want})`);
        }
        results.push(result("alertmanager", ["P.13"], "route", differing.length === 0 && labelSets.size > 0 ? "pass" : "fail",
          differing.length === 0 ? `loaded config routes as declared: ${same.join("; ")}` : differing.join("; "), "the declared receivers for every alert rule's labels"));
        if (!ctx.writes.testAlert) {
          results.push({ ...result("alertmanager", ["P.13"], "test alert", "skipped", "no test alert sent"), reason: "a test alert notifies the receivers: only with --send-test-alert" });
          return results;
        }
        const critical = [...labelSets.values()].find((l) => l.severity === "critical") ?? [...labelSets.values()][0] ?? {};
        const labels = { ...critical, alertname: "JewelryShopVerifyTestAlert", source: "npm run verify" };
        const endsAt = new Date(ctx.now().getTime() + 5 * 60_000).toISOString();
        await httpJson(port, "/api/v2/alerts", "POST", [{ labels, annotations: { summary: "Test alert from npm run verify: no action needed" }, endsAt }]);
        const receivers = await routes(status.config.original, labels);
        let seen: { receivers: { name: string }[] }[] = [];
        for (let i = 0; i < 10 && seen.length === 0; i++) {
          seen = await httpJson<{ receivers: { name: string }[] }[]>(port, `/api/v2/alerts?filter=${encodeURIComponent('alertname="JewelryShopVerifyTestAlert"')}`);
          if (seen.length === 0) await new Promise((r) => setTimeout(r, 500));
        }
        const got = [...new Set(seen.flatMap((a) => a.receivers.map((r) => r.name)))].sort().join(",");
        results.push(result("alertmanager", ["P.13"], "test alert", got !== "" && got === receivers.split(",").map((s) => s.trim()).sort().join(",") ? "pass" : "fail",
          `accepted and routed to ${got || "no receiver"} (delivery is the receiver's: check it arrived)`, `routed to ${receivers}`));
        return results;
      });
    } catch (err) {
      return [unreachable("alertmanager", this.ids, declared.container, err)];
    }
  },
};

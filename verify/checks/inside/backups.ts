// Backups as pgBackRest reports them on the repository host (3.5, P.11): per declared repository, the
// newest full backup is younger than the full schedule allows and the newest full or differential one
// younger than the differential schedule allows (each: the longest gap between two scheduled runs,
// plus a grace for the run itself). `pgbackrest info` runs in the backup container as postgres,
// read-only. And the restore drill (13.5, 13.7, 15.6): its last run succeeded, within its schedule,
// as its own metrics in Prometheus say.
import { execIn } from "../../probes/docker-host";
import { result, unreachable, type Check, type VerifyContext } from "../context";
import type { CheckResult } from "../../report";
import { prometheusQuery } from "./monitoring";

/** Time a scheduled run may take beyond its slot: a quarter of the interval, at most 6 hours. */
export const graceSeconds = (interval: number) => Math.min(interval / 4, 6 * 3600);

const ago = (seconds: number) => (seconds < 3600 ? `${Math.round(seconds / 60)} min` : seconds < 172_800 ? `${(seconds / 3600).toFixed(1)} h` : `${(seconds / 86_400).toFixed(1)} days`);

interface InfoBackup { label: string; type: "full" | "diff" | "incr"; timestamp: { start: number; stop: number }; database?: { "repo-key"?: number }; error?: boolean }
interface InfoStanza { name: string; backup: InfoBackup[]; repo?: { key: number; status: { code: number; message: string } }[]; status: { code: number; message: string } }

export const backups: Check = {
  name: "backups",
  where: "inside",
  ids: ["3.5", "P.11"],
  summary: "the newest full and differential backups of each repository are younger than the declared schedule allows",
  async run(ctx) {
    const declared = ctx.intent.backups;
    if (!declared) return [result("backups", ["3.5", "P.11"], "backups", "fail", "the program declares no pgBackRest repository host with a backup schedule")];
    if (!ctx.dockerHost) return [unreachable("backups", this.ids, declared.container, new Error("no Docker host"))];
    // One `pgbackrest info` per repository, side by side: a repository that does not answer (an
    // object store out of reach) leaves the others judged.
    const infoOf = async (repo: number): Promise<InfoStanza> => {
      const run = await execIn(ctx.dockerHost!.docker, declared.container, ["pgbackrest", `--stanza=${declared.stanza}`, `--repo=${repo}`, "--output=json", "info"], { user: "postgres", timeoutMs: 120_000 });
      const found = (JSON.parse(run.stdout || "[]") as InfoStanza[]).find((s) => s.name === declared.stanza);
      if (!found) throw new Error(`pgbackrest info shows no stanza ${declared.stanza} (exit ${run.exitCode}): ${run.stderr.trim().slice(0, 200)}`);
      return found;
    };
    const repos = [...declared.intervals].sort(([a], [b]) => a - b);
    const infos = await Promise.all(repos.map(([repo]) => infoOf(repo).then((stanza) => ({ stanza }), (error: Error) => ({ error }))));
    const now = ctx.now().getTime() / 1000;
    const results: CheckResult[] = [];
    for (const [index, [repo, types]] of repos.entries()) {
      const info = infos[index]!;
      if ("error" in info) {
        results.push(unreachable("backups", this.ids, `repo${repo}`, info.error));
        continue;
      }
      const stanza = info.stanza;
      const repoStatus = stanza.repo?.find((r) => r.key === repo)?.status;
      const inRepo = stanza.backup.filter((b) => (b.database?.["repo-key"] ?? 1) === repo && !b.error);
      for (const type of ["full", "diff"] as const) {
        const interval = types.get(type);
        if (interval === undefined) continue;
        const allowed = interval + graceSeconds(interval);
        // A newer full backup is a newer base for the differential schedule too.
        const newest = inRepo.filter((b) => b.type === "full" || (type === "diff" && b.type === "diff")).sort((a, b) => b.timestamp.stop - a.timestamp.stop)[0];
        const subject = `repo${repo} ${type}`;
        const expected = `younger than ${ago(allowed)} (scheduled every ${ago(interval)} at most)`;
        if (!newest) {
          results.push(result("backups", ["3.5", "P.11"], subject, "fail", `no ${type === "full" ? "full" : "full or differential"} backup in repo${repo}${repoStatus && repoStatus.code !== 0 ? ` (repository: ${repoStatus.message})` : ""}`, expected));
          continue;
        }
        const age = now - newest.timestamp.stop;
        results.push(result("backups", ["3.5", "P.11"], subject, age <= allowed ? "pass" : "fail", `newest ${newest.label} (${newest.type}) finished ${ago(age)} ago`, expected));
      }
    }
    return results;
  },
};

export const restoreDrill: Check = {
  name: "restore-drill",
  where: "inside",
  ids: ["13.5", "13.7", "15.6"],
  summary: "the last restore drill succeeded, within its declared schedule (its metrics in Prometheus)",
  async run(ctx: VerifyContext) {
    const declared = ctx.intent.backups;
    if (!declared?.drillInterval) return [result("restore-drill", this.ids, "restore drill", "fail", "the program schedules no restore drill")];
    const allowed = declared.drillInterval + graceSeconds(declared.drillInterval);
    try {
      const success = await prometheusQuery(ctx, "jewelry_restore_drill_success");
      const finished = await prometheusQuery(ctx, "jewelry_restore_drill_last_success_timestamp_seconds");
      if (success.length === 0) return [result("restore-drill", this.ids, "restore drill", "fail", "no drill has reported (jewelry_restore_drill_success absent)", `a successful drill within ${ago(allowed)}`)];
      return success.map((s) => {
        const repo = s.metric.repo ?? "";
        const last = finished.find((f) => (f.metric.repo ?? "") === repo);
        const age = last ? ctx.now().getTime() / 1000 - Number(last.value[1]) : Infinity;
        const ok = s.value[1] === "1" && age <= allowed;
        return result("restore-drill", this.ids, `restore drill ${repo}`, ok ? "pass" : "fail",
          `last run ${s.value[1] === "1" ? "succeeded" : "failed"}; last success ${last ? `${ago(age)} ago` : "never"}`, `succeeded, last success within ${ago(allowed)}`);
      });
    } catch (err) {
      return [unreachable("restore-drill", this.ids, "prometheus", err)];
    }
  },
};

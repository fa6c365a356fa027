// Celery (P.8): every worker answers `celery inspect ping`, run in its container through the
// container's own entrypoint (which loads the broker credentials), addressed to that container's own
// node (-d): a broadcast ping waits out its whole --timeout for whoever else may answer, and another
// container's worker answering would not show this one alive. With --canary, Celery's built-in
// `celery.accumulate` task (it returns its arguments, touches nothing) is sent to each queue and the
// worker's task counter shows it done.
import { randomBytes } from "node:crypto";
import { stringList } from "../../../policies/lib/containers";
import { execIn } from "../../probes/docker-host";
import { result, unreachable, type Check, type VerifyContext } from "../context";
import type { DeclaredContainer } from "../../intent/containers";
import type { CheckResult } from "../../report";

/** argv that runs `celery -A <app> <args>` the way the container runs its command: through its entrypoint. */
function celeryArgv(worker: DeclaredContainer, args: readonly string[]): string[] {
  const command = stringList(worker.inputs.command);
  const app = command[command.indexOf("-A") + 1] ?? command[command.indexOf("--app") + 1] ?? "config";
  return [...stringList(worker.inputs.entrypoints), "celery", "-A", app, ...args];
}

/**
 * The Celery node a worker container runs: its command's -n/--hostname (Celery's default celery@%h),
 * expanded as Celery does for the container's hostname (%h whole, %n its first label, %d the rest;
 * a name without "@" is prefixed with "celery@").
 */
export function celeryNodeName(command: readonly string[], hostname: string): string {
  let name = "celery@%h";
  command.forEach((arg, i) => {
    if ((arg === "-n" || arg === "--hostname") && command[i + 1] !== undefined) name = command[i + 1]!;
    else if (arg.startsWith("--hostname=")) name = arg.slice("--hostname=".length);
    else if (/^-n./.test(arg)) name = arg.slice(2);
  });
  const [short, ...domain] = hostname.split(".");
  const expanded = name.replace(/%h/g, hostname).replace(/%n/g, short ?? "").replace(/%d/g, domain.join("."));
  return expanded.includes("@") ? expanded : `celery@${expanded}`;
}

async function celery(ctx: VerifyContext, worker: DeclaredContainer, args: readonly string[]) {
  return execIn(ctx.dockerHost!.docker, worker.name, celeryArgv(worker, args), { timeoutMs: 60_000 });
}

const totalOf = (statsJson: string, task: string): number => {
  try {
    const stats = JSON.parse(statsJson) as Record<string, { total?: Record<string, number> }>;
    return Object.values(stats).reduce((sum, s) => sum + (s.total?.[task] ?? 0), 0);
  } catch {
    return NaN;
  }
};

export const celeryWorkers: Check = {
  name: "celery",
  where: "inside",
  ids: ["P.8"],
  summary: "every Celery worker answers ping (with --canary: a canary task completes on each queue)",
  async run(ctx) {
    const workers = ctx.intent.app?.workers ?? [];
    if (workers.length === 0) return [];
    if (!ctx.dockerHost) return [unreachable("celery", this.ids, "workers", new Error("no Docker host"))];
    const results: CheckResult[] = [];
    for (const { container, queues } of workers) {
      try {
        const { Config } = await ctx.dockerHost.docker.getContainer(container.name).inspect();
        const hostname = Config.Domainname ? `${Config.Hostname}.${Config.Domainname}` : Config.Hostname;
        const node = celeryNodeName(stringList(container.inputs.command), hostname);
        const ping = await celery(ctx, container, ["inspect", "ping", "-d", node, "--timeout", "10"]);
        const pongs = (ping.stdout.match(/pong/g) ?? []).length;
        results.push(result("celery", ["P.8"], `${container.name} ping`, ping.exitCode === 0 && pongs > 0 ? "pass" : "fail",
          `${node} ${pongs ? "answered pong" : "did not answer"} (exit ${ping.exitCode})${pongs ? "" : `: ${(ping.stderr || ping.stdout).trim().slice(0, 200)}`}`, "its own node answers pong"));
        for (const queue of queues) {
          if (!ctx.writes.canary) {
            results.push({ ...result("celery", ["P.8"], `${container.name} queue ${queue} canary`, "skipped", "no canary task sent"), reason: "a canary task writes to the broker: only with --canary" });
            continue;
          }
          const stats = async () => totalOf((await celery(ctx, container, ["inspect", "stats", "--json", "--timeout", "10"])).stdout, "celery.accumulate");
          const before = await stats();
          const token = `verify-${randomBytes(4).toString("hex")}`;
          const sent = await celery(ctx, container, ["call", "celery.accumulate", "--args", JSON.stringify([token]), "--queue", queue]);
          let after = before;
          for (let i = 0; i < 15 && !(after > before); i++) {
            await new Promise((r) => setTimeout(r, 2000));
            after = await stats();
          }
          results.push(result("celery", ["P.8"], `${container.name} queue ${queue} canary`, after > before ? "pass" : "fail",
            `sent celery.accumulate ${sent.stdout.trim()} (exit ${sent.exitCode}); workers' count of it ${before} -> ${after}`, "the count grows within 30 s"));
        }
      } catch (err) {
        results.push(unreachable("celery", ["P.8"], container.name, err));
      }
    }
    return results;
  },
};

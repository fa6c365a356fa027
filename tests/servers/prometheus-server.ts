// The shared start-up fixture for a real Prometheus (Debian's 2.42) on 127.0.0.1 and a random port,
// with its own TSDB folder; readiness is /-/ready. Also `promtool` and `amtool` runs.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { freePort, startServer, type ServerProcess } from "./fixtures";

export interface RunningPrometheus {
  readonly process: ServerProcess;
  readonly port: number;
  api<T>(path: string): Promise<T>;
}

/** Starts prometheus with `flags` (--config.file and retention among them) in `dir`. */
export async function startPrometheus(dir: string, flags: readonly string[]): Promise<RunningPrometheus> {
  const port = await freePort();
  const process = await startServer({
    name: "prometheus",
    cwd: dir,
    argv: ["prometheus", ...flags, `--web.listen-address=127.0.0.1:${port}`, `--storage.tsdb.path=${join(dir, "tsdb")}`],
    ready: async () => (await fetch(`http://127.0.0.1:${port}/-/ready`).catch(() => undefined))?.ok === true,
  });
  return {
    process,
    port,
    api: async <T>(path: string) => ((await (await fetch(`http://127.0.0.1:${port}${path}`)).json()) as { data: T }).data,
  };
}

/** Runs prometheus with `flags` and reports how it ended when it refuses to start (a server that starts is killed). */
export function prometheusRefused(dir: string, flags: readonly string[]): { status: number | null; output: string } {
  const run = spawnSync("prometheus", [...flags, "--web.listen-address=127.0.0.1:0", `--storage.tsdb.path=${join(dir, "tsdb-refused")}`], {
    cwd: dir, timeout: 5_000, killSignal: "SIGKILL", encoding: "utf8",
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

export function runTool(command: "promtool" | "amtool", args: readonly string[], cwd: string): { code: number; output: string } {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", timeout: 30_000 });
  return { code: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

// The running containers are the declared ones (P.1 running and healthy; 11.2 image and hardening,
// 11.3 user, 11.4 healthcheck, 11.5 limits, 11.6 restart policy, 11.7 volumes, 11.8 networks, 10.1
// published ports), compared with `docker inspect` through the Docker host the program targets.
// Docker's health verdict lags the container: "starting" until its first probe (one interval after the
// start), "unhealthy" after `retries` failed probes until the next one passes. Either is asked of the
// declared healthcheck once, now, within its declared timeout; the evidence keeps Docker's verdict.
import type Dockerode from "dockerode";
import { capabilityName, type DeclaredContainer } from "../../intent/containers";
import { runDeclaredHealthcheck, type ExecResult } from "../../probes/docker-host";
import { result, unreachable, type Check, type VerifyContext } from "../context";
import type { CheckResult } from "../../report";

const MiB = 1024 * 1024;
const sorted = (values: readonly string[] | null | undefined) => [...(values ?? [])].sort();
const same = (a: readonly string[], b: readonly string[]) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));

type Inspect = Dockerode.ContainerInspectInfo;

interface Aspect {
  readonly id: string;
  readonly name: string;
  /** undefined when as declared, else what differs. `imageUser`: the USER of the image the container runs. */
  differs(declared: DeclaredContainer, actual: Inspect, ctx: VerifyContext, imageUser: string | undefined): string | undefined;
}

const ASPECTS: readonly Aspect[] = [
  { id: "11.2", name: "image", differs: (d, a, ctx) => {
    const want = ctx.imageMap.get(d.image) ?? d.image;
    return a.Config.Image === want ? undefined : `image ${a.Config.Image}, declared ${want}`;
  } },
  { id: "11.2", name: "hardening", differs: (d, a) => {
    const h = a.HostConfig;
    const problems = [
      ...(same((h.CapAdd ?? []).map(capabilityName), d.capAdd) ? [] : [`cap-add ${sorted(h.CapAdd).join(",") || "none"} (declared ${d.capAdd.join(",") || "none"})`]),
      ...(same((h.CapDrop ?? []).map(capabilityName), d.capDrop) ? [] : [`cap-drop ${sorted(h.CapDrop).join(",") || "none"} (declared ${d.capDrop.join(",") || "none"})`]),
      ...(same(h.SecurityOpt ?? [], d.securityOpts) ? [] : [`security-opt ${(h.SecurityOpt ?? []).join(",") || "none"} (declared ${d.securityOpts.join(",") || "none"})`]),
      ...((h.ReadonlyRootfs ?? false) === d.readOnly ? [] : [`read-only root ${h.ReadonlyRootfs} (declared ${d.readOnly})`]),
      ...(h.Privileged ? ["privileged"] : []),
    ];
    return problems.length ? problems.join("; ") : undefined;
  } },
  // No declared user means the image's USER (Docker copies it into the container's config).
  { id: "11.3", name: "user", differs: (d, a, _ctx, imageUser) => {
    const want = d.user === "" ? imageUser ?? "" : d.user;
    return a.Config.User === want ? undefined : `user "${a.Config.User}", declared "${d.user}"${d.user === "" ? ` (the image's: "${want}")` : ""}`;
  } },
  { id: "11.4", name: "healthcheck", differs: (d, a) => {
    const test = a.Config.Healthcheck?.Test;
    if (!d.healthcheck) return test && test[0] !== "NONE" ? `healthcheck ${JSON.stringify(test)} that is not declared` : undefined;
    return JSON.stringify(test ?? []) === JSON.stringify(d.healthcheck) ? undefined : `healthcheck ${JSON.stringify(test ?? "none")}, declared ${JSON.stringify(d.healthcheck)}`;
  } },
  { id: "11.5", name: "limits", differs: (d, a) => {
    const h = a.HostConfig;
    const problems = [
      ...(d.memoryMb !== undefined && h.Memory !== d.memoryMb * MiB ? [`memory ${(h.Memory ?? 0) / MiB} MiB (declared ${d.memoryMb})`] : []),
      ...(d.memorySwapMb !== undefined && h.MemorySwap !== d.memorySwapMb * MiB ? [`memory+swap ${(h.MemorySwap ?? 0) / MiB} MiB (declared ${d.memorySwapMb})`] : []),
      ...(d.cpus !== undefined && h.NanoCpus !== Math.round(d.cpus * 1e9) ? [`cpus ${(h.NanoCpus ?? 0) / 1e9} (declared ${d.cpus})`] : []),
      ...(d.pidsLimit !== undefined && h.PidsLimit !== d.pidsLimit ? [`pids ${h.PidsLimit} (declared ${d.pidsLimit})`] : []),
    ];
    return problems.length ? problems.join("; ") : undefined;
  } },
  { id: "11.6", name: "restart policy", differs: (d, a) => ((a.HostConfig.RestartPolicy?.Name || "no") === d.restart ? undefined : `restart ${a.HostConfig.RestartPolicy?.Name || "no"}, declared ${d.restart}`) },
  { id: "11.7", name: "volumes", differs: (d, a) => {
    const actual = (a.Mounts ?? []).filter((m) => m.Type === "volume" || m.Type === "bind").map((m) => `${m.Type === "volume" ? m.Name : m.Source}:${m.Destination}`);
    const missing = d.mounts.filter((m) => !actual.includes(`${m.source}:${m.target}`)).map((m) => `${m.source}:${m.target}`);
    return missing.length ? `not mounted: ${missing.join(", ")}` : undefined;
  } },
  { id: "11.8", name: "networks", differs: (d, a) => {
    const networks = a.NetworkSettings.Networks ?? {};
    const problems = [
      ...(same(Object.keys(networks), d.networks.map((n) => n.name)) ? [] : [`networks ${Object.keys(networks).sort().join(",")} (declared ${d.networks.map((n) => n.name).sort().join(",")})`]),
      ...d.networks.flatMap((n) => {
        const endpoint = networks[n.name];
        if (!endpoint) return [];
        const aliases = n.aliases.filter((alias) => !(endpoint.Aliases ?? []).includes(alias));
        return [
          ...(aliases.length ? [`${n.name}: no alias ${aliases.join(",")}`] : []),
          ...(n.ipv4Address && endpoint.IPAddress !== n.ipv4Address ? [`${n.name}: address ${endpoint.IPAddress} (declared ${n.ipv4Address})`] : []),
        ];
      }),
    ];
    return problems.length ? problems.join("; ") : undefined;
  } },
  { id: "10.1", name: "published ports", differs: (d, a) => {
    const bound = Object.entries(a.HostConfig.PortBindings ?? {}).flatMap(([port, bindings]) =>
      ((bindings ?? []) as { HostIp?: string; HostPort?: string }[]).map((b) => `${b.HostIp || "0.0.0.0"}:${b.HostPort}->${port}`));
    const declared = d.ports.map((p) => `${p.ip}:${p.external}->${p.internal}/${p.protocol}`);
    return same(bound, declared) ? undefined : `publishes ${sorted(bound).join(", ") || "nothing"} (declared ${sorted(declared).join(", ") || "nothing"})`;
  } },
];

/** What P.1 says of one container: running (a one-shot job: exited 0), not paused, and healthy now. */
export interface RunningState {
  readonly ok: boolean;
  readonly evidence: string;
}

const firstLine = (text: string) => text.trim().split("\n")[0]?.slice(0, 200) ?? "";

/** Docker's own count of failed probes in a row that makes a container unhealthy, when none (or 0) is declared. */
const DOCKER_DEFAULT_RETRIES = 3;

/**
 * Running (or, for a one-shot job, exited 0), not paused, and healthy; a verdict Docker has not reached
 * yet, or an unhealthy one, is asked of the declared healthcheck now (`healthcheckNow`). Docker calls a
 * container unhealthy only once `retries` probes have failed in a row, so a verdict it has not reached
 * is asked up to as many times: one slow probe on a loaded host is not a failure Docker would report.
 */
export async function runningState(
  d: Pick<DeclaredContainer, "oneShot">, state: Inspect["State"], healthcheckNow: () => Promise<ExecResult>, retries?: number,
): Promise<RunningState> {
  if (d.oneShot) return { ok: !state.Running && state.ExitCode === 0, evidence: state.Running ? "still running (a one-shot job)" : `exited ${state.ExitCode} (a one-shot job)` };
  if (!state.Running) return { ok: false, evidence: `${state.Status}${state.ExitCode ? ` (exit ${state.ExitCode})` : ""}` };
  // A paused container keeps Running (and its last health verdict) while none of its processes runs.
  if (state.Paused) return { ok: false, evidence: "paused: its processes are frozen" };
  const health = state.Health?.Status;
  if (!health || health === "none") return { ok: true, evidence: `running since ${state.StartedAt}, no healthcheck` };
  if (health === "healthy") return { ok: true, evidence: "running, healthy" };
  const dockerVerdict = health === "starting"
    ? "health not reported yet (starting)"
    : `Docker reports ${health} (its last probe: ${firstLine((state.Health?.Log ?? []).slice(-1)[0]?.Output ?? "") || "no output"})`;
  const attempts = health === "starting" ? retries || DOCKER_DEFAULT_RETRIES : 1;
  let run = await healthcheckNow();
  let runs = 1;
  for (; run.exitCode !== 0 && runs < attempts; runs++) run = await healthcheckNow();
  const ranNow = run.exitCode === 0 || runs === 1 ? "run now" : `run now ${runs} times in a row, as Docker would before it reports unhealthy,`;
  return { ok: run.exitCode === 0, evidence: `running, ${dockerVerdict}; its declared healthcheck ${ranNow} exited ${run.exitCode}${run.exitCode === 0 ? "" : `: ${firstLine(run.stderr || run.stdout)}`}` };
}

export const containers: Check = {
  name: "containers",
  where: "inside",
  ids: ["P.1", "11.2", "11.3", "11.4", "11.5", "11.6", "11.7", "11.8", "10.1"],
  summary: "the running containers are the declared ones: running and healthy, image, user, hardening, healthcheck, limits, restart, volumes, networks, ports",
  async run(ctx) {
    const host = ctx.dockerHost;
    if (!host) return [unreachable("containers", this.ids, "docker host", new Error("no Docker host: the program declares none; give --docker-host"))];
    let inspected: Map<string, Inspect>;
    const imageUsers = new Map<string, string>();
    try {
      const list = await host.docker.listContainers({ all: true });
      const ids = new Map(list.map((c) => [c.Names[0]?.replace(/^\//, "") ?? "", c.Id]));
      inspected = new Map();
      for (const d of ctx.intent.containers) {
        const id = ids.get(d.name);
        if (!id) continue;
        const actual = await host.docker.getContainer(id).inspect();
        inspected.set(d.name, actual);
        if (d.user === "") imageUsers.set(d.name, (await host.docker.getImage(actual.Image).inspect()).Config.User ?? "");
      }
    } catch (err) {
      return [unreachable("containers", this.ids, host.url, err)];
    }
    const results: CheckResult[] = [];
    for (const d of ctx.intent.containers) {
      const actual = inspected.get(d.name);
      if (!actual) {
        results.push(result("containers", ["P.1"], d.name, "fail", "no such container on the Docker host", "created and running"));
        continue;
      }
      const state = await runningState(d, actual.State, () => runDeclaredHealthcheck(host.docker, actual), actual.Config.Healthcheck?.Retries);
      results.push(result("containers", ["P.1"], d.name, state.ok ? "pass" : "fail", state.evidence, d.oneShot ? "exited 0" : "running, healthy"));
    }
    for (const aspect of ASPECTS) {
      const differences = ctx.intent.containers.flatMap((d) => {
        const actual = inspected.get(d.name);
        const differs = actual && aspect.differs(d, actual, ctx, imageUsers.get(d.name));
        return differs ? [`${d.name}: ${differs}`] : [];
      });
      const compared = ctx.intent.containers.filter((d) => inspected.has(d.name)).length;
      if (compared === 0) {
        results.push({ ...result("containers", [aspect.id], aspect.name, "skipped", "no declared container was found to compare"), reason: "nothing to compare: see the P.1 results" });
        continue;
      }
      results.push(result("containers", [aspect.id], aspect.name, differences.length === 0 ? "pass" : "fail",
        differences.length === 0 ? `as declared on all ${compared} containers found` : differences.join("; "), "as the program declares"));
    }
    return results;
  },
};

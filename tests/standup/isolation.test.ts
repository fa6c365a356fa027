// Isolation on the running stack: PostgreSQL, PgBouncer and Redis cannot be reached from the edge
// network nor through the host's published ports; nginx's ports are the only way in.
import { connect } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import type { StandUpInfo } from "./standup";
import { declaredContainers, execIn, standUp, standUpSkipped } from "./fixture";

/** True when a TCP connection to 127.0.0.1:port is accepted within 3 s. */
function hostPortAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, timeout: 3000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}

/** How long one probe's connect may take: a container on the same network answers in milliseconds. */
const CONNECT_TIMEOUT_S = 2;
/**
 * How long one name lookup may take (glibc's RES_OPTIONS: one try of 1 s). Docker's DNS answers a name
 * it serves on the asker's network at once; one it does not serve it forwards to the host's resolver,
 * which here never answers (glibc's default would wait 2 x 5 s).
 */
const LOOKUP_BOUND = "timeout:1 attempts:1";

/** What one probe found: "connected", or how it failed. */
type Outcome = "connected" | "refused" | "timed out" | "no route" | "no such name" | "name not answered" | `error: ${string}`;
/** The failures that mean the target is out of reach (anything else is a probe that did not work). */
const UNREACHABLE: readonly Outcome[] = ["refused", "timed out", "no route", "no such name", "name not answered"];

/**
 * Python run inside a container: every host:port tried at once (a thread each), each lookup and
 * connect bounded, prints one JSON list of outcomes in the targets' order.
 */
const PROBE = `
import concurrent.futures, errno, json, socket, sys
def attempt(target):
    host, port = target
    try:
        address = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)[0][4]
    except socket.gaierror as e:
        if e.errno == socket.EAI_AGAIN:
            return "name not answered"
        return "no such name" if e.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)) else "error: lookup: %s" % e
    try:
        socket.create_connection(address, ${CONNECT_TIMEOUT_S}).close()
        return "connected"
    except socket.timeout:
        return "timed out"
    except ConnectionRefusedError:
        return "refused"
    except OSError as e:
        return "no route" if e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH) else "error: %s" % e
targets = json.loads(sys.argv[1])
with concurrent.futures.ThreadPoolExecutor(len(targets)) as pool:
    print(json.dumps(list(pool.map(attempt, targets))))
`;

/** Each target's outcome, probed from inside `containerId`; throws when the probe itself did not run. */
async function probeFrom(containerId: string, targets: readonly (readonly [host: string, port: number])[]): Promise<{ host: string; port: number; outcome: Outcome }[]> {
  const run = await execIn(containerId, ["python3", "-c", PROBE, JSON.stringify(targets)], { timeoutMs: 30_000, env: [`RES_OPTIONS=${LOOKUP_BOUND}`] });
  let outcomes: unknown;
  try {
    outcomes = JSON.parse(run.output);
  } catch {
    outcomes = undefined;
  }
  if (run.exitCode !== 0 || !Array.isArray(outcomes) || outcomes.length !== targets.length) throw new Error(`the probe did not run (exit ${run.exitCode}): ${run.output}`);
  return targets.map(([host, port], i) => ({ host, port, outcome: (outcomes as Outcome[])[i]! }));
}

describe.skipIf(standUpSkipped())("network isolation", () => {
  let info: StandUpInfo;
  let edgeOnly: { name: string; id: string };
  let postgresAddress: string;
  beforeAll(async () => {
    info = await standUp();
    const containers = declaredContainers(info);
    const nginx = containers.find((c) => ((c.inputs.ports ?? []) as unknown[]).length > 0)!;
    const networksOf = (c: (typeof containers)[number]) => ((c.inputs.networksAdvanced ?? []) as { name: string }[]).map((n) => n.name);
    const internal = new Set(info.declared.resources.filter((r) => r.type === "docker:index/network:Network" && r.object.internal === true).map((r) => String(r.object.name)));
    const edge = networksOf(nginx).find((n) => !internal.has(n))!;
    // A container on the edge network and nothing else (certbot): what an intruder on the edge would be.
    const probe = containers.find((c) => c.inputs.restart !== "no" && networksOf(c).length === 1 && networksOf(c)[0] === edge)!;
    edgeOnly = { name: probe.name, id: probe.id };
    const postgres = containers.find((c) => c.name === "jewelry-postgres")!;
    postgresAddress = String(((postgres.inputs.networksAdvanced ?? []) as { ipv4Address?: string }[]).find((n) => n.ipv4Address)?.ipv4Address);
  });

  it("reaches nginx from the edge network (the probe works)", async () => {
    expect(await probeFrom(edgeOnly.id, [["jewelry-nginx", 80]])).toEqual([{ host: "jewelry-nginx", port: 80, outcome: "connected" }]);
  });

  it("cannot reach PostgreSQL, PgBouncer or Redis from the edge network, by name or by address", async () => {
    const targets: [string, number][] = [["jewelry-postgres", 5432], [postgresAddress, 5432], ["jewelry-pgbouncer", 6432], ["jewelry-redis", 6379]];
    // nginx in the same run: the same resolver, bounds and container reach what they may.
    const [control, ...found] = await probeFrom(edgeOnly.id, [["jewelry-nginx", 80], ...targets]);
    expect(control).toEqual({ host: "jewelry-nginx", port: 80, outcome: "connected" });
    expect(found.filter(({ outcome }) => !UNREACHABLE.includes(outcome)).map((f) => ({ from: edgeOnly.name, ...f }))).toEqual([]);
  });

  it("answers on the host only on nginx's published ports", async () => {
    const accepts = async (ports: number[]) => Object.fromEntries(await Promise.all(ports.map(async (port) => [port, await hostPortAccepts(port)])));
    expect(await accepts([80, 443, 5432, 6432, 6379])).toEqual({ 80: true, 443: true, 5432: false, 6432: false, 6379: false });
  });
});

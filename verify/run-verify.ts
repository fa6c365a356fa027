// One verify run: the declared intent from the program, then every check not skipped (the public ones
// in order, those through the Docker host alongside them: checkLanes), each bounded by its own probes'
// timeouts and by a deadline per check; nothing is written to the stack unless a write flag allows it.
import type { StackConfig } from "../check/stack-config";
import { CHECKS } from "./checks";
import type { Check, VerifyContext, WriteFlags } from "./checks/context";
import type { Credentials } from "./credentials";
import { applyExemptions, type Exemption } from "./exemptions";
import { readIntent, type StackIntent } from "./intent";
import { DnsProbe } from "./probes/dns";
import { connectDockerHost } from "./probes/docker-host";
import { drainSeconds, leakyBucket } from "./checks/outside/rate-limit";
import { rateLimitAt, type DeclaredRateLimit } from "./intent/nginx";
import { HttpProbe, type HttpAnswer, type HttpRequest } from "./probes/http";
import { PublicAddresses, type ResolveEntry } from "./probes/public-address";
import { countVerdicts, exitCodeOf, type CheckResult, type VerifyReport } from "./report";

/** No check may take longer than this, whatever its probes do. */
const CHECK_DEADLINE_MS = 5 * 60_000;

export interface VerifyOptions {
  readonly stackConfig: StackConfig;
  readonly resolve: readonly ResolveEntry[];
  readonly dnsServer?: string;
  /** Overrides the Docker provider's host the program declares. */
  readonly dockerHost?: string;
  readonly credentials: Credentials;
  readonly exemptions: readonly Exemption[];
  readonly imageMap: ReadonlyMap<string, string>;
  readonly extraCa: readonly string[];
  readonly caaIdentities: ReadonlyMap<string, string>;
  readonly skip: ReadonlySet<string>;
  readonly writes: WriteFlags;
  readonly log?: (line: string) => void;
  /** Already read (tests reuse one program run); default: read from the stack config. */
  readonly intent?: StackIntent;
  /** The clock ages are judged by (a backup's, a certificate's days left); default: the system's. */
  readonly now?: () => Date;
}

function deadline<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([work, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no verdict within ${ms / 1000} s`)), ms)))]).finally(() => clearTimeout(timer));
}

/**
 * What one run shares between its checks: probes made once (memo) and the HTTPS requests made so far,
 * which the rate-limit check feeds nginx's bucket with. With the declared limit_req of each path
 * (`rateLimitOf`), a 429 that this run's own requests cannot explain (nginx's bucket fed them would
 * accept it: an earlier run or other traffic filled the zone) waits for the zone to drain and asks once
 * more, so a check reads the app's answer, not the limiter's; the rate-limit check's bursts, which want
 * the 429, ask with `whenRateLimited: "answer"`.
 */
export function runState(
  http: Pick<HttpProbe, "request">,
  rateLimitOf: (host: string, path: string) => DeclaredRateLimit | undefined = () => undefined,
  wait: (seconds: number) => Promise<void> = (seconds) => new Promise((r) => setTimeout(r, seconds * 1000)),
): Pick<VerifyContext, "memo" | "request" | "requestLog"> {
  const memo = new Map<string, Promise<unknown>>();
  const requestLog: { path: string; at: number; status: number }[] = [];
  const send = async (req: HttpRequest): Promise<{ answer: HttpAnswer; at: number }> => {
    const at = Date.now();
    const answer = await http.request(req);
    if (req.scheme === "https") requestLog.push({ path: req.path, at, status: answer.status });
    return { answer, at };
  };
  return {
    requestLog,
    memo<T>(key: string, fetch: () => Promise<T>): Promise<T> {
      if (!memo.has(key)) memo.set(key, fetch());
      return memo.get(key) as Promise<T>;
    },
    async request(req: HttpRequest, options?: { readonly whenRateLimited?: "answer" | "wait" }): Promise<HttpAnswer> {
      const { answer, at } = await send(req);
      const limit = answer.status === 429 && req.scheme === "https" && options?.whenRateLimited !== "answer" ? rateLimitOf(req.host, req.path.split("?")[0]) : undefined;
      if (!limit) return answer;
      const inZone = (path: string) => rateLimitOf(req.host, path.split("?")[0])?.zone === limit.zone;
      const own = requestLog.filter((r) => inZone(r.path) && r.status !== 429).map((r) => r.at);
      if (!leakyBucket([...own, at], limit.ratePerSecond, limit.burst).at(-1)) return answer;
      await wait(drainSeconds(limit));
      return (await send(req)).answer;
    },
  };
}

/**
 * The lanes a run makes its checks in, all at once. The public checks stay one lane in their order:
 * they share the edge's rate-limit zones (the burst accounts for the pages asked before it, the
 * headers read the burst's 429), and asked at once they would fill the zones themselves. Each check
 * through the Docker host is a lane of its own: they read containers, PostgreSQL, Redis and
 * Prometheus, none of which the public requests or the other checks change.
 */
export function checkLanes(checks: readonly Check[]): Check[][] {
  return [checks.filter((c) => c.where === "outside"), ...checks.filter((c) => c.where !== "outside").map((c) => [c])];
}

export async function runVerify(options: VerifyOptions): Promise<VerifyReport> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const intent = options.intent ?? (await readIntent(options.stackConfig));
  const addresses = new PublicAddresses(options.resolve);
  const http = new HttpProbe(addresses);
  const dns = new DnsProbe(options.dnsServer);
  const dockerUrl = options.dockerHost ?? intent.dockerHost ?? process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
  const dockerHost = connectDockerHost(dockerUrl);
  const ctx: VerifyContext = {
    intent, addresses, http, dns, dockerHost,
    credentials: options.credentials, imageMap: options.imageMap, extraCa: options.extraCa, caaIdentities: options.caaIdentities,
    writes: options.writes, skipped: options.skip, now: options.now ?? (() => new Date()),
    ...runState(http, (host, path) => rateLimitAt(intent.edge, host, path)),
  };
  const timings: Record<string, number> = {};
  const runCheck = async (check: Check): Promise<CheckResult[]> => {
    if (options.skip.has(check.name)) {
      return [{ check: check.name, ids: check.ids, subject: "(all)", verdict: "skipped", evidence: "not run", reason: "--skip" }];
    }
    const checkStarted = Date.now();
    log(`verify: ${check.name}`);
    try {
      return await deadline(check.name, CHECK_DEADLINE_MS, check.run(ctx));
    } catch (err) {
      return [{ check: check.name, ids: check.ids, subject: "(all)", verdict: "unreachable", evidence: `the check stopped: ${(err as Error).message}` }];
    } finally {
      timings[check.name] = (Date.now() - checkStarted) / 1000;
    }
  };
  const byCheck = new Map<string, CheckResult[]>();
  try {
    await Promise.all(checkLanes(CHECKS).map(async (lane) => {
      for (const check of lane) byCheck.set(check.name, await runCheck(check));
    }));
  } finally {
    http.close();
  }
  // The report lists the results in CHECKS' order, however the lanes interleaved.
  const results = CHECKS.flatMap((check) => byCheck.get(check.name) ?? []);
  const { results: judged, unused } = applyExemptions(results, options.exemptions);
  return {
    schemaVersion: 1,
    project: intent.stack.project,
    stack: intent.stack.stack,
    environment: intent.stack.environment,
    targets: { public: addresses.describe(), dockerHost: dockerUrl, resolver: dns.description },
    startedAt: new Date(started).toISOString(),
    results: judged,
    unusedExemptions: unused,
    counts: countVerdicts(judged),
    timings,
    durationSeconds: (Date.now() - started) / 1000,
    exitCode: exitCodeOf(judged),
  };
}

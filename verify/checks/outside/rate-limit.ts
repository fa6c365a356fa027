// limit_req in force (10.5; the login zone is the brute-force protection of 10.6): a bounded burst on
// one location of each declared zone gets its first 429 where nginx's leaky bucket, fed the declared
// rate and burst and every request this run made in that zone, says it must (one request either way,
// for timing). The burst stops at the first 429: each refusal is a line fail2ban counts.
import { limitedLocations, rateLimitAt, type DeclaredRateLimit } from "../../intent/nginx";
import type { HttpAnswer } from "../../probes/http";
import { publicEndpoint, result, unreachable, type Check, type VerifyContext } from "../context";
import type { CheckResult } from "../../report";

const MAX_WAIT_SECONDS = 90;

/** How long a zone that traffic from outside this run filled takes to drain (bounded). */
export function drainSeconds(limit: DeclaredRateLimit): number {
  return Math.min(MAX_WAIT_SECONDS, Math.ceil((limit.burst + 1) / limit.ratePerSecond));
}
/** No burst runs longer than this. */
const MAX_BURST_SECONDS = 30;

/**
 * nginx's limit_req accounting (ngx_http_limit_req_lookup): excess in thousandths of a request,
 * drained at the rate, +1000 per accepted request; refused when it would pass burst. Returns, for
 * each request time, whether nginx accepts it.
 */
export function leakyBucket(times: readonly number[], ratePerSecond: number, burst: number): boolean[] {
  let excess = 0;
  let last: number | undefined;
  return times.map((now) => {
    if (last === undefined) {
      last = now;
      return true;
    }
    const ms = Math.max(0, now - last);
    const next = Math.max(0, excess - ratePerSecond * ms + 1000);
    if (next > burst * 1000) return false;
    excess = next;
    if (ms > 0) last = now;
    return true;
  });
}

interface ZoneProbe {
  readonly zone: string;
  readonly limit: DeclaredRateLimit;
  readonly path: string;
}

function zoneProbes(ctx: VerifyContext): ZoneProbe[] {
  const { host } = publicEndpoint(ctx);
  const byZone = new Map<string, ZoneProbe>();
  for (const { location, limit } of limitedLocations(ctx.intent.edge, host)) {
    if (byZone.has(limit.zone) || location.regex || location.modifier === "@") continue;
    // A prefix location: probe the prefix as a folder, which the app may answer as it likes.
    const path = location.modifier === "=" ? location.path : `${location.path.replace(/\/$/, "")}/`;
    // The probe must reach the zone as nginx routes it (a nested or regex location may take the path).
    if (rateLimitAt(ctx.intent.edge, host, path)?.zone !== limit.zone) continue;
    byZone.set(limit.zone, { zone: limit.zone, limit, path });
  }
  // The login zone first: its 429 is the one the headers check reads.
  return [...byZone.values()].sort((a, b) => a.limit.ratePerSecond - b.limit.ratePerSecond);
}

interface BurstOutcome {
  readonly probe: ZoneProbe;
  readonly accepted: number;
  readonly predicted?: number;
  readonly refused?: HttpAnswer;
  readonly waitedSeconds: number;
}

async function burst(ctx: VerifyContext, probe: ZoneProbe): Promise<BurstOutcome> {
  const { host, httpsPort } = publicEndpoint(ctx);
  const { limit } = probe;
  const inZone = (path: string) => rateLimitAt(ctx.intent.edge, host, path)?.zone === probe.zone;
  let waitedSeconds = 0;
  for (let attempt = 0; attempt < 2; attempt++) {
    const prior = ctx.requestLog.filter((r) => inZone(r.path) && r.status !== 429).map((r) => r.at);
    const times: number[] = [];
    // A fast zone drains while the burst runs (600r/m drains 10 a second), so the burst is not a fixed
    // count: it goes on until nginx refuses, or until the bucket fed the same times has refused one
    // request more than nginx did; bounded in count and time whatever the server does.
    const bound = limit.burst + 4 + Math.ceil(limit.ratePerSecond * MAX_BURST_SECONDS);
    const burstStarted = Date.now();
    let refused: HttpAnswer | undefined;
    for (let i = 0; i < bound && !refused && Date.now() - burstStarted < MAX_BURST_SECONDS * 1000; i++) {
      times.push(Date.now());
      const answer = await ctx.request({ scheme: "https", host, port: httpsPort, path: probe.path }, { whenRateLimited: "answer" });
      if (answer.status === 429) refused = answer;
      const firstRefusal = leakyBucket([...prior, ...times], limit.ratePerSecond, limit.burst).slice(prior.length).indexOf(false);
      if (firstRefusal >= 0 && times.length > firstRefusal + 1) break;
    }
    const accepted = refused ? times.length - 1 : times.length;
    const model = leakyBucket([...prior, ...times], limit.ratePerSecond, limit.burst).slice(prior.length);
    const predicted = model.indexOf(false);
    if (refused && attempt === 0 && (predicted < 0 || accepted < predicted - 1)) {
      // Refused before this run's own requests can explain: the zone held traffic this run did not
      // make (an earlier run's burst, other clients). Let it drain, then burst once more: a limit
      // stricter than declared still refuses early then.
      waitedSeconds = drainSeconds(limit);
      await new Promise((r) => setTimeout(r, waitedSeconds * 1000));
      continue;
    }
    return { probe, accepted, predicted: predicted < 0 ? undefined : predicted, refused, waitedSeconds };
  }
  throw new Error(`${probe.path}: no verdict after two bursts`); // not reached: the second attempt always returns
}

/** The burst of every zone, once per run. */
const bursts = (ctx: VerifyContext) =>
  ctx.memo("limit-req-bursts", async () => {
    const outcomes: BurstOutcome[] = [];
    for (const probe of zoneProbes(ctx)) outcomes.push(await burst(ctx, probe));
    return outcomes;
  });

/** The first 429 of the bursts, for the headers check; undefined when the rate-limit check is skipped or none came. */
export async function burstAnswer(ctx: VerifyContext): Promise<{ path: string; answer: HttpAnswer } | undefined> {
  if (ctx.skipped.has("rate-limit")) return undefined;
  const first = (await bursts(ctx)).find((o) => o.refused);
  return first && { path: first.probe.path, answer: first.refused! };
}

export const rateLimit: Check = {
  name: "rate-limit",
  where: "outside",
  ids: ["10.5", "10.6"],
  summary: "a bounded burst above each declared limit_req rate gets 429 where the declared rate and burst say",
  async run(ctx) {
    const { host } = publicEndpoint(ctx);
    let outcomes: BurstOutcome[];
    try {
      outcomes = await bursts(ctx);
    } catch (err) {
      return [unreachable("rate-limit", this.ids, host, err)];
    }
    if (outcomes.length === 0) return [result("rate-limit", ["10.5", "10.6"], host, "fail", "the declared nginx.conf limits no location (limit_req)")];
    return outcomes.map((o): CheckResult => {
      const { limit } = o.probe;
      const ids = /login/.test(o.probe.zone) || /login/.test(o.probe.path) ? ["10.6"] : ["10.5"];
      const declared = `zone ${o.probe.zone}: ${limit.rateText} burst=${limit.burst}${limit.nodelay ? " nodelay" : ""}`;
      const expected = o.predicted === undefined ? "no 429 yet" : `${o.predicted} accepted, then 429`;
      const seen = o.refused ? `${o.accepted} accepted, then ${o.refused.status}` : `${o.accepted} accepted, no 429`;
      const ok = o.refused !== undefined && o.predicted !== undefined && Math.abs(o.accepted - o.predicted) <= 1;
      const waited = o.waitedSeconds > 0 ? ` (waited ${o.waitedSeconds} s for traffic from before this run to drain)` : "";
      return result("rate-limit", ids, `https://${host}${o.probe.path}`, ok ? "pass" : "fail", `${seen}${waited}; ${declared}`, `${expected} (nginx's leaky bucket for ${declared})`);
    });
  },
};

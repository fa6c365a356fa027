// What every check receives: the declared intent, the probes (each bounded by a timeout), the
// credentials for the inside checks, and the flags that allow writing to the stack.
import type { DnsProbe } from "../probes/dns";
import type { DockerHost } from "../probes/docker-host";
import type { HttpAnswer, HttpProbe, HttpRequest } from "../probes/http";
import type { PublicAddresses } from "../probes/public-address";
import type { StackIntent } from "../intent";
import type { Credentials } from "../credentials";
import type { CheckResult, Verdict } from "../report";

export interface WriteFlags {
  /** --login: sign a smoke-test user in and out (updates its last_login). */
  readonly login: boolean;
  /** --send-test-alert: post a test alert to Alertmanager (its receivers are notified). */
  readonly testAlert: boolean;
  /** --canary: run a canary Celery task on each queue. */
  readonly canary: boolean;
}

export interface VerifyContext {
  readonly intent: StackIntent;
  readonly addresses: PublicAddresses;
  readonly http: HttpProbe;
  readonly dns: DnsProbe;
  /** Undefined when no Docker host is known (the inside checks then report unreachable). */
  readonly dockerHost?: DockerHost;
  readonly credentials: Credentials;
  /** Declared image reference -> the image the host runs for it (--image-map). */
  readonly imageMap: ReadonlyMap<string, string>;
  /** Extra trusted CA certificates (PEM) for the certificate check. */
  readonly extraCa: readonly string[];
  /** Issuing CA organisation -> the CAA identifier it issues under, beyond the built-in table. */
  readonly caaIdentities: ReadonlyMap<string, string>;
  readonly writes: WriteFlags;
  /** Checks the user skipped (--skip): others must not do their probing for them. */
  readonly skipped: ReadonlySet<string>;
  readonly now: () => Date;
  /** Answers shared between checks (the login page, the 429 of the burst), fetched once. */
  memo<T>(key: string, fetch: () => Promise<T>): Promise<T>;
  /** Every public HTTP request made so far (the rate-limit check accounts for them). */
  readonly requestLog: readonly { readonly path: string; readonly at: number; readonly status: number }[];
  /**
   * An HTTPS/HTTP request to a public host, logged. A 429 from a declared limit_req zone that this
   * run's own requests did not fill waits for the zone to drain and asks once more, unless
   * whenRateLimited is "answer".
   */
  request(req: HttpRequest, options?: { readonly whenRateLimited?: "answer" | "wait" }): Promise<HttpAnswer>;
}

export interface Check {
  readonly name: string;
  readonly where: "outside" | "inside";
  /** Every checklist id it can decide. */
  readonly ids: readonly string[];
  /** One line for the usage text and the README. */
  readonly summary: string;
  run(ctx: VerifyContext): Promise<CheckResult[]>;
}

export function result(check: string, ids: readonly string[], subject: string, verdict: Verdict, evidence: string, expected?: string): CheckResult {
  return { check, ids, subject, verdict, evidence, ...(expected !== undefined && verdict !== "pass" ? { expected } : {}) };
}

/** A check's results when what it must reach did not answer: nothing was judged. */
export function unreachable(check: string, ids: readonly string[], subject: string, err: unknown): CheckResult {
  return { check, ids, subject, verdict: "unreachable", evidence: (err as Error).message ?? String(err) };
}

/** The primary public host (the first name the TLS server serves) and the published ports. */
export function publicEndpoint(ctx: VerifyContext): { host: string; httpsPort: number; httpPort?: number } {
  const { edge } = ctx.intent;
  return { host: edge.names[0]!, httpsPort: edge.https.hostPort, httpPort: edge.http?.hostPort };
}

// What the pack knows about the stack it judges, read ONCE when the pack process starts: the CLI
// gives an analyzer the stack config in PULUMI_CONFIG and the stack name in PULUMI_(NODEJS_)STACK.

/** Namespace of the program's own config keys ("jewelry-shop:<key>"). */
export const CONFIG_NAMESPACE = "jewelry-shop";

export type DeploymentEnvironment = "production" | "staging" | "development";

export interface StackContext {
  readonly stack: string;
  readonly environment: DeploymentEnvironment;
  /** The raw config map, "<namespace>:<key>" -> string (structured values JSON-encoded). */
  readonly config: Readonly<Record<string, string>>;
  /** Config keys the CLI marked secret, when it says so (PULUMI_CONFIG_SECRET_KEYS). */
  readonly secretKeys?: readonly string[];
  /** "YYYY-MM-DD" (UTC), for exemption expiry; fixed at start-up so one run judges one day. */
  readonly today: string;
  /** Set when JEWELRY_SHOP_POLICY_DATE is malformed: then no exemption applies (policy-exemptions says why). */
  readonly todayProblem?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function parseJsonObject(text: string | undefined, what: string): Record<string, string> {
  if (!text) return {};
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error(`${what} is not a JSON object`);
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

/**
 * Only an explicit staging or development environment relaxes the pack. Unset, the stack name
 * decides ("staging", "development"/"dev"); anything else, including a typo, is judged as
 * production: failing closed costs a re-run, failing open costs an insecure deployment.
 */
export function deploymentEnvironment(configured: string | undefined, stack: string): DeploymentEnvironment {
  const value = (configured ?? stack).trim().toLowerCase();
  if (value === "staging") return "staging";
  if (value === "development" || value === "dev") return "development";
  return "production";
}

/** A real day of the calendar written YYYY-MM-DD ("2025-02-30" is not). */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

export const POLICY_DATE_VARIABLE = "JEWELRY_SHOP_POLICY_DATE";

/**
 * The day exemptions are judged on: today (UTC), or JEWELRY_SHOP_POLICY_DATE (YYYY-MM-DD) to re-run an
 * audit as of a given day. A malformed value is a problem to report, never a crash of the pack: the
 * CLI would print the pack's stack trace instead of a message.
 */
export function judgementDay(env: Env, now: Date): { readonly today: string; readonly problem?: string } {
  const today = now.toISOString().slice(0, 10);
  const given = env[POLICY_DATE_VARIABLE];
  if (given === undefined || given === "") return { today };
  if (isCalendarDate(given)) return { today: given };
  return {
    today,
    problem: `${POLICY_DATE_VARIABLE} must be a date YYYY-MM-DD, got "${given}": fix it, or unset it to judge exemptions as of today (UTC)`,
  };
}

export function readStackContext(env: Env = process.env, now: Date = new Date()): StackContext {
  const config = parseJsonObject(env.PULUMI_CONFIG, "PULUMI_CONFIG");
  const stack = env.PULUMI_NODEJS_STACK ?? env.PULUMI_STACK ?? "";
  const secretKeysText = env.PULUMI_CONFIG_SECRET_KEYS;
  const secretKeys = secretKeysText ? (JSON.parse(secretKeysText) as unknown) : undefined;
  const day = judgementDay(env, now);
  return {
    stack,
    environment: deploymentEnvironment(config[`${CONFIG_NAMESPACE}:environment`], stack),
    config,
    secretKeys: Array.isArray(secretKeys) ? secretKeys.filter((k): k is string => typeof k === "string") : undefined,
    today: day.today,
    ...(day.problem ? { todayProblem: day.problem } : {}),
  };
}

/** A config value of this program ("postgres" -> config["jewelry-shop:postgres"]). */
export function configText(ctx: StackContext, key: string): string | undefined {
  return ctx.config[`${CONFIG_NAMESPACE}:${key}`];
}

/** A structured config value, parsed; a plain string that is not JSON comes back as itself. */
export function configValue(ctx: StackContext, key: string): unknown {
  const text = configText(ctx, key);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

// The Alertmanager a container runs (0.25–0.27): the config file its --config.file flag names, the
// route tree walked as dispatch/route.go walks it (a child that matches ends the walk unless it says
// `continue`; a node whose children all miss is itself the match; receiver and timings inherit),
// receivers with their integrations, inhibit rules, and what config.Load refuses.
import { parse } from "yaml";
import type { Launch } from "../process-launch";
import { kingpinFlags, promDurationSeconds } from "../prometheus/model";
import type { Labels } from "../prometheus/relabel";
import { asArray, asRecord, asString, type PropRecord } from "../values";

export interface Matcher {
  readonly name: string;
  readonly op: "=" | "!=" | "=~" | "!~";
  readonly value: string;
}

export interface Route {
  readonly receiver: string;
  readonly matchers: readonly Matcher[];
  readonly continue: boolean;
  readonly groupWaitSeconds: number;
  readonly groupIntervalSeconds: number;
  readonly repeatIntervalSeconds: number;
  readonly muteTimeIntervals: readonly string[];
  readonly activeTimeIntervals: readonly string[];
  readonly routes: readonly Route[];
  /** "route.routes[0].routes[1]", for messages. */
  readonly path: string;
}

export interface Receiver {
  readonly name: string;
  /** Integration kinds configured (e.g. "pagerduty", "email"). */
  readonly integrations: readonly string[];
}

export interface InhibitRule {
  readonly source: readonly Matcher[];
  readonly target: readonly Matcher[];
  readonly equal: readonly string[];
  readonly index: number;
}

/** One entry of a named time interval (config/timeinterval): every field it sets must hold; unset fields hold always. */
export interface TimeRange {
  /** [start, end) minutes of the day. */
  readonly times?: ReadonlyArray<readonly [number, number]>;
  /** Inclusive ranges, Sunday = 0. */
  readonly weekdays?: ReadonlyArray<readonly [number, number]>;
  /** Inclusive ranges; negative counts from the month's end (-1 = last day). */
  readonly daysOfMonth?: ReadonlyArray<readonly [number, number]>;
  /** Inclusive ranges, January = 1. */
  readonly months?: ReadonlyArray<readonly [number, number]>;
  /** Inclusive year ranges: an entry that sets them ends. */
  readonly years?: ReadonlyArray<readonly [number, number]>;
}

export interface AlertmanagerModel {
  readonly configFile: string;
  /** The port --web.listen-address binds (9093 by default): where Prometheus must send alerts. */
  readonly listenPort?: number;
  /** Named time intervals (time_intervals and the older top-level mute_time_intervals). */
  readonly timeIntervals: ReadonlyMap<string, readonly TimeRange[]>;
  readonly startupError?: string;
  /** The config file's content is unknown at preview. */
  readonly unknown?: boolean;
  readonly root?: Route;
  readonly receivers: ReadonlyMap<string, Receiver>;
  readonly inhibitRules: readonly InhibitRule[];
  /** The routes an alert with these labels ends at, in order (as `amtool config routes test`). */
  routesFor(labels: Labels): Route[];
  /** `*_file` settings (secrets read when a notification is sent) naming a file the container does not have. */
  readonly missingFiles: ReadonlyArray<{ readonly key: string; readonly path: string }>;
}

/** Every `<key>_file: <path>` in the document, with where it sits. */
function fileReferences(value: unknown, at: string): Array<{ key: string; path: string }> {
  if (Array.isArray(value)) return value.flatMap((v, i) => fileReferences(v, `${at}[${i}]`));
  const record = asRecord(value);
  if (!record) return [];
  return Object.entries(record).flatMap(([k, v]) =>
    /_file$/.test(k) && typeof v === "string" && v !== "" ? [{ key: `${at}.${k}`.replace(/^\./, ""), path: v }] : fileReferences(v, `${at}.${k}`));
}

/** Integrations that notify someone on call (email and plain chat webhooks into a channel are not). */
export const PAGING_INTEGRATIONS: ReadonlySet<string> = new Set(["pagerduty", "opsgenie", "victorops", "pushover", "webhook", "telegram", "sns", "slack", "webex", "msteams", "discord"]);

const INTEGRATIONS = ["email", "pagerduty", "opsgenie", "victorops", "pushover", "webhook", "telegram", "sns", "slack", "webex", "msteams", "discord", "wechat"];
const ROUTE_KEYS = new Set(["receiver", "group_by", "continue", "match", "match_re", "matchers", "group_wait", "group_interval", "repeat_interval", "mute_time_intervals", "active_time_intervals", "routes"]);
const TOP_KEYS = new Set(["global", "route", "inhibit_rules", "receivers", "templates", "mute_time_intervals", "time_intervals"]);

/** One matcher string as labels.ParseMatchers reads it: `name<op>value`, value quoted or bare; several separated by commas, optionally in braces. */
export function parseMatchers(text: string): Matcher[] {
  const body = text.trim().replace(/^\{([\s\S]*)\}$/, "$1");
  const matchers: Matcher[] = [];
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|[^,]*?)\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < body.length && (m = re.exec(body)) !== null) {
    const raw = m[3]!;
    const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw.trim();
    matchers.push({ name: m[1]!, op: m[2] as Matcher["op"], value });
    if (m[0] === "") break;
  }
  if (matchers.length === 0 || re.lastIndex < body.length) throw new Error(`bad matcher format: ${text}`);
  return matchers;
}

const anchored = (re: string) => new RegExp(`^(?:${re})$`, "s");

export function matchesAll(matchers: readonly Matcher[], labels: Labels): boolean {
  return matchers.every((m) => {
    const value = labels[m.name] ?? "";
    switch (m.op) {
      case "=": return value === m.value;
      case "!=": return value !== m.value;
      case "=~": return anchored(m.value).test(value);
      case "!~": return !anchored(m.value).test(value);
    }
  });
}

function legacyMatchers(match: unknown, matchRe: unknown): Matcher[] {
  return [
    ...Object.entries(asRecord(match) ?? {}).map(([name, v]): Matcher => ({ name, op: "=", value: String(v) })),
    ...Object.entries(asRecord(matchRe) ?? {}).map(([name, v]): Matcher => ({ name, op: "=~", value: String(v) })),
  ];
}

function duration(value: unknown, inherited: number, what: string): number {
  if (value === undefined) return inherited;
  const seconds = promDurationSeconds(String(value));
  if (seconds === undefined) throw new Error(`${what}: not a valid duration string: "${String(value)}"`);
  return seconds;
}

function readRoute(raw: PropRecord, parent: Route | undefined, path: string): Route {
  const unknownKey = Object.keys(raw).find((k) => !ROUTE_KEYS.has(k));
  if (unknownKey) throw new Error(`${path}: field ${unknownKey} not found in type config.plain`);
  const matchers = [
    ...legacyMatchers(raw.match, raw.match_re),
    ...asArray(raw.matchers).flatMap((m) => parseMatchers(String(m))),
  ];
  const route: Omit<Route, "routes"> = {
    receiver: asString(raw.receiver) ?? parent?.receiver ?? "",
    matchers,
    continue: raw.continue === true,
    groupWaitSeconds: duration(raw.group_wait, parent?.groupWaitSeconds ?? 30, `${path}.group_wait`),
    groupIntervalSeconds: duration(raw.group_interval, parent?.groupIntervalSeconds ?? 300, `${path}.group_interval`),
    repeatIntervalSeconds: duration(raw.repeat_interval, parent?.repeatIntervalSeconds ?? 4 * 3600, `${path}.repeat_interval`),
    muteTimeIntervals: asArray(raw.mute_time_intervals).map(String),
    activeTimeIntervals: asArray(raw.active_time_intervals).map(String),
    path,
  };
  const withRoutes: Route = { ...route, routes: [] };
  return { ...route, routes: asArray(raw.routes).map((child, i) => readRoute(asRecord(child) ?? {}, withRoutes, `${path}.routes[${i}]`)) };
}

function match(route: Route, labels: Labels): Route[] {
  if (!matchesAll(route.matchers, labels)) return [];
  const all: Route[] = [];
  for (const child of route.routes) {
    const found = match(child, labels);
    all.push(...found);
    if (found.length > 0 && !child.continue) break;
  }
  return all.length > 0 ? all : [route];
}

function validateReceiver(raw: PropRecord, global: PropRecord): Receiver {
  const name = asString(raw.name) ?? "";
  if (name === "") throw new Error("missing name in receiver");
  const unknownKey = Object.keys(raw).find((k) => k !== "name" && !INTEGRATIONS.some((i) => k === `${i}_configs`));
  if (unknownKey) throw new Error(`receiver ${name}: field ${unknownKey} not found in type config.plain`);
  const integrations: string[] = [];
  for (const kind of INTEGRATIONS) {
    for (const c of asArray(raw[`${kind}_configs`])) {
      const cfg = asRecord(c) ?? {};
      const has = (...keys: string[]) => keys.some((k) => asString(cfg[k]) || asString(global[k]));
      if (kind === "email") {
        if (!asString(cfg.to)) throw new Error("missing to address in email config");
        if (!has("smarthost", "smtp_smarthost")) throw new Error("no global SMTP smarthost set");
        if (!has("from", "smtp_from")) throw new Error("no global SMTP from set");
      }
      if (kind === "slack" && !has("api_url", "api_url_file", "slack_api_url", "slack_api_url_file")) throw new Error("no global Slack API URL set");
      if (kind === "pagerduty" && !has("routing_key", "routing_key_file", "service_key", "service_key_file")) throw new Error("missing service or routing key in PagerDuty config");
      if (kind === "webhook" && !has("url", "url_file")) throw new Error("one of url or url_file must be configured");
      if (kind === "opsgenie" && !has("api_key", "api_key_file", "opsgenie_api_key", "opsgenie_api_key_file")) throw new Error("no global OpsGenie API Key set");
      integrations.push(kind);
    }
  }
  return { name, integrations };
}

const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

/** "a:b" or "a" as an inclusive range, each end a name of `names` (case-insensitive) or an integer. */
function rangeOf(text: string, what: string, names?: readonly string[], offset = 0): [number, number] {
  const end = (word: string) => {
    const named = names?.indexOf(word.trim().toLowerCase()) ?? -1;
    if (named >= 0) return named + offset;
    if (/^-?\d+$/.test(word.trim())) return Number(word.trim());
    throw new Error(`${what}: invalid value "${text}"`);
  };
  const [a, b = a] = text.split(":");
  return [end(a!), end(b!)];
}

const minutesOf = (hhmm: unknown, what: string): number => {
  const m = /^(\d\d):(\d\d)$/.exec(String(hhmm ?? ""));
  if (!m || Number(m[1]) > 24 || Number(m[2]) > 59 || (Number(m[1]) === 24 && m[2] !== "00")) throw new Error(`${what}: couldn't parse timestamp ${String(hhmm)}, invalid format`);
  return Number(m[1]) * 60 + Number(m[2]);
};

function readTimeRange(raw: PropRecord, what: string): TimeRange {
  const list = (key: string) => asArray(raw[key]).map(String);
  return {
    ...(raw.times !== undefined ? { times: asArray(raw.times).map((t): [number, number] => {
      const r = asRecord(t) ?? {};
      const range: [number, number] = [minutesOf(r.start_time, `${what}.times`), minutesOf(r.end_time, `${what}.times`)];
      if (range[0] >= range[1]) throw new Error(`${what}.times: start time cannot be equal or greater than end time`);
      return range;
    }) } : {}),
    ...(raw.weekdays !== undefined ? { weekdays: list("weekdays").map((w) => rangeOf(w, `${what}.weekdays`, WEEKDAYS)) } : {}),
    ...(raw.days_of_month !== undefined ? { daysOfMonth: list("days_of_month").map((d) => rangeOf(d, `${what}.days_of_month`)) } : {}),
    ...(raw.months !== undefined ? { months: list("months").map((m) => rangeOf(m, `${what}.months`, MONTHS, 1)) } : {}),
    ...(raw.years !== undefined ? { years: list("years").map((y) => rangeOf(y, `${what}.years`)) } : {}),
  };
}

/** TimeInterval.ContainsTime for a UTC day and minute of day, years aside (the caller judges them). */
function containsTime(range: TimeRange, day: Date, minute: number): boolean {
  // An empty or unset field matches any value (docs: "If a field is left empty, any value will match").
  const within = (ranges: ReadonlyArray<readonly [number, number]> | undefined, value: number) => !ranges?.length || ranges.some(([a, b]) => value >= a && value <= b);
  if (range.times?.length && !range.times.some(([a, b]) => minute >= a && minute < b)) return false;
  if (!within(range.weekdays, day.getUTCDay())) return false;
  if (!within(range.months, day.getUTCMonth() + 1)) return false;
  if (range.daysOfMonth?.length) {
    const daysInMonth = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 0)).getUTCDate();
    const dom = day.getUTCDate();
    const toDay = (d: number) => (d < 0 ? daysInMonth + d + 1 : d);
    if (!range.daysOfMonth.some(([a, b]) => dom >= toDay(a) && dom <= toDay(b))) return false;
  }
  return true;
}

/**
 * When a route's time intervals keep it from notifying (dispatch: a route whose active_time_intervals
 * do not hold now, or whose mute_time_intervals do, sends nothing): "always" never, "never" at any
 * time, else a sample moment it is silent. Sampled at every boundary minute the intervals name over a
 * leap year (every weekday, day of month and month); an entry with years runs out, so it cannot keep
 * a route active for good.
 */
export function silentWhen(route: Route, intervals: ReadonlyMap<string, readonly TimeRange[]>): string | undefined {
  const active = route.activeTimeIntervals.flatMap((name) => intervals.get(name) ?? []);
  const mute = route.muteTimeIntervals.flatMap((name) => intervals.get(name) ?? []);
  if (route.activeTimeIntervals.length === 0 && mute.length === 0) return undefined;
  const boundaries = [...new Set([0, ...[...active, ...mute].flatMap((r) => (r.times ?? []).flat())])].filter((m) => m < 1440).sort((a, b) => a - b);
  const expiring = active.find((r) => r.years?.length);
  for (let d = 0; d < 366; d++) {
    const day = new Date(Date.UTC(2024, 0, 1 + d));
    for (const minute of boundaries) {
      const at = () => `${WEEKDAYS[day.getUTCDay()]} ${day.toISOString().slice(5, 10)} ${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
      if (route.activeTimeIntervals.length > 0 && !active.some((r) => containsTime(r, day, minute))) return `outside its active_time_intervals (${route.activeTimeIntervals.join(", ")}), e.g. ${at()}`;
      if (mute.some((r) => containsTime(r, day, minute))) return `during its mute_time_intervals (${route.muteTimeIntervals.join(", ")}), e.g. ${at()}`;
    }
  }
  return expiring ? `once the years of its active_time_intervals (${route.activeTimeIntervals.join(", ")}) are over` : undefined;
}

export function buildAlertmanagerModel(launch: Launch, files: ReadonlyMap<string, string | undefined>, workingDir: string): AlertmanagerModel {
  const flags = kingpinFlags(launch.kind === "server" ? launch.args : []);
  const flag = flags.get("config.file") ?? "alertmanager.yml";
  const configFile = flag.startsWith("/") ? flag : `${workingDir.replace(/\/$/, "")}/${flag}`;
  // --web.listen-address (default ":9093"): host:port, the port after the last colon.
  const listen = /:(\d+)$/.exec(flags.get("web.listen-address") ?? ":9093");
  const empty = {
    configFile, ...(listen ? { listenPort: Number(listen[1]) } : {}),
    receivers: new Map<string, Receiver>(), timeIntervals: new Map<string, readonly TimeRange[]>(), inhibitRules: [], routesFor: () => [], missingFiles: [],
  };
  if (launch.kind !== "server") return { ...empty, startupError: `the container does not start alertmanager (it runs ${launch.argv.join(" ") || "nothing"})` };
  if (flags.repeated) return { ...empty, startupError: `Error parsing commandline arguments: flag '${flags.repeated}' cannot be repeated` };
  if (!files.has(configFile)) return { ...empty, startupError: `Loading configuration file failed: open ${configFile}: no such file or directory` };
  const text = files.get(configFile);
  if (text === undefined) return { ...empty, unknown: true };
  try {
    const doc = asRecord(parse(text) as unknown) ?? {};
    const unknownKey = Object.keys(doc).find((k) => !TOP_KEYS.has(k));
    if (unknownKey) throw new Error(`field ${unknownKey} not found in type config.plain`);
    const global = asRecord(doc.global) ?? {};
    const receivers = new Map<string, Receiver>();
    for (const raw of asArray(doc.receivers)) {
      const receiver = validateReceiver(asRecord(raw) ?? {}, global);
      if (receivers.has(receiver.name)) throw new Error(`notification config name "${receiver.name}" is not unique`);
      receivers.set(receiver.name, receiver);
    }
    const rawRoute = asRecord(doc.route);
    if (!rawRoute) throw new Error("no routes provided");
    if (!asString(rawRoute.receiver)) throw new Error("root route must specify a default receiver");
    if (rawRoute.match !== undefined || rawRoute.match_re !== undefined || rawRoute.matchers !== undefined) throw new Error("root route must not have any matchers");
    // config.Load: time_intervals and the older top-level mute_time_intervals share one namespace.
    const timeIntervals = new Map<string, readonly TimeRange[]>();
    for (const key of ["mute_time_intervals", "time_intervals"]) {
      asArray(doc[key]).forEach((raw, i) => {
        const named = asRecord(raw) ?? {};
        const name = asString(named.name) ?? "";
        if (name === "") throw new Error(`missing name in ${key}`);
        if (timeIntervals.has(name)) throw new Error(`time interval "${name}" is not unique`);
        timeIntervals.set(name, asArray(named.time_intervals).map((r, j) => readTimeRange(asRecord(r) ?? {}, `${key}[${i}].time_intervals[${j}]`)));
      });
    }
    const root = readRoute(rawRoute, undefined, "route");
    if (root.muteTimeIntervals.length > 0) throw new Error("root route must not have any mute time intervals");
    if (root.activeTimeIntervals.length > 0) throw new Error("root route must not have any active time intervals");
    const check = (route: Route) => {
      if (!receivers.has(route.receiver)) throw new Error(`undefined receiver "${route.receiver}" used in route`);
      const undefinedInterval = [...route.muteTimeIntervals, ...route.activeTimeIntervals].find((name) => !timeIntervals.has(name));
      if (undefinedInterval !== undefined) throw new Error(`undefined time interval "${undefinedInterval}" used in route`);
      route.routes.forEach(check);
    };
    check(root);
    const inhibitRules = asArray(doc.inhibit_rules).map((raw, index): InhibitRule => {
      const rule = asRecord(raw) ?? {};
      return {
        source: [...legacyMatchers(rule.source_match, rule.source_match_re), ...asArray(rule.source_matchers).flatMap((m) => parseMatchers(String(m)))],
        target: [...legacyMatchers(rule.target_match, rule.target_match_re), ...asArray(rule.target_matchers).flatMap((m) => parseMatchers(String(m)))],
        equal: asArray(rule.equal).map(String),
        index,
      };
    });
    const missingFiles = fileReferences(doc, "").filter((ref) => !files.has(ref.path));
    return { ...empty, root, receivers, timeIntervals, inhibitRules, routesFor: (labels) => match(root, labels), missingFiles };
  } catch (err) {
    return { ...empty, startupError: `Loading configuration file failed: ${(err as Error).message}` };
  }
}

/** Whether an inhibit rule can mute `target` while `source` fires. */
export function inhibits(rule: InhibitRule, source: Labels, target: Labels): boolean {
  if (!matchesAll(rule.target, target) || !matchesAll(rule.source, source)) return false;
  return rule.equal.every((name) => (source[name] ?? "") === (target[name] ?? ""));
}

// What a container healthcheck really checks. Docker runs the test (["CMD", argv…] directly,
// ["CMD-SHELL", script] through /bin/sh -c) every interval; "NONE" disables the image's check; a
// missing test inherits the image's (none for the images this stack runs). A zero interval or
// timeout means 30 s and zero retries means 3 (Docker's defaults). A test whose exit status cannot
// fail (exit 0, true, `… || true`), or that only asks another service, says nothing about this one;
// one whose curl ignores the HTTP status (no --fail) cannot see the service report itself broken.
import { parseShell, type SimpleCommand } from "../shell-words";
import { secretsLoaderDir } from "./launch";

export interface HealthcheckInput {
  readonly test: readonly string[];
  readonly interval?: string;
  readonly timeout?: string;
  readonly startPeriod?: string;
  readonly retries?: number;
}

export interface HealthcheckEffect {
  readonly kind: "none" | "disabled" | "invalid" | "test";
  /** Seconds, with Docker's defaults applied. */
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly startPeriodSeconds: number;
  readonly retries: number;
  /** Why the test passes whatever the service does, if it does. */
  readonly alwaysPasses?: string;
  /** Hosts the test contacts that are not this container. */
  readonly otherHosts: readonly string[];
  /** Why the test's verdict ignores the HTTP status its service answers with, if it does. */
  readonly ignoresHttpStatus?: string;
}

/** Go's time.ParseDuration for the units Docker accepts; undefined when malformed. */
export function goDurationSeconds(text: string | undefined): number | undefined {
  if (text === undefined || text === "") return 0;
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, "µs": 1e-6, ns: 1e-9 };
  const parts = [...text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|ns)/g)];
  if (parts.map((p) => p[0]).join("") !== text.replace(/^[+]/, "") && text !== "0") return undefined;
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * units[unit!]!, 0);
}

const NO_OP = new Set(["true", ":", "/bin/true", "/usr/bin/true"]);
const LOCAL_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[?::1\]?|0\.0\.0\.0|\$\{?HOSTNAME\}?|\$\(hostname\))$/i;

/** A simple command that always exits 0. */
function alwaysZero(words: readonly string[]): boolean {
  const program = words[0] ?? "";
  if (NO_OP.has(program)) return true;
  if (program === "exit") return (words[1] ?? "0") === "0";
  return program === "echo" || program === "printf";
}

/** Whether a parsed script always succeeds: its last pipeline/list cannot fail. */
export function scriptAlwaysPasses(commands: readonly SimpleCommand[]): string | undefined {
  if (commands.length === 0) return "the test is empty";
  const texts = commands.map((c) => c.words.map((w) => w.text));
  // `a || true`: the fallback of an or-list always succeeds.
  for (let i = 0; i < commands.length - 1; i++) {
    if (commands[i]!.next === "||" && alwaysZero(texts[i + 1]!)) return `"${texts[i]!.join(" ")} || ${texts[i + 1]!.join(" ")}" succeeds whatever the first command says`;
  }
  // `…; exit 0` or a script that is only no-ops: the status is the last command's.
  const lastIndex = commands.length - 1;
  const separated = lastIndex === 0 || commands[lastIndex - 1]!.next === ";" || commands[lastIndex - 1]!.next === "&";
  if (separated && alwaysZero(texts[lastIndex]!)) return `it ends with "${texts[lastIndex]!.join(" ")}", which always exits 0`;
  return undefined;
}

/** Hosts named by URLs, nc/pg_isready/redis-cli/-h options and /dev/tcp paths in a test's words. */
function contactedHosts(words: readonly string[]): string[] {
  const hosts: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    for (const m of word.matchAll(/[a-z][a-z0-9+.-]*:\/\/(?:[^@/\s'"]*@)?(\[[^\]]+\]|[^:/\s'"?]+)/gi)) hosts.push(m[1]!);
    for (const m of word.matchAll(/\/dev\/(?:tcp|udp)\/([^/\s'"]+)/g)) hosts.push(m[1]!);
    const option = /^(?:-h|--host)(?:=(.+))?$/.exec(word);
    if (option) hosts.push(option[1] ?? words[i + 1] ?? "");
    if (word === "nc" || word.endsWith("/nc") || word === "ncat") {
      const operands = words.slice(i + 1).filter((w) => !w.startsWith("-"));
      if (operands[0]) hosts.push(operands[0]);
    }
  }
  return hosts;
}

// curl's short options that take a value: in a cluster (-so FILE) the letters after one are that value
// (curl 7.88 tool_getparam.c; proved with Debian's curl against nginx answering 503: `-sof x` writes to
// the file "f" and exits 0, `-sfo x` exits 22).
const CURL_VALUE_LETTERS = new Set("AbcCdDeEFHKmoPQrtTuUwxXyYz");

/** Whether curl's words turn --fail on: -f in a short cluster, --fail, --fail-with-body; the last of those and --no-fail wins. */
function curlFails(args: readonly string[]): boolean {
  let fail = false;
  for (const arg of args) {
    if (arg === "--fail" || arg === "--fail-with-body") fail = true;
    else if (arg === "--no-fail") fail = false;
    else if (/^-[A-Za-z0-9#:]+$/.test(arg)) {
      for (const letter of arg.slice(1)) {
        if (letter === "f") { fail = true; break; }
        if (CURL_VALUE_LETTERS.has(letter)) break;
      }
    }
  }
  return fail;
}

/**
 * A curl whose exit status is the test's verdict (not piped into a command that reads its output)
 * without --fail exits 0 for any HTTP answer, 500 and 503 included (curl(1): -f makes server errors
 * exit 22): the service's own health endpoint saying it is broken never reaches Docker.
 */
function httpStatusIgnored(commands: readonly SimpleCommand[]): string | undefined {
  for (const command of commands) {
    const words = command.words.map((w) => w.text);
    const at = words.findIndex((w, i) => /(^|\/)curl$/.test(w) && words.slice(0, i).every((x) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(x) || x === "exec"));
    if (at < 0 || command.next === "|" || command.next === "&") continue;
    if (!curlFails(words.slice(at + 1))) return `"${words.join(" ")}" has no -f/--fail, so curl exits 0 on a 500 or 503 answer`;
  }
  return undefined;
}

const SHELL = /(^|\/)(ba|da)?sh$/;

/** The commands an argv runs: through `sh -c` scripts and the secrets loader (whose "$@" is the rest). */
function innermostCommands(argv: readonly string[]): SimpleCommand[] {
  let current = [...argv];
  for (let hops = 0; hops < 8; hops++) {
    if (!SHELL.test(current[0] ?? "") || current[1] !== "-c" || current[2] === undefined) break;
    const commands = parseShell(current[2], { positional: current.slice(4) });
    if (secretsLoaderDir(commands) === undefined) return commands;
    current = current.slice(4);
  }
  return [{ words: current.map((text) => ({ text })), next: ";" }];
}

/** A host is this container when it is loopback, a unix socket path, or one of its own names. */
const isSelf = (host: string, ownNames: ReadonlySet<string>) => host.startsWith("/") || LOCAL_HOST.test(host) || ownNames.has(host.toLowerCase());

export function healthcheckEffect(input: HealthcheckInput | undefined, ownNames: ReadonlySet<string>): HealthcheckEffect {
  const timing = {
    intervalSeconds: goDurationSeconds(input?.interval) || 30,
    timeoutSeconds: goDurationSeconds(input?.timeout) || 30,
    startPeriodSeconds: goDurationSeconds(input?.startPeriod) ?? 0,
    retries: input?.retries && input.retries > 0 ? input.retries : 3,
  };
  const test = input?.test ?? [];
  if (test.length === 0) return { kind: "none", ...timing, otherHosts: [] };
  if (test[0] === "NONE") return { kind: "disabled", ...timing, otherHosts: [] };
  let commands: SimpleCommand[];
  if (test[0] === "CMD-SHELL") commands = parseShell(test.slice(1).join(" "));
  else if (test[0] === "CMD") commands = innermostCommands(test.slice(1));
  else return { kind: "invalid", ...timing, otherHosts: [] };
  const words = commands.flatMap((c) => c.words.map((w) => w.text));
  const otherHosts = [...new Set(contactedHosts(words).filter((h) => h !== "" && !isSelf(h, ownNames)))];
  const ignoresHttpStatus = httpStatusIgnored(commands);
  return { kind: "test", ...timing, alwaysPasses: scriptAlwaysPasses(commands), otherHosts, ...(ignoresHttpStatus ? { ignoresHttpStatus } : {}) };
}

// What a container healthcheck really checks. Docker runs the test (["CMD", argv…] directly,
// ["CMD-SHELL", script] through /bin/sh -c) every interval; "NONE" disables the image's check; a
// missing test inherits the image's (none for the images this stack runs). A zero interval or
// timeout means 30 s and zero retries means 3 (Docker's defaults). A test whose exit status cannot
// fail (exit 0, true, `… || true`), or that only asks another service, says nothing about this one.
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
  return { kind: "test", ...timing, alwaysPasses: scriptAlwaysPasses(commands), otherHosts };
}

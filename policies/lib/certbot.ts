// The certbot runs a container's command makes, as certbot reads its command line
// (certbot/_internal/cli: the subcommand is the first argument that names one, "run" when none does;
// options as argparse takes them: --opt value, --opt=value, -d value, -dvalue), followed through
// `sh -c` scripts (lib/shell-words). What the rules need: which CA it talks to, whether it keeps what
// it gets, and the names it asks for.
import { parseShell } from "./shell-words";

/** certbot's subcommands (certbot/_internal/cli/verb_help.py, VERB_HELP_MAP). */
const VERBS = new Set([
  "run", "certonly", "renew", "install", "rollback", "config_changes", "plugins", "update_symlinks", "revoke", "delete",
  "register", "update_account", "unregister", "show_account", "certificates", "enhance", "reconfigure", "everything",
]);

/** Let's Encrypt's production ACME directory: certbot's --server default (certbot/_internal/constants.py). */
export const LETS_ENCRYPT_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory";
/** What --staging (alias --test-cert) means: "equivalent to --server https://acme-staging-v02…" (certbot --help all). */
export const LETS_ENCRYPT_STAGING_DIRECTORY = "https://acme-staging-v02.api.letsencrypt.org/directory";

export interface CertbotRun {
  readonly verb: string;
  /** The arguments after `certbot`, as the shell hands them over. */
  readonly args: readonly string[];
  /** Options with values, long name without dashes ("domains", "server", "webroot-path") -> every value given. */
  readonly values: ReadonlyMap<string, readonly string[]>;
  /** Flags given, long name without dashes ("dry-run", "staging"). */
  readonly flags: ReadonlySet<string>;
}

/** Short options and aliases, to their long names. */
const ALIASES: Readonly<Record<string, string>> = {
  d: "domains", domain: "domains", w: "webroot-path", m: "email", c: "config", "test-cert": "staging", a: "authenticator", n: "non-interactive",
};
/** Options that take a value (the rest of what the rules read are flags). */
const TAKES_VALUE = new Set(["domains", "webroot-path", "email", "config", "server", "cert-name", "authenticator", "key-type", "deploy-hook", "pre-hook", "post-hook", "renew-hook", "rsa-key-size", "elliptic-curve", "preferred-chain", "installer", "config-dir", "work-dir", "logs-dir"]);

function parseRun(args: readonly string[]): CertbotRun {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  let verb: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const long = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    const short = /^-([a-z])(.*)$/s.exec(arg);
    if (!long && !short) {
      if (verb === undefined && VERBS.has(arg)) verb = arg;
      continue;
    }
    const name = ALIASES[(long ?? short)![1]!] ?? (long ?? short)![1]!;
    const inline = long ? long[2] : short![2] !== "" ? short![2] : undefined;
    if (TAKES_VALUE.has(name)) {
      const value = inline ?? args[++i] ?? "";
      values.set(name, [...(values.get(name) ?? []), value]);
    } else flags.add(name);
  }
  return { verb: verb ?? "run", args, values, flags };
}

/** Every certbot a container's argv runs: directly (exec form) or as a command of a `sh -c` script. */
export function certbotRuns(argv: readonly string[]): CertbotRun[] {
  const commands = [argv, ...argv.filter((a) => /\s/.test(a)).flatMap((script) => parseShell(script).map((c) => c.words.map((w) => w.text)))];
  const runs: CertbotRun[] = [];
  for (const words of commands) {
    const at = words.findIndex((w) => /(^|\/)certbot$/.test(w));
    if (at >= 0) runs.push(parseRun(words.slice(at + 1)));
  }
  return runs;
}

/** The ACME directory a run talks to: --server, or staging's, else Let's Encrypt's production one. */
export function acmeDirectory(run: CertbotRun): string {
  const server = run.values.get("server");
  if (server && server.length > 0) return server[server.length - 1]!;
  return run.flags.has("staging") ? LETS_ENCRYPT_STAGING_DIRECTORY : LETS_ENCRYPT_DIRECTORY;
}

/** The names a run asks a certificate for: every -d/--domains, comma-separated lists split, lowercase. */
export const requestedNames = (run: CertbotRun): string[] =>
  (run.values.get("domains") ?? []).flatMap((v) => v.split(",")).map((d) => d.trim().toLowerCase()).filter((d) => d !== "");

/** Whether a certificate for `names` covers `host` (a wildcard covers exactly one more label). */
export function certificateCovers(names: readonly string[], host: string): boolean {
  const h = host.toLowerCase();
  return names.some((n) => n === h || (n.startsWith("*.") && h.endsWith(n.slice(1)) && !h.slice(0, -n.length + 1).includes(".")));
}

const SLEEP_UNITS: Readonly<Record<string, number>> = { "": 1, s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * The longest pause a `sleep` in the container's scripts makes, in seconds (undefined when none can be
 * read): GNU and BusyBox sleep (the certbot image is Alpine's) add up their arguments, each a number
 * with an optional s/m/h/d suffix; "infinity" never ends. In a renewal loop it bounds the interval
 * between renewal tries from below.
 */
export function longestSleep(argv: readonly string[]): number | undefined {
  let longest: number | undefined;
  for (const script of argv.filter((a) => /\s/.test(a))) {
    for (const command of parseShell(script)) {
      const words = command.words.map((w) => w.text);
      const at = words.findIndex((w) => w === "sleep" || w.endsWith("/sleep"));
      if (at < 0 || (at > 0 && !["do", "then", "else", "exec"].includes(words[at - 1]!))) continue;
      let total = 0;
      for (const arg of words.slice(at + 1)) {
        if (arg === "infinity") total = Infinity;
        const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(arg);
        if (m) total += Number(m[1]) * SLEEP_UNITS[m[2]!]!;
      }
      if (total > 0) longest = Math.max(longest ?? 0, total);
    }
  }
  return longest;
}

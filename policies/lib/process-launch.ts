// What process a container ends up running, and with which arguments: Docker's ENTRYPOINT + CMD rules
// (a container entrypoint drops the image's CMD), `env`/`gosu`/`tini`-style wrappers, and `sh -c '…'`
// scripts followed to the command that starts the server (with "$@" spread and the container's env
// expanded). Each server model says how to recognise its program and its image's entrypoint script.
import { parseShell, spreadArgs } from "./shell-words";

export type Launch =
  /** `unresolved`: arguments holding a shell expansion whose value the stack does not give (a secret env entry). */
  | { readonly kind: "server"; readonly args: readonly string[]; readonly unresolved: readonly string[] }
  /** The container runs something else, or a shell whose command is not visible. */
  | { readonly kind: "other"; readonly argv: readonly string[] };

export interface LaunchRules {
  /** The server's program (e.g. redis-server, /bin/prometheus). */
  readonly isServer: (program: string) => boolean;
  /** The image's entrypoint script: the argv it execs, given its arguments; undefined when `program` is not it. */
  readonly entrypointScript?: (program: string, args: readonly string[]) => readonly string[] | undefined;
}

export interface ImageLaunch {
  readonly entrypoint: readonly string[];
  readonly command: readonly string[];
}

const isShell = (word: string) => /(^|\/)(ba|da)?sh$/.test(word);
const WRAPPER = /(^|\/)(env|gosu|su-exec|tini|dumb-init)$/;

export function containerLaunch(
  entrypoints: readonly string[] | undefined,
  command: readonly string[] | undefined,
  image: ImageLaunch,
  rules: LaunchRules,
  env: ReadonlyMap<string, string> = new Map(),
): Launch {
  const ownEntrypoint = entrypoints !== undefined && entrypoints.length > 0;
  const entry = ownEntrypoint ? entrypoints : image.entrypoint;
  const cmd = command !== undefined && command.length > 0 ? command : ownEntrypoint ? [] : image.command;
  return follow([...entry, ...cmd], rules, env, [], 0);
}

function follow(argv: readonly string[], rules: LaunchRules, env: ReadonlyMap<string, string>, unresolved: readonly string[], depth: number): Launch {
  if (depth > 4 || argv.length === 0) return { kind: "other", argv };
  const [program, ...rest] = argv as [string, ...string[]];
  if (rules.isServer(program)) return { kind: "server", args: rest, unresolved };
  const viaScript = rules.entrypointScript?.(program, rest);
  if (viaScript) return follow(viaScript, rules, env, unresolved, depth + 1);
  if (WRAPPER.test(program)) {
    // The wrapper's own options and NAME=value assignments (env), or the user argument (gosu).
    let i = /(gosu|su-exec)$/.test(program) ? 1 : 0;
    while (i < rest.length && (rest[i]!.startsWith("-") || /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[i]!))) i++;
    return follow(rest.slice(i), rules, env, unresolved, depth + 1);
  }
  if (isShell(program) && rest[0] === "-c" && rest[1] !== undefined) {
    // sh -c SCRIPT [$0 [$1 …]]: the last simple command that starts the server (normally `exec …`).
    const positional = rest.slice(3);
    for (const c of [...parseShell(rest[1], { positional, variables: env })].reverse()) {
      const words = spreadArgs(c.words, positional);
      const at = words.findIndex((w) => rules.isServer(w.text) || rules.entrypointScript?.(w.text, []) !== undefined);
      if (at < 0) continue;
      const dynamic = words.slice(at).filter((w) => w.dynamic).map((w) => w.text);
      return follow(words.slice(at).map((w) => w.text), rules, env, [...unresolved, ...dynamic], depth + 1);
    }
  }
  return { kind: "other", argv };
}

// How a container starts redis-server, and what redis-server makes of its arguments (server.c main(),
// the same in 7.0 and 7.4): a first argument not starting with "-" is the config file; every
// `--name value…` becomes the config line "name value…" appended after the file, so command-line
// options override it; `--save` with nothing after it is `save ""`.
// The official image (docker-library/redis) runs docker-entrypoint.sh, which prepends redis-server
// when the first argument starts with "-" or ends in ".conf"; its WORKDIR is /data.
import { parseShell, spreadArgs } from "../shell-words";
import { quoteArg, splitArgs } from "./syntax";

export interface RedisArguments {
  /** The config file argument as given (relative paths resolve against the working directory). */
  readonly configFile?: string;
  /** Config text redis-server appends after the file ("\n" + options). */
  readonly options: string;
  /** `-` as first or last argument: config also read from stdin, which a container does not feed. */
  readonly fromStdin: boolean;
}

/** main()'s option parsing for `redis-server <args>`. */
export function redisServerArguments(args: readonly string[]): RedisArguments {
  let j = 0;
  let configFile: string | undefined;
  if (args.length > 0 && !args[0]!.startsWith("-")) {
    configFile = args[0];
    j = 1;
  }
  let options = "";
  let fromStdin = false;
  let handledLastConfigArg = true;
  for (; j < args.length; j++) {
    const arg = args[j]!;
    const last = j === args.length - 1;
    if (arg === "-" && (j === 0 || last)) {
      fromStdin = true;
    } else if (handledLastConfigArg && arg.startsWith("--")) {
      if (options !== "") options += "\n";
      options += `${arg.slice(2)} `;
      const words = splitArgs(arg) ?? [];
      if (words.length === 1) {
        handledLastConfigArg = false;
        const next = args[j + 1];
        const isSave = arg.toLowerCase() === "--save";
        if (!last && next!.startsWith("--") && isSave) {
          options += '""';
          handledLastConfigArg = true;
        } else if (last && isSave) {
          options += '""';
        } else if (!last && next!.startsWith("--") && arg.toLowerCase() === "--sentinel") {
          handledLastConfigArg = true;
        }
      } else {
        handledLastConfigArg = true;
      }
    } else {
      options += `${quoteArg(arg)} `;
      handledLastConfigArg = true;
    }
  }
  return { configFile, options, fromStdin };
}

export interface ImageDefaults {
  readonly entrypoint: readonly string[];
  readonly command: readonly string[];
  readonly workingDir: string;
  /** protected-mode when nothing sets it: the official image builds Redis with it off. */
  readonly protectedModeDefault: "yes" | "no";
}

/** docker-library/redis (redis:7.x): ENTRYPOINT docker-entrypoint.sh, CMD redis-server, WORKDIR /data, protected-mode compiled off. */
export const OFFICIAL_REDIS_IMAGE: ImageDefaults = {
  entrypoint: ["docker-entrypoint.sh"],
  command: ["redis-server"],
  workingDir: "/data",
  protectedModeDefault: "no",
};

export type RedisLaunch =
  /** `unresolved`: arguments holding a shell expansion whose value the stack does not give (a secret env entry). */
  | { readonly kind: "redis-server"; readonly args: readonly string[]; readonly unresolved: readonly string[] }
  /** The container runs something else (redis-sentinel, a shell whose command is not visible …). */
  | { readonly kind: "other"; readonly argv: readonly string[] };

const isRedisServer = (word: string) => word === "redis-server" || word.endsWith("/redis-server");
const isEntrypointScript = (word: string) => word === "docker-entrypoint.sh" || word.endsWith("/docker-entrypoint.sh");
const isShell = (word: string) => /(^|\/)(ba|da)?sh$/.test(word);

/**
 * The redis-server arguments a container's process ends up with: Docker's ENTRYPOINT + CMD rules (a
 * container entrypoint drops the image's CMD), the official entrypoint script, `sh -c '…'` scripts
 * whose `exec redis-server …` is followed (with "$@" spread), and `env`/`gosu`-style prefixes.
 */
export function redisLaunch(
  entrypoints: readonly string[] | undefined,
  command: readonly string[] | undefined,
  image: ImageDefaults,
  env: ReadonlyMap<string, string> = new Map(),
): RedisLaunch {
  const entry = entrypoints !== undefined && entrypoints.length > 0 ? entrypoints : image.entrypoint;
  const cmd = command !== undefined && command.length > 0 ? command : entrypoints !== undefined && entrypoints.length > 0 ? [] : image.command;
  return follow([...entry, ...cmd], env, [], 0);
}

function follow(argv: readonly string[], env: ReadonlyMap<string, string>, unresolved: readonly string[], depth: number): RedisLaunch {
  if (depth > 4 || argv.length === 0) return { kind: "other", argv };
  const [program, ...rest] = argv as [string, ...string[]];
  if (isRedisServer(program)) return { kind: "redis-server", args: rest, unresolved };
  if (isEntrypointScript(program)) {
    const first = rest[0];
    if (first !== undefined && (first.startsWith("-") || first.endsWith(".conf"))) return { kind: "redis-server", args: rest, unresolved };
    return follow(rest, env, unresolved, depth + 1);
  }
  if (/(^|\/)(env|gosu|su-exec|tini|dumb-init)$/.test(program)) {
    // Skips the wrapper's own options and NAME=value assignments (env), or the user argument (gosu).
    let i = 0;
    if (/gosu|su-exec$/.test(program)) i = 1;
    while (i < rest.length && (rest[i]!.startsWith("-") || /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[i]!))) i++;
    return follow(rest.slice(i), env, unresolved, depth + 1);
  }
  if (isShell(program) && rest[0] === "-c" && rest[1] !== undefined) {
    // sh -c SCRIPT [$0 [$1 …]]: the last simple command that runs redis-server (normally `exec …`).
    const positional = rest.slice(3);
    const commands = parseShell(rest[1], { positional, variables: env });
    for (const c of [...commands].reverse()) {
      const words = spreadArgs(c.words, positional);
      const at = words.findIndex((w) => isRedisServer(w.text) || isEntrypointScript(w.text));
      if (at < 0) continue;
      const dynamic = words.slice(at).filter((w) => w.dynamic).map((w) => w.text);
      return follow(words.slice(at).map((w) => w.text), env, [...unresolved, ...dynamic], depth + 1);
    }
  }
  return { kind: "other", argv };
}

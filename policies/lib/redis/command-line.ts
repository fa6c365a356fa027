// How a container starts redis-server, and what redis-server makes of its arguments (server.c main(),
// the same in 7.0 and 7.4): a first argument not starting with "-" is the config file; every
// `--name value…` becomes the config line "name value…" appended after the file, so command-line
// options override it; `--save` with nothing after it is `save ""`.
// The official image (docker-library/redis) runs docker-entrypoint.sh, which prepends redis-server
// when the first argument starts with "-" or ends in ".conf"; its WORKDIR is /data.
import { containerLaunch, type Launch, type LaunchRules } from "../process-launch";
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

export type RedisLaunch = Launch;

const isRedisServer = (word: string) => word === "redis-server" || word.endsWith("/redis-server");

/** docker-entrypoint.sh: prepends redis-server when the first argument starts with "-" or ends in ".conf", then execs. */
const REDIS_LAUNCH: LaunchRules = {
  isServer: isRedisServer,
  entrypointScript: (program, args) => {
    if (program !== "docker-entrypoint.sh" && !program.endsWith("/docker-entrypoint.sh")) return undefined;
    const first = args[0];
    return first !== undefined && (first.startsWith("-") || first.endsWith(".conf")) ? ["redis-server", ...args] : args;
  },
};

/** The redis-server arguments a container's process ends up with (see lib/process-launch). */
export function redisLaunch(
  entrypoints: readonly string[] | undefined,
  command: readonly string[] | undefined,
  image: ImageDefaults,
  env: ReadonlyMap<string, string> = new Map(),
): RedisLaunch {
  return containerLaunch(entrypoints, command, image, REDIS_LAUNCH, env);
}

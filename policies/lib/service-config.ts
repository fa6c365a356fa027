// The configuration a data-tier container will really run with: the uploaded config file named on
// its command line, overridden by command-line options, else the image's defaults. (PostgreSQL's
// is modelled in lib/postgres.)
import { containerArgv, longOptions, uploadTextAt } from "./containers";
import { parseRedisConf, redisCommandLineDirectives, redisSettings, type RedisSettings } from "./redis-conf";
import type { PropRecord } from "./values";

export interface RedisRuntimeConfig {
  readonly settings: RedisSettings;
  /** The config file path on the command line, if any. */
  readonly configFile?: string;
  /** Whether that file is among the uploads (else the image's file or none: defaults apply). */
  readonly configUploaded: boolean;
}

/**
 * redis-server argv: [redis-server] [config-file] [--option values…]. The official image prepends
 * redis-server when the first argument ends in ".conf" or starts with "-".
 */
export function redisRuntimeConfig(props: PropRecord): RedisRuntimeConfig {
  const argv = containerArgv(props);
  const server = argv.findIndex((a) => a === "redis-server" || a.endsWith("/redis-server"));
  const args = server >= 0 ? argv.slice(server + 1) : argv;
  const configFile = args.length > 0 && !args[0].startsWith("-") ? args[0] : undefined;
  const fileText = uploadTextAt(props, configFile);
  const directives = [
    ...parseRedisConf(fileText ?? ""),
    ...redisCommandLineDirectives(longOptions(configFile ? args.slice(1) : args)),
  ];
  return { settings: redisSettings(directives), configFile, configUploaded: fileText !== undefined };
}

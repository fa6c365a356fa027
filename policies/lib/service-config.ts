// The configuration a data-tier container will really run with: the uploaded config file named on
// its command line, overridden by command-line options, else the image's defaults. (Redis's is
// modelled in lib/redis.)
import { stringList, uploadTextAt } from "./containers";
import { parsePgHba, type HbaRecord } from "./pg-hba";
import { postgresCommandLineSettings, postgresSettings, type PostgresSettings } from "./postgresql-conf";
import type { PropRecord } from "./values";

export interface PostgresRuntimeConfig {
  readonly settings: PostgresSettings;
  /** Uploaded postgresql.conf path, when the command line names one (`-c config_file=`). */
  readonly configFile?: string;
  /** The uploaded pg_hba.conf's records; undefined when the image's default pg_hba.conf is used. */
  readonly hba?: readonly HbaRecord[];
}

/**
 * The server's own arguments: what follows `postgres` in the command, or the whole command when it
 * starts with an option (the official image then prepends `postgres`). An entrypoint wrapper such
 * as `sh -c '…' --` is not the server's argv and is not read.
 */
export function postgresArgv(props: PropRecord): string[] {
  const command = stringList(props.command);
  const server = command.findIndex((a) => a === "postgres" || a.endsWith("/postgres"));
  if (server >= 0) return command.slice(server + 1);
  return command.length > 0 && command[0].startsWith("-") ? command : [];
}

export function postgresRuntimeConfig(props: PropRecord): PostgresRuntimeConfig {
  const argv = postgresArgv(props);
  const configFile = postgresCommandLineSettings(argv).filter(([name]) => name === "config_file").pop()?.[1];
  const settings = postgresSettings(uploadTextAt(props, configFile), argv);
  const hbaText = uploadTextAt(props, settings.get("hba_file"));
  return { settings, configFile, hba: hbaText === undefined ? undefined : parsePgHba(hbaText) };
}

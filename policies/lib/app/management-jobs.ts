// The Django management command a one-shot container really runs, read from its launch (after the
// secrets loader and shell wrappers): which command, whether flags turn it into a no-op
// (migrate --plan/--check/--fake, collectstatic --dry-run) or to part of its work (migrate APP),
// and whether a shell script swallows its failure (`… || true`, `…; exit 0`), so the deployment
// never learns that it failed.
import { parseShell } from "../shell-words";
import { scriptAlwaysPasses } from "../docker/healthcheck";
import { secretsLoaderDir } from "../docker/launch";
import { containerRuntime, type ContainerResource } from "../docker/runtime";
import { manageIndex } from "./manage-words";

export interface ManagementJob {
  readonly command: string;
  /** Why the job changes nothing although it exits 0, if it does. */
  readonly noop?: string;
  /** Why its failure cannot fail the deployment, if it cannot. */
  readonly masked?: string;
  /** Why it does only part of its work (migrate for one app, or to a target migration), if it does. */
  readonly partial?: string;
}

const NOOP_FLAGS: Readonly<Record<string, readonly string[]>> = {
  migrate: ["--plan", "--check", "--fake"],
  collectstatic: ["--dry-run", "-n"],
};

/**
 * Options of `manage.py migrate` that take a value (django/core/management/commands/migrate.py
 * add_arguments, and BaseCommand's --settings, --pythonpath, -v): every other word that does not
 * start with "-" is one of its positionals, app_label then migration_name.
 */
const MIGRATE_VALUE_OPTIONS = new Set(["--database", "--settings", "--pythonpath", "-v", "--verbosity"]);

/**
 * `migrate app_label [migration_name]` applies only that app's migrations (and those they depend
 * on); with a migration name it moves the app to that migration, unapplying later ones. Only a bare
 * `migrate` brings every app of INSTALLED_APPS up to date.
 */
function migratePositionals(args: readonly string[]): string[] {
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (MIGRATE_VALUE_OPTIONS.has(arg)) { i++; continue; }
    if (!arg.startsWith("-")) positionals.push(arg);
  }
  return positionals;
}

/** The management job a container runs, if it runs one. */
export function managementJob(container: ContainerResource): ManagementJob | undefined {
  const runtime = containerRuntime(container);
  const argv = runtime.launch.argv;
  const words = argv.flatMap((a) => a.split(/\s+/));
  const at = manageIndex(words);
  if (at < 0 || words[at + 1] === undefined) return undefined;
  const command = words[at + 1]!;
  const args = words.slice(at + 2);
  const noopFlag = (NOOP_FLAGS[command] ?? []).find((flag) => args.some((a) => a === flag || a.startsWith(`${flag}=`)));
  // Scripts on the way (not the secrets loader) whose exit status cannot fail.
  const raw = [...(runtime.entrypoint ?? []), ...(runtime.command ?? [])];
  let masked: string | undefined;
  for (let i = 0; i < raw.length - 1; i++) {
    if (raw[i] !== "-c" || !/(^|\/)(ba|da)?sh$/.test(raw[i - 1] ?? "")) continue;
    const commands = parseShell(raw[i + 1]!, { positional: raw.slice(i + 3) });
    if (secretsLoaderDir(commands) !== undefined || manageIndex(commands.flatMap((c) => c.words.map((w) => w.text))) < 0) continue;
    masked = scriptAlwaysPasses(commands) ?? masked;
  }
  const [appLabel, migrationName] = command === "migrate" ? migratePositionals(args) : [];
  const partial = appLabel === undefined ? undefined
    : migrationName === undefined ? `migrate ${appLabel} applies only ${appLabel}'s migrations (and those they depend on), no other app's`
    : `migrate ${appLabel} ${migrationName} moves ${appLabel} to that migration (unapplying any later one) and migrates no other app`;
  return { command, noop: noopFlag && `${command} ${noopFlag} changes nothing`, masked, partial };
}

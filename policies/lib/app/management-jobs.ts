// The Django management command a one-shot container really runs, read from its launch (after the
// secrets loader and shell wrappers): which command, whether flags turn it into a no-op
// (migrate --plan/--check/--fake, collectstatic --dry-run) and whether a shell script swallows its
// failure (`… || true`, `…; exit 0`), so the deployment never learns that it failed.
import { parseShell } from "../shell-words";
import { scriptAlwaysPasses } from "../docker/healthcheck";
import { secretsLoaderDir } from "../docker/launch";
import { containerRuntime, type ContainerResource } from "../docker/runtime";

export interface ManagementJob {
  readonly command: string;
  /** Why the job changes nothing although it exits 0, if it does. */
  readonly noop?: string;
  /** Why its failure cannot fail the deployment, if it cannot. */
  readonly masked?: string;
}

const NOOP_FLAGS: Readonly<Record<string, readonly string[]>> = {
  migrate: ["--plan", "--check", "--fake"],
  collectstatic: ["--dry-run", "-n"],
};

const isManage = (word: string) => /(^|\/)manage\.py$/.test(word) || /(^|\/)django-admin(\.py)?$/.test(word);

/** The management job a container runs, if it runs one. */
export function managementJob(container: ContainerResource): ManagementJob | undefined {
  const runtime = containerRuntime(container);
  const argv = runtime.launch.argv;
  const words = argv.flatMap((a) => a.split(/\s+/));
  const at = words.findIndex(isManage);
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
    if (secretsLoaderDir(commands) !== undefined || !raw[i + 1]!.includes("manage.py") && !raw[i + 1]!.includes("django-admin")) continue;
    masked = scriptAlwaysPasses(commands) ?? masked;
  }
  return { command, noop: noopFlag && `${command} ${noopFlag} changes nothing`, masked };
}

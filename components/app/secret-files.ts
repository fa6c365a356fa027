// Credentials reach the app as files, not env entries: a secret env entry is unknown at preview as a
// WHOLE string, name included, so no policy could tell which settings the app gets. A file's path is
// known at preview while its content stays a Pulumi secret. The app still reads plain env vars: the
// entrypoint below exports each file as the variable of its name, then execs the real command.
// In-container the process can read its own env anyway; the gain is that credentials no longer show
// in `docker inspect` (Config.Env) or in the container's create request.

/** Docker's conventional secrets folder; policies recognise app credentials by this path. */
export const SECRETS_DIR = "/run/secrets";

/** argv[0] of the loader shell: names the process in `ps` and in the shell's own error messages. */
export const SECRETS_LOADER_NAME = "jewelry-secrets";

/** A POSIX shell variable name: the loader's `export` would abort the shell on anything else. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Paths interpolated into the script unquoted (the glob must expand): no shell metacharacters. */
const SAFE_DIR = /^\/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$/;

export const isEnvName = (name: string): boolean => ENV_NAME.test(name);

/**
 * The loader: every regular file in `dir` becomes `export NAME=<content>` (the command
 * substitution drops trailing newlines; quoting keeps spaces, quotes, `$` and `=` verbatim), then
 * `exec "$@"` replaces the shell with the container's command, argv untouched, so the command is
 * PID 1's child and gets signals directly.
 */
export function secretsLoaderScript(dir: string = SECRETS_DIR): string {
  if (!SAFE_DIR.test(dir) || dir.includes("..")) throw new Error(`secrets folder "${dir}" must be an absolute path of [A-Za-z0-9._/-]`);
  return `for f in ${dir}/*; do [ -f "$f" ] || continue; export "$(basename "$f")=$(cat "$f")"; done; exec "$@"`;
}

/** Container `entrypoints`: the loader; docker appends the container's `command` as "$@". */
export function secretsEntrypoint(dir: string = SECRETS_DIR): string[] {
  return ["/bin/sh", "-c", secretsLoaderScript(dir), SECRETS_LOADER_NAME];
}

/** A full argv that loads the secrets first, for processes docker starts without the entrypoint (healthchecks). */
export const withSecretsLoaded = (argv: readonly string[], dir: string = SECRETS_DIR): string[] => [...secretsEntrypoint(dir), ...argv];

/** Where the credential `name` is uploaded. */
export function secretFilePath(name: string, dir: string = SECRETS_DIR): string {
  if (!isEnvName(name)) throw new Error(`secret name "${name}" is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)`);
  return `${dir}/${name}`;
}

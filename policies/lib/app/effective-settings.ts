// The settings a Django app process really starts with, resolved the way they reach it:
//  1. Docker's env (Config.Env in the provider's set order, a repeated name keeping its last value);
//  2. the secrets loader, when the entrypoint runs it: every file of its folder (/run/secrets) is
//     exported as the variable of its name, replacing an env entry of that name ($(cat) drops the
//     trailing newlines); without the loader those files are just files;
//  3. the command line: `env K=V`, `K=V cmd` and `export K=V` in `sh -c` scripts, gunicorn's
//     `-e/--env K=V` (set in os.environ by the arbiter before any worker loads Django) and
//     manage.py/django-admin/`python -m django` `--settings=X` (Django sets DJANGO_SETTINGS_MODULE
//     from it before loading settings; the manage.py/wsgi.py `os.environ.setdefault` never
//     overrides a set value);
//  4. gunicorn's GUNICORN_CMD_ARGS, as the process receives it from 1–3: gunicorn shlex-splits it and
//     takes it as options (app/base.py load_config), so its `--env K=V` lands in os.environ like a
//     command-line one, unless the command line has --env of its own, whose list replaces it
//     (proved with Debian's gunicorn 20.1: DEBUG=False in the env plus GUNICORN_CMD_ARGS="--env
//     DEBUG=True" served DEBUG=True; with a command-line --env X=1 added, DEBUG stayed False).
import type { UnknownValueError } from "@pulumi/policy";
import { memoizedForInputs } from "../model-cache";
import { parseShell } from "../shell-words";
import { manageIndex } from "./manage-words";
import { containerRuntime, type ContainerResource, type ContainerRuntime } from "../docker/runtime";
import { isUnknownInput, list, rec, snapshotOf, snapshotText, str, type SnapshotRecord } from "../docker/snapshot";

export type SettingSource = "env" | "secret-file" | "command line";

export interface EffectiveSetting {
  /** The value the process sees; undefined when the preview cannot read it. */
  readonly value?: string;
  readonly source: SettingSource;
  /** Where exactly, for messages ("env", "/run/secrets/DEBUG", "gunicorn --env", "manage.py --settings"). */
  readonly where: string;
  /**
   * Every value the setting may take when its channel repeats it (an env name given twice: Docker
   * keeps the later in the provider's set order, which reordering the program does not change).
   */
  readonly candidates: readonly string[];
}

export interface EffectiveSettings {
  readonly get: (name: string) => EffectiveSetting | undefined;
  readonly names: () => string[];
  /** Entries unknown as a whole (env entries, uploads whose path is unknown): each may set any name. */
  readonly hidden: readonly UnknownValueError[];
  /** Folder the secrets loader exports, when the container's launch runs it. */
  readonly loaderDir?: string;
  /** The process after wrappers (gunicorn …, python manage.py …, celery …). */
  readonly argv: readonly string[];
}

/** gunicorn/uwsgi `-e/--env K=V` pairs among words. */
function serverEnvPairs(words: readonly string[]): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  for (let i = 0; i < words.length; i++) {
    const m = /^(?:-e|--env)(?:=(.*))?$/.exec(words[i]!);
    const pair = m ? (m[1] ?? words[i + 1] ?? "") : undefined;
    const eq = pair?.indexOf("=") ?? -1;
    if (pair !== undefined && eq > 0) found.push([pair.slice(0, eq), pair.slice(eq + 1)]);
  }
  return found;
}

/** The words of GUNICORN_CMD_ARGS as shlex.split gives them (quotes removed, nothing expanded). */
const cmdArgsWords = (value: string): string[] => parseShell(value).flatMap((c) => c.words.map((w) => w.text));

/** Values given on the command line of the final process: gunicorn/uwsgi --env, manage.py --settings. */
function commandLineSettings(argv: readonly string[], gunicornCmdArgs: string | undefined): Array<[string, string, string]> {
  const found: Array<[string, string, string]> = [];
  const program = (argv[0] ?? "").split("/").pop() ?? "";
  const manage = manageIndex(argv);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (manage >= 0 && i > manage) {
      const m = /^--settings(?:=(.*))?$/.exec(arg);
      if (m) found.push(["DJANGO_SETTINGS_MODULE", m[1] ?? argv[i + 1] ?? "", `${["django", "-mdjango"].includes(argv[manage]!) ? "python -m django" : argv[manage]!.split("/").pop()} --settings`]);
    }
  }
  if (program === "gunicorn" || program === "uwsgi") {
    const onCommandLine = serverEnvPairs(argv);
    for (const [name, value] of onCommandLine) found.push([name, value, `${program} --env`]);
    // A command-line --env replaces GUNICORN_CMD_ARGS' list as a whole (cfg.set of raw_env).
    if (program === "gunicorn" && onCommandLine.length === 0 && gunicornCmdArgs !== undefined) {
      for (const [name, value] of serverEnvPairs(cmdArgsWords(gunicornCmdArgs))) found.push([name, value, "GUNICORN_CMD_ARGS --env"]);
    }
  }
  return found;
}

function secretFiles(p: SnapshotRecord, dir: string): { files: Map<string, Array<string | undefined>>; hidden: UnknownValueError[] } {
  const files = new Map<string, Array<string | undefined>>();
  const hidden: UnknownValueError[] = [];
  const uploads = p.uploads;
  if (isUnknownInput(uploads)) return { files, hidden: [uploads.error] };
  for (const entry of list(uploads)) {
    if (isUnknownInput(entry)) { hidden.push(entry.error); continue; }
    const upload = rec(entry) ?? {};
    if (isUnknownInput(upload.file)) { hidden.push(upload.file.error); continue; }
    const file = str(upload.file) ?? "";
    if (!file.startsWith(`${dir}/`) || file.slice(dir.length + 1).includes("/")) continue;
    const name = file.slice(dir.length + 1);
    const raw = isUnknownInput(upload.content) ? undefined : str(upload.content) ?? decodeBase64(upload.contentBase64);
    // The loader reads the file with $(cat "$f"): command substitution drops trailing newlines.
    const content = isUnknownInput(upload.content) || isUnknownInput(upload.contentBase64) ? undefined : (raw ?? "").replace(/\n+$/, "");
    files.set(name, [...(files.get(name) ?? []), content]);
  }
  return { files, hidden };
}

const decodeBase64 = (value: unknown): string | undefined => (typeof value === "string" ? Buffer.from(value, "base64").toString("utf8") : undefined);

function build(runtime: ContainerRuntime, p: SnapshotRecord): EffectiveSettings {
  const settings = new Map<string, EffectiveSetting>();
  for (const [name, value] of runtime.env.values) {
    settings.set(name, { value, source: "env", where: "env", candidates: runtime.env.repeated.get(name) ?? [value] });
  }
  const hidden: UnknownValueError[] = runtime.env.unknown.map((u) => u.error);
  const dir = runtime.launch.secretsDir;
  if (dir !== undefined) {
    const loaded = secretFiles(p, dir);
    hidden.push(...loaded.hidden);
    for (const [name, contents] of loaded.files) {
      const knownContents = contents.filter((c): c is string => c !== undefined);
      settings.set(name, { value: contents.length === 1 ? contents[0] : undefined, source: "secret-file", where: `${dir}/${name}`, candidates: knownContents });
    }
  }
  for (const [name, value] of runtime.launch.env) settings.set(name, { value, source: "command line", where: "the command's shell", candidates: [value] });
  const cmdArgs = settings.get("GUNICORN_CMD_ARGS")?.value;
  for (const [name, value, where] of commandLineSettings(runtime.launch.argv, cmdArgs)) settings.set(name, { value, source: "command line", where, candidates: [value] });
  return { get: (name) => settings.get(name), names: () => [...settings.keys()], hidden, loaderDir: dir, argv: runtime.launch.argv };
}

/** The container's effective app settings, built once per distinct inputs. */
export function effectiveSettings(container: ContainerResource): EffectiveSettings {
  const p = snapshotOf(container.props);
  return memoizedForInputs("app-settings", container.urn, p, () => p, (inputs) => `${container.urn}\u0000${snapshotText(inputs)}`, (inputs) => build(containerRuntime(container), inputs));
}

// How a container's process is really started: Docker runs entrypoint + command (a container
// `entrypoints` input replaces the image's ENTRYPOINT and drops its CMD), and wrappers on the way
// change what finally runs: `sh -c` scripts (with "$@" as the command), `env K=V`, `export`,
// user switches (gosu, su-exec, setpriv, runuser, chroot --userspec), init shims, the image's own
// entrypoint (which may drop privileges) and the stack's secrets loader (every file of a folder
// exported as the variable of its name). Followed here the way the shell and those tools do.
import { parseShell, spreadArgs, type SimpleCommand } from "../shell-words";
import type { ImageFacts } from "./images";

export interface Launch {
  /** What finally runs (after every wrapper); empty when the inputs do not say (image CMD). */
  readonly argv: readonly string[];
  /** Variables set on the way, in the order they take effect. */
  readonly env: ReadonlyArray<readonly [string, string]>;
  /** Users switched to on the way (the last one runs the program). */
  readonly switches: readonly string[];
  /** Folder of the secrets loader, when it ran: its files become variables. */
  readonly secretsDir?: string;
  /** Whether the image's entrypoint ran and dropped privileges (for a root start). */
  readonly imageDrop?: string;
  /** A word the pack cannot resolve ($(…), unknown variables) decided the path. */
  readonly opaque: boolean;
}

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;
const SHELLS = new Set(["sh", "bash", "dash", "ash", "zsh"]);
const INIT_SHIMS = new Set(["tini", "dumb-init", "docker-init", "catatonit"]);
const base = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/** The folder a secrets-loader script exports: `for f in DIR/*; … export "$(basename "$f")=$(cat "$f")" …`. */
export function secretsLoaderDir(commands: readonly SimpleCommand[]): string | undefined {
  for (let i = 0; i < commands.length; i++) {
    const words = commands[i]!.words.map((w) => w.text);
    if (words[0] !== "for" || words[2] !== "in" || !words[3]?.endsWith("/*")) continue;
    const variable = words[1]!;
    const exportsFiles = commands.slice(i + 1).some((c) =>
      c.words[0]?.text === "export" && c.words.slice(1).some((w) => w.text === `$(basename $${variable})=$(cat $${variable})`));
    if (exportsFiles) return words[3]!.slice(0, -2);
  }
  return undefined;
}

interface Step {
  argv: string[];
  env: Array<readonly [string, string]>;
  switches: string[];
  secretsDir?: string;
  imageDrop?: string;
  opaque: boolean;
}

/** The command a script runs last (its `exec`, else its last command), with assignments and exports on the way. */
function followScript(script: string, positional: readonly string[], step: Step): string[] {
  const commands = parseShell(script, { positional });
  const loader = secretsLoaderDir(commands);
  if (loader !== undefined) step.secretsDir = loader;
  let last: string[] = [];
  for (const command of commands) {
    const words = spreadArgs(command.words, positional);
    if (words.some((w) => w.dynamic) && loader === undefined) step.opaque = true;
    const texts = words.map((w) => w.text);
    if (texts[0] === "export") {
      for (const word of texts.slice(1)) {
        const m = ASSIGNMENT.exec(word);
        if (m) step.env.push([m[1]!, m[2]!]);
      }
      continue;
    }
    // Loop syntax, tests and status-only commands (true, exit …) are not the program the script runs.
    if (["for", "do", "done", "continue", "[", "test", "true", ":", "exit", "echo", "printf"].includes(texts[0] ?? "")) continue;
    last = texts;
    if (texts.includes("exec")) break;
  }
  return last;
}

/** Follows wrappers from `argv` to the program that finally runs. */
export function followLaunch(entrypoint: readonly string[] | undefined, command: readonly string[] | undefined, image: ImageFacts): Launch {
  const step: Step = { argv: [], env: [], switches: [], opaque: false };
  // Without an entrypoint input the image's own runs (for the images the pack knows).
  let argv = [...(entrypoint ?? (image.drop ? [image.drop.entrypoint] : [])), ...(command ?? [])];
  for (let hops = 0; hops < 16 && argv.length > 0; hops++) {
    const program = base(argv[0]!);
    const rest = argv.slice(1);
    // Leading assignments (`K=V cmd`) and `exec` come from scripts.
    const assignment = ASSIGNMENT.exec(argv[0]!);
    if (assignment) {
      step.env.push([assignment[1]!, assignment[2]!]);
      argv = rest;
    } else if (program === "exec" || INIT_SHIMS.has(program) || program === "--") {
      argv = rest[0] === "--" ? rest.slice(1) : rest;
    } else if (SHELLS.has(program) && rest[0] === "-c" && rest[1] !== undefined) {
      // sh -c SCRIPT [$0 [$1 …]]
      argv = followScript(rest[1], rest.slice(3), step);
    } else if (program === "env") {
      let i = 0;
      while (i < rest.length && (rest[i]!.startsWith("-") || ASSIGNMENT.test(rest[i]!))) {
        const m = ASSIGNMENT.exec(rest[i]!);
        if (m) step.env.push([m[1]!, m[2]!]);
        i++;
      }
      argv = rest.slice(i);
    } else if (program === "gosu" || program === "su-exec") {
      if (rest[0] !== undefined) step.switches.push(rest[0]);
      argv = rest.slice(1);
    } else if (program === "setpriv" || program === "runuser" || program === "chroot") {
      const { user, tail } = switchOf(program, rest);
      if (user !== undefined) step.switches.push(user);
      argv = tail;
    } else if (image.drop && program === base(image.drop.entrypoint)) {
      if (image.drop.dropsFor(rest)) step.imageDrop = image.drop.toUser;
      step.argv = rest;
      argv = [];
      break;
    } else break;
  }
  return { argv: argv.length > 0 ? argv : step.argv, env: step.env, switches: step.switches, secretsDir: step.secretsDir, imageDrop: step.imageDrop, opaque: step.opaque };
}

/** setpriv --reuid=U …, runuser -u U -- …, chroot --userspec=U:G ROOT …: the user and the command. */
function switchOf(program: string, args: readonly string[]): { user?: string; tail: string[] } {
  let user: string | undefined;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") { i++; break; }
    const eq = /^--(reuid|userspec|user)=(.+)$/.exec(arg);
    if (eq) { user = eq[2]!.split(":")[0]; continue; }
    if (["-u", "--user", "--reuid", "--userspec"].includes(arg)) { user = args[++i]?.split(":")[0]; continue; }
    if (arg.startsWith("-")) continue;
    break;
  }
  // chroot takes the new root before the command.
  const tail = program === "chroot" ? args.slice(i + 1) : args.slice(i);
  return { user, tail };
}

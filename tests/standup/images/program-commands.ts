// Which programs a container will start: from its entrypoint and command (as Docker combines them)
// and from its healthcheck, including the commands inside `sh -c` scripts. The image-build test
// asks each local image for every one of them, so an image that lacks what the program calls
// fails before the stand-up, with the program's name.

/** Shell words that are not programs: keywords and the builtins of sh/bash the program's scripts use. */
const NOT_PROGRAMS = new Set([
  "if", "then", "else", "elif", "fi", "for", "in", "do", "done", "while", "until", "case", "esac", "!", "{", "}",
  "exit", "kill", "set", "export", "echo", "true", "false", ":", "[", "test", "cd", "wait", "read", "continue",
  "break", "return", "shift", "unset", "trap", "printf", "local", ".", "source", "umask", ")",
]);

/** Programs that run their remaining arguments as a command: argv index where that command starts. */
const RUNS_ITS_ARGUMENTS: Readonly<Record<string, (argv: readonly string[]) => number>> = {
  gosu: () => 2,
  "docker-entrypoint.sh": () => 1,
  "/docker-entrypoint.sh": () => 1,
  "/entrypoint.sh": () => 1,
  "/usr/local/bin/docker-entrypoint.sh": () => 1,
};

const SHELLS = new Set(["sh", "bash", "/bin/sh", "/bin/bash", "/usr/bin/sh", "/usr/bin/bash"]);

const unquote = (word: string) => word.replace(/^["']|["']$/g, "");

/** Splits a script into simple commands at newlines, `;`, `&&`, `||`, `|` and `&`, outside quotes. */
export function splitCommands(script: string): string[] {
  const commands: string[] = [];
  let current = "";
  let quote: string | undefined;
  const flush = () => { commands.push(current); current = ""; };
  for (let i = 0; i < script.length; i++) {
    const c = script[i];
    if (quote) {
      current += c;
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
      current += c;
    } else if (c === "\n" || c === ";") {
      flush();
    } else if (c === "|") {
      flush();
      if (script[i + 1] === "|") i++;
    } else if (c === "&" && (script[i - 1] === ">" || script[i - 1] === "<" || script[i + 1] === ">")) {
      current += c; // a redirection: 2>&1, &>file
    } else if (c === "&") {
      flush();
      if (script[i + 1] === "&") i++;
    } else {
      current += c;
    }
  }
  flush();
  return commands.map((command) => command.trim()).filter(Boolean);
}

/** The programs a shell script starts (first word of each simple command, recursing into $(…)). */
export function shellCommands(script: string): string[] {
  const found: string[] = [];
  let rest = script;
  // Command substitutions are scripts of their own.
  for (let match = /\$\(([^()]*)\)/.exec(rest); match; match = /\$\(([^()]*)\)/.exec(rest)) {
    found.push(...shellCommands(match[1]));
    rest = rest.slice(0, match.index) + "SUBST" + rest.slice(match.index + match[0].length);
  }
  for (const command of splitCommands(rest)) {
    const words = command.replace(/^[({]\s*/, "").split(/\s+/).map(unquote).filter(Boolean);
    if (words[0] === "for" || words[0] === "case") continue;
    let i = 0;
    while (i < words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]) || ["if", "then", "else", "elif", "while", "until", "do", "!", "exec"].includes(words[i]))) i++;
    if (i < words.length) found.push(...commandPrograms(words.slice(i), false));
  }
  return found.filter((word) => !NOT_PROGRAMS.has(word) && !word.startsWith("$") && word !== "SUBST" && !/^[0-9]*[<>]/.test(word));
}

function commandPrograms(argv: readonly string[], expandArgs: boolean): string[] {
  const [program, ...args] = argv;
  if (!program || program.startsWith("-")) return [];
  if (SHELLS.has(program) && args[0] === "-c" && args[1] !== undefined) {
    // sh -c SCRIPT [$0 [$1 …]]: the script, then "$@" when it runs its arguments.
    const runsArguments = expandArgs && /"\$@"/.test(args[1]);
    return [program, ...shellCommands(args[1]), ...(runsArguments ? commandPrograms(args.slice(3), true) : [])];
  }
  const start = RUNS_ITS_ARGUMENTS[program]?.(argv);
  return [program, ...(start !== undefined ? commandPrograms(argv.slice(start), expandArgs) : [])];
}

/** The argv Docker starts: a declared entrypoint replaces the image's and drops the image's CMD. */
export function effectiveArgv(image: { entrypoint: readonly string[] | null; cmd: readonly string[] | null },
  declared: { entrypoint?: readonly string[]; command?: readonly string[] }): string[] {
  const entrypoint = declared.entrypoint ?? image.entrypoint ?? [];
  const command = declared.command ?? (declared.entrypoint ? [] : image.cmd ?? []);
  return [...entrypoint, ...command];
}

/** The programs a container's main process and its healthcheck start. */
export function containerPrograms(argv: readonly string[], healthcheck: readonly string[] | undefined): string[] {
  const programs = commandPrograms(argv, true);
  if (healthcheck?.[0] === "CMD") programs.push(...commandPrograms(healthcheck.slice(1), true));
  if (healthcheck?.[0] === "CMD-SHELL" && healthcheck[1]) programs.push("sh", ...shellCommands(healthcheck[1]));
  return [...new Set(programs)];
}

// Just enough of the POSIX shell to follow a command line the way sh runs it: words with '…', "…"
// and \ quoting, simple commands separated by ; && || | and newlines, and `$@`, `$1`, `$NAME`
// expansions from given values. Command substitution, globbing and the like are not evaluated: a
// word that uses them is kept verbatim and marked, so a caller can treat it as unknown.

export interface ShellWord {
  /** The word after quote removal and the expansions the caller could resolve. */
  readonly text: string;
  /** The word was exactly "$@" (or $@): it expands to the positional parameters, one word each. */
  readonly allArgs?: boolean;
  /** It holds an expansion that was not resolved ($(...), `...`, an unknown $VAR). */
  readonly dynamic?: boolean;
}

export interface SimpleCommand {
  readonly words: readonly ShellWord[];
  /** The operator that follows it (";" for the last one). */
  readonly next: ";" | "&&" | "||" | "|" | "&";
}

export interface ShellScope {
  /** $1, $2, …: positional parameters. */
  readonly positional?: readonly string[];
  /** Variables known to hold a value. */
  readonly variables?: ReadonlyMap<string, string>;
}

/** Splits a script into simple commands and words, expanding what `scope` resolves. */
export function parseShell(script: string, scope: ShellScope = {}): SimpleCommand[] {
  const commands: SimpleCommand[] = [];
  let words: ShellWord[] = [];
  let text = "";
  let inWord = false;
  let dynamic = false;
  let allArgs = false;
  let i = 0;
  const endWord = () => {
    if (inWord) words.push({ text, ...(allArgs ? { allArgs } : {}), ...(dynamic ? { dynamic } : {}) });
    text = "";
    inWord = false;
    dynamic = false;
    allArgs = false;
  };
  const endCommand = (next: SimpleCommand["next"]) => {
    endWord();
    if (words.length > 0) commands.push({ words, next });
    words = [];
  };
  /** Expands a $ at s[j]; returns the index after it. */
  const expand = (s: string, j: number, quoted: boolean): number => {
    const rest = s.slice(j + 1);
    let m: RegExpExecArray | null;
    if ((m = /^\{([A-Za-z_][A-Za-z0-9_]*|\d+)(?::?[-=+?][^}]*)?\}/.exec(rest)) || (m = /^([A-Za-z_][A-Za-z0-9_]*|\d)/.exec(rest))) {
      const name = m[1]!;
      const value = /^\d+$/.test(name) ? scope.positional?.[Number(name) - 1] : scope.variables?.get(name);
      if (value === undefined) {
        dynamic = true;
        text += m[0] === rest.slice(0, m[0].length) ? `$${m[0]}` : "";
      } else text += value;
      return j + 1 + m[0].length;
    }
    if (rest.startsWith("@") || rest.startsWith("*")) {
      if (quoted && text === "" && s[j + 2] === '"') allArgs = true;
      else if (!quoted) allArgs = true;
      text += (scope.positional ?? []).join(" ");
      return j + 2;
    }
    if (rest.startsWith("(")) dynamic = true;
    text += "$";
    return j + 1;
  };
  while (i < script.length) {
    const c = script[i]!;
    if (c === "\\" && script[i + 1] === "\n") { i += 2; continue; }
    if (c === "#" && !inWord) {
      while (i < script.length && script[i] !== "\n") i++;
      continue;
    }
    if (c === " " || c === "\t") { endWord(); i++; continue; }
    if (c === "\n" || c === ";") { endCommand(";"); i++; continue; }
    if (c === "&" || c === "|") {
      const two = script.slice(i, i + 2);
      if (two === "&&" || two === "||") { endCommand(two); i += 2; continue; }
      endCommand(c === "&" ? "&" : "|");
      i++;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = script.indexOf("'", i + 1);
      text += script.slice(i + 1, end < 0 ? undefined : end);
      i = end < 0 ? script.length : end + 1;
    } else if (c === '"') {
      i++;
      while (i < script.length && script[i] !== '"') {
        if (script[i] === "\\" && /["\\$`]/.test(script[i + 1] ?? "")) { text += script[i + 1]; i += 2; }
        else if (script[i] === "$") i = expand(script, i, true);
        else if (script[i] === "`") { dynamic = true; text += "`"; i++; }
        else text += script[i++];
      }
      i++;
    } else if (c === "\\") {
      text += script[i + 1] ?? "";
      i += 2;
    } else if (c === "$") i = expand(script, i, false);
    else if (c === "`") { dynamic = true; text += c; i++; }
    else { text += c; i++; }
  }
  endCommand(";");
  return commands;
}

/** A command's words with "$@" spread into the positional parameters. */
export function spreadArgs(words: readonly ShellWord[], positional: readonly string[]): ShellWord[] {
  return words.flatMap((w) => (w.allArgs ? positional.map((text) => ({ text })) : [w]));
}

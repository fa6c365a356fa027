// One postgresql.conf file read the way PostgreSQL's scanner reads it (guc-file.l): per line an
// option name, an optional "=", ONE value token, then end of line or a # comment. Value tokens are
// flex's longest match: a '…' string ('' or \ escapes), an integer with unit letters ("300s"), a
// real ("0.9", never with a unit: "1.5s" is a syntax error), an identifier, or an unquoted string
// that starts with a letter ("scram-sha-256", "TLSv1.2"; never a path: "/x" is an error). Anything
// else makes the whole file invalid, and PostgreSQL then refuses to start.

export interface ConfLine {
  /** Lower-cased option name, or the directive include / include_if_exists / include_dir. */
  readonly name: string;
  /** The value with quotes and escapes removed. */
  readonly value: string;
  readonly line: number;
}

export interface ConfSyntaxError {
  readonly line: number;
  readonly message: string;
}

export interface ParsedConfFile {
  readonly lines: readonly ConfLine[];
  readonly errors: readonly ConfSyntaxError[];
}

type TokenKind = "id" | "qualified-id" | "string" | "unquoted" | "integer" | "real" | "equals" | "error";

// Flex rules in declaration order: the longest match wins, the earlier rule breaks a tie.
const LETTER = "[A-Za-z_\\x80-\\xff]";
const LETTER_OR_DIGIT = "[A-Za-z_0-9\\x80-\\xff]";
const ID = `${LETTER}${LETTER_OR_DIGIT}*`;
const RULES: ReadonlyArray<readonly [TokenKind, RegExp]> = [
  ["id", new RegExp(`^${ID}`)],
  ["qualified-id", new RegExp(`^${ID}\\.${ID}`)],
  ["string", /^'(?:[^'\\\n]|\\.|'')*'/],
  ["unquoted", new RegExp(`^${LETTER}(?:${LETTER_OR_DIGIT}|[-._:/])*`)],
  ["integer", /^[-+]?(?:0x[0-9a-fA-F]+|\d+)[a-zA-Z]*/],
  ["real", /^[-+]?\d*\.\d*(?:[Ee][-+]?\d+)?/],
  ["equals", /^=/],
];

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
}

/** The tokens of one line, comments and blanks dropped. */
function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let rest = line;
  for (;;) {
    rest = rest.replace(/^[ \t\r]+/, "");
    if (rest === "" || rest.startsWith("#")) return tokens;
    let best: Token | undefined;
    for (const [kind, rule] of RULES) {
      const match = rule.exec(rest);
      if (match && match[0].length > 0 && match[0].length > (best?.text.length ?? 0)) best = { kind, text: match[0] };
    }
    const token = best ?? { kind: "error" as const, text: rest[0]! };
    tokens.push(token);
    rest = rest.slice(token.text.length);
  }
}

/** A '…' token's value: '' and \' are quotes, \b \f \n \r \t and \ooo octal escapes, \x is x. */
export function unquoteConfString(token: string): string {
  const body = token.slice(1, -1);
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === "'" && body[i + 1] === "'") {
      out += "'";
      i++;
    } else if (c === "\\" && i + 1 < body.length) {
      const next = body[++i]!;
      const simple: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
      if (simple[next] !== undefined) out += simple[next];
      else if (/[0-7]/.test(next)) {
        let octal = next;
        while (octal.length < 3 && /[0-7]/.test(body[i + 1] ?? "")) octal += body[++i];
        out += String.fromCharCode(parseInt(octal, 8));
      } else out += next;
    } else out += c;
  }
  return out;
}

const VALUE_KINDS: ReadonlySet<TokenKind> = new Set(["id", "string", "integer", "real", "unquoted"]);

/** Every setting and include directive of one file, in order, with the lines PostgreSQL rejects. */
export function parseConfFile(text: string): ParsedConfFile {
  const lines: ConfLine[] = [];
  const errors: ConfSyntaxError[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    const tokens = tokenize(raw);
    if (tokens.length === 0) return;
    const [name, ...rest] = tokens;
    const value = rest[0]?.kind === "equals" ? rest[1] : rest[0];
    const after = rest[0]?.kind === "equals" ? rest.slice(2) : rest.slice(1);
    if ((name!.kind !== "id" && name!.kind !== "qualified-id") || value === undefined || !VALUE_KINDS.has(value.kind) || after.length > 0) {
      const near = after[0] ?? value ?? name!;
      errors.push({ line, message: `syntax error near token "${near.text}"` });
      return;
    }
    lines.push({ name: name!.text.toLowerCase(), value: value.kind === "string" ? unquoteConfString(value.text) : value.text, line });
  });
  return { lines, errors };
}

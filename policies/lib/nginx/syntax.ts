// nginx's configuration syntax as ngx_conf_read_token reads it: words, "…" and '…' strings with their
// escapes, `#` comments at the start of a word, `${var}` braces that open no block, `;` and blocks.
// Every directive keeps the file and line it came from, so a finding can point at it.

export interface NginxDirective {
  readonly name: string;
  /** Arguments, quotes removed and escapes resolved as nginx does. */
  readonly args: readonly string[];
  /** Present for block directives (`server { … }`), absent for simple ones (`gzip on;`). */
  readonly block?: readonly NginxDirective[];
  readonly file: string;
  readonly line: number;
}

export class NginxSyntaxError extends Error {
  constructor(readonly file: string, readonly line: number, message: string) {
    super(`${message} in ${file}:${line}`);
  }
}

type Token = { readonly kind: "word"; readonly text: string; readonly line: number } | { readonly kind: ";" | "{" | "}"; readonly line: number };

/** Resolves the escapes nginx resolves in a word: \" \' \\ and \t \r \n; other backslashes stay. */
function unescape(raw: string): string {
  return raw.replace(/\\(["'\\trn])/g, (_, c: string) => ({ t: "\t", r: "\r", n: "\n" })[c] ?? c);
}

function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  const isSpace = (c: string) => c === " " || c === "\t" || c === "\r" || c === "\n";
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\n") line++;
    if (isSpace(c)) { i++; continue; }
    if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    if (c === ";" || c === "{" || c === "}") {
      tokens.push({ kind: c, line });
      i++;
      continue;
    }
    const start = line;
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) {
        if (text[j] === "\\") j++;
        if (text[j] === "\n") line++;
        j++;
      }
      if (j >= text.length) throw new NginxSyntaxError(file, start, "unexpected end of file, expecting closing quote");
      tokens.push({ kind: "word", text: unescape(text.slice(i + 1, j)), line: start });
      i = j + 1;
      const next = text[i];
      if (next !== undefined && !isSpace(next) && next !== ";" && next !== "{" && next !== ")") {
        throw new NginxSyntaxError(file, line, `unexpected "${next}"`);
      }
      continue;
    }
    let j = i;
    while (j < text.length) {
      const d = text[j]!;
      if (d === "\\") { j += 2; continue; }
      // `${name}` is a variable, not a block.
      if (d === "{" && text[j - 1] === "$") {
        while (j < text.length && text[j] !== "}") j++;
        j++;
        continue;
      }
      if (isSpace(d) || d === ";" || d === "{" || d === "}") break;
      j++;
    }
    tokens.push({ kind: "word", text: unescape(text.slice(i, j)), line: start });
    i = j;
  }
  return tokens;
}

/** Parses one file's text; throws NginxSyntaxError as `nginx -t` would refuse it. */
export function parseNginxText(text: string, file: string): NginxDirective[] {
  const tokens = tokenize(text, file);
  let pos = 0;
  const parseBlock = (openedAt: number | undefined): NginxDirective[] => {
    const out: NginxDirective[] = [];
    while (pos < tokens.length) {
      const token = tokens[pos++]!;
      if (token.kind === "}") {
        if (openedAt === undefined) throw new NginxSyntaxError(file, token.line, 'unexpected "}"');
        return out;
      }
      if (token.kind !== "word") throw new NginxSyntaxError(file, token.line, `unexpected "${token.kind}"`);
      const args: string[] = [];
      while (pos < tokens.length && tokens[pos]!.kind === "word") args.push((tokens[pos++] as { text: string }).text);
      const end = tokens[pos++];
      if (end?.kind === ";") out.push({ name: token.text, args, file, line: token.line });
      else if (end?.kind === "{") out.push({ name: token.text, args, block: parseBlock(token.line), file, line: token.line });
      else throw new NginxSyntaxError(file, end?.line ?? token.line, `directive "${token.text}" is not terminated by ";"`);
    }
    if (openedAt !== undefined) throw new NginxSyntaxError(file, openedAt, 'unexpected end of file, expecting "}"');
    return out;
  };
  return parseBlock(undefined);
}

// redis.conf's lexical rules, ported from Redis's sds.c (sdssplitargs) and config.c: lines split on
// "\n", trimmed, "#" lines and blank lines skipped; words split on blanks with "…" (C escapes and \xHH)
// and '…' (only \' escaped) quoting, where a closing quote must end the word; the directive name is
// case-insensitive. A line sdssplitargs rejects makes redis-server exit with "Unbalanced quotes".

export interface ConfigLine {
  /** 1-based line number in the text it was read from. */
  readonly line: number;
  /** Lower-cased directive name. */
  readonly name: string;
  readonly args: readonly string[];
  /** The trimmed source line, for messages. */
  readonly text: string;
}

const isSpace = (c: string | undefined): boolean => c !== undefined && /[ \n\r\t\f\v]/.test(c);
const isHex = (c: string | undefined): boolean => c !== undefined && /[0-9a-fA-F]/.test(c);
const ESCAPES: Readonly<Record<string, string>> = { n: "\n", r: "\r", t: "\t", b: "\b", a: "\x07" };

/** sdssplitargs: the words of a line, or undefined where Redis reports unbalanced quotes. */
export function splitArgs(line: string): string[] | undefined {
  const words: string[] = [];
  let p = 0;
  for (;;) {
    while (isSpace(line[p])) p++;
    if (p >= line.length) return words;
    let inDouble = false;
    let inSingle = false;
    let current = "";
    for (let done = false; !done; ) {
      const c = line[p];
      if (inDouble) {
        if (c === "\\" && line[p + 1] === "x" && isHex(line[p + 2]) && isHex(line[p + 3])) {
          current += String.fromCharCode(parseInt(line.slice(p + 2, p + 4), 16));
          p += 3;
        } else if (c === "\\" && p + 1 < line.length) {
          p++;
          current += ESCAPES[line[p]!] ?? line[p];
        } else if (c === '"') {
          if (p + 1 < line.length && !isSpace(line[p + 1])) return undefined;
          done = true;
        } else if (c === undefined) {
          return undefined;
        } else current += c;
      } else if (inSingle) {
        if (c === "\\" && line[p + 1] === "'") {
          p++;
          current += "'";
        } else if (c === "'") {
          if (p + 1 < line.length && !isSpace(line[p + 1])) return undefined;
          done = true;
        } else if (c === undefined) {
          return undefined;
        } else current += c;
      } else if (c === undefined || isSpace(c)) {
        done = true;
      } else if (c === '"') inDouble = true;
      else if (c === "'") inSingle = true;
      else current += c;
      if (p < line.length) p++;
    }
    words.push(current);
  }
}

/** sdscatrepr: how redis-server quotes a command-line argument when it turns it into a config line. */
export function quoteArg(arg: string): string {
  let out = '"';
  for (const c of arg) {
    if (c === "\\" || c === '"') out += `\\${c}`;
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else if (c === "\x07") out += "\\a";
    else if (c === "\b") out += "\\b";
    else if (c < " " || c === "\x7f") out += `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
    else out += c;
  }
  return `${out}"`;
}

export type ParsedLine = ConfigLine | { readonly line: number; readonly text: string; readonly error: string };

/** The directive lines of a config text, as loadServerConfigFromString reads them. */
export function configLines(text: string): ParsedLine[] {
  const out: ParsedLine[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
    if (line === "" || line.startsWith("#")) return;
    const words = splitArgs(line);
    if (words === undefined) {
      out.push({ line: index + 1, text: line, error: "Unbalanced quotes in configuration line" });
      return;
    }
    if (words.length === 0) return;
    out.push({ line: index + 1, text: line, name: words[0]!.toLowerCase(), args: words.slice(1) });
  });
  return out;
}

// A URI a regex location answers, so rules can send "a request that reaches this location" through
// the same matching nginx does (an earlier regex or a ^~ prefix may still take it). Covers the PCRE
// people write in location blocks: literals, escapes, classes, groups with alternatives, quantifiers.

function generate(source: string): string | undefined {
  let pos = 0;
  const alternative = (): string | undefined => {
    let out = "";
    while (pos < source.length) {
      const c = source[pos]!;
      if (c === "|" || c === ")") return out;
      let atom: string | undefined;
      if (c === "^") { pos++; continue; }
      if (c === "$") { pos++; continue; }
      if (c === "\\") {
        const e = source[pos + 1] ?? "";
        atom = e === "d" ? "1" : e === "w" ? "a" : e === "s" ? "-" : /[DWS]/.test(e) ? "_" : e;
        pos += 2;
      } else if (c === ".") { atom = "a"; pos++; }
      else if (c === "[") {
        const end = source.indexOf("]", pos + 2);
        if (end < 0) return undefined;
        const body = source.slice(pos + 1, end);
        pos = end + 1;
        if (body.startsWith("^")) {
          const excluded = body.slice(1);
          atom = [..."a1-_"].find((ch) => !excluded.includes(ch)) ?? "z";
        } else atom = body[0] === "\\" ? body[1] : body[0];
      } else if (c === "(") {
        pos++;
        const modifier = /^\?(:|P?<\w+>|[imsx-]+\))/.exec(source.slice(pos));
        if (modifier) {
          pos += modifier[0].length;
          if (modifier[0].endsWith(")") && modifier[1] !== ":" && !modifier[1]!.includes("<")) continue;
        }
        const first = alternative();
        while (source[pos] === "|") { pos++; alternative(); }
        if (source[pos] !== ")" || first === undefined) return undefined;
        pos++;
        atom = first;
      } else { atom = c; pos++; }
      if (atom === undefined) return undefined;
      const q = /^(\?|\*|\+|\{(\d+)(?:,\d*)?\})\??/.exec(source.slice(pos));
      if (q) {
        pos += q[0].length;
        const times = q[1] === "?" || q[1] === "*" ? 0 : q[1] === "+" ? 1 : Number(q[2]);
        atom = atom.repeat(times);
      }
      out += atom;
    }
    return out;
  };
  const first = alternative();
  return first;
}

/** A normalised URI that `regex` matches (tried as is, after "/" and under "/probe/"), or undefined. */
export function regexWitness(regex: RegExp): string | undefined {
  const core = generate(regex.source);
  if (core === undefined) return undefined;
  return [core, `/${core}`, `/probe/${core}`, `/probe/${core.replace(/^\//, "")}`].find((c) => c.startsWith("/") && regex.test(c));
}

// A generic nginx.conf reader for policies: directives and blocks, quotes and comments, no includes.
// Policies judge the file a container receives, whoever rendered it, so this knows no renderer.

export interface NginxDirective {
  readonly name: string;
  /** Arguments with quotes removed. */
  readonly args: readonly string[];
  /** Present for block directives (`server { … }`), absent for simple ones (`gzip on;`). */
  readonly block?: readonly NginxDirective[];
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === "#") { while (i < text.length && text[i] !== "\n") i++; continue; }
    if (c === "{" || c === "}" || c === ";") { tokens.push(c); i++; continue; }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let value = "";
      while (j < text.length && text[j] !== c) {
        if (text[j] === "\\" && j + 1 < text.length) j++;
        value += text[j];
        j++;
      }
      if (j >= text.length) throw new Error("nginx.conf: unterminated quoted string");
      tokens.push(`\u0000${value}`);
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < text.length && !/[\s{};]/.test(text[j]!)) j++;
    tokens.push(text.slice(i, j));
    i = j;
  }
  return tokens;
}

/** Parses nginx.conf text into its top-level directives; throws on unbalanced braces or a missing `;`. */
export function parseNginxConf(text: string): NginxDirective[] {
  const tokens = tokenize(text);
  let pos = 0;
  const unquote = (t: string) => (t.startsWith("\u0000") ? t.slice(1) : t);
  const parseBlock = (nested: boolean): NginxDirective[] => {
    const out: NginxDirective[] = [];
    while (pos < tokens.length) {
      const token = tokens[pos++]!;
      if (token === "}") {
        if (!nested) throw new Error("nginx.conf: unexpected }");
        return out;
      }
      if (token === "{" || token === ";") throw new Error(`nginx.conf: unexpected ${token}`);
      const args: string[] = [];
      while (pos < tokens.length && tokens[pos] !== ";" && tokens[pos] !== "{" && tokens[pos] !== "}") args.push(unquote(tokens[pos++]!));
      const end = tokens[pos++];
      if (end === ";") out.push({ name: unquote(token), args });
      else if (end === "{") out.push({ name: unquote(token), args, block: parseBlock(true) });
      else throw new Error(`nginx.conf: directive "${unquote(token)}" is not terminated`);
    }
    if (nested) throw new Error("nginx.conf: missing }");
    return out;
  };
  return parseBlock(false);
}

/** Directives named `name` directly inside `scope` (not in nested blocks). */
export function directives(scope: readonly NginxDirective[], name: string): NginxDirective[] {
  return scope.filter((d) => d.name === name);
}

/** The `http { }` block's directives (empty when there is none). */
export function httpBlock(conf: readonly NginxDirective[]): readonly NginxDirective[] {
  return conf.find((d) => d.name === "http")?.block ?? [];
}

export function servers(conf: readonly NginxDirective[]): (readonly NginxDirective[])[] {
  return directives(httpBlock(conf), "server").map((s) => s.block ?? []);
}

/** Listen directives of a server that terminate TLS. */
export function isTlsServer(server: readonly NginxDirective[]): boolean {
  return directives(server, "listen").some((l) => l.args.includes("ssl"));
}

/** A server that only closes or rejects connections (return 444 / ssl_reject_handshake on): it serves nothing. */
export function isRejectingServer(server: readonly NginxDirective[]): boolean {
  const rejectsTls = directives(server, "ssl_reject_handshake").some((d) => d.args[0] === "on");
  const closes = directives(server, "return").some((d) => d.args[0] === "444");
  return (rejectsTls || closes) && directives(server, "location").length === 0;
}

/** The effective value of a simple directive in a context: its own, else the enclosing one's. */
export function effective(name: string, ...scopes: (readonly NginxDirective[])[]): readonly string[] | undefined {
  for (let i = scopes.length - 1; i >= 0; i--) {
    const found = directives(scopes[i]!, name);
    if (found.length > 0) return found[found.length - 1]!.args;
  }
  return undefined;
}

/**
 * add_header lines in force in a context: nginx inherits them from the enclosing level only when the
 * level itself has none, so a location with one add_header loses all the server's headers.
 */
export function effectiveHeaders(...scopes: (readonly NginxDirective[])[]): NginxDirective[] {
  for (let i = scopes.length - 1; i >= 0; i--) {
    const found = directives(scopes[i]!, "add_header");
    if (found.length > 0) return found;
  }
  return [];
}

/** Every `location` block of a server, nested ones included, with the chain of scopes leading to it. */
export function locations(server: readonly NginxDirective[]): { location: NginxDirective; chain: (readonly NginxDirective[])[] }[] {
  const out: { location: NginxDirective; chain: (readonly NginxDirective[])[] }[] = [];
  const walk = (scope: readonly NginxDirective[], chain: (readonly NginxDirective[])[]) => {
    for (const loc of directives(scope, "location")) {
      const inner = [...chain, loc.block ?? []];
      out.push({ location: loc, chain: inner });
      walk(loc.block ?? [], inner);
    }
  };
  walk(server, [server]);
  return out;
}

/** The URI a location matches, without its modifier (`^~ /admin/` -> "/admin/"). */
export function locationPath(location: NginxDirective): string {
  return location.args[location.args.length - 1] ?? "";
}

// What nginx reads at start-up: its prefix, the main configuration file, the `-g` directives and the
// files present in the container. Built from a container's inputs by container-files.ts, or by hand in tests.

export interface NginxFile {
  /** undefined when the content is unknown at preview (a secret the engine has not resolved). */
  readonly content: string | undefined;
  /** Where the file comes from, for messages: "upload", "the nginx image", "volume jewelry-x from …". */
  readonly origin: string;
}

export interface NginxInput {
  /** `-p`, with a trailing slash (the official image: /etc/nginx/). */
  readonly prefix: string;
  /** The main configuration file, absolute (`-c`, resolved against the prefix). */
  readonly confFile: string;
  /** `-g` directives, parsed before the file in the main context. */
  readonly commandLine?: string;
  readonly files: ReadonlyMap<string, NginxFile>;
  /**
   * Folders whose files the stack does not declare (bind mounts of the host, volumes nobody writes
   * declared files into): what nginx reads there cannot be judged.
   */
  readonly opaqueDirs: readonly string[];
  /** nginx's version, e.g. "1.27.3": directives that came or went between versions. */
  readonly version: string;
}

/** Joins and normalises a path as the kernel resolves it (`.`/`..` folded, repeated slashes merged). */
export function resolvePath(base: string, path: string): string {
  const joined = path.startsWith("/") ? path : `${base.replace(/\/*$/, "")}/${path}`;
  const out: string[] = [];
  for (const part of joined.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return `/${out.join("/")}`;
}

export const dirname = (path: string): string => path.slice(0, path.lastIndexOf("/") + 1) || "/";

/** True when `path` equals `dir` or lies below it. */
export const isUnderDir = (path: string, dir: string): boolean => {
  const d = dir.replace(/\/+$/, "");
  return path === d || path.startsWith(`${d}/`);
};

/** glob(3) as nginx calls it (sorted, `*` and `?` do not match "/" nor a leading dot, `[…]` classes). */
export function globToRegExp(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const atSegmentStart = i === 0 || pattern[i - 1] === "/";
    if (c === "*") out += atSegmentStart ? "(?!\\.)[^/]*" : "[^/]*";
    else if (c === "?") out += atSegmentStart ? "(?!\\.)[^/]" : "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) { out += "\\["; continue; }
      const body = pattern.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\");
      out += `[${body}]`;
      i = end;
    } else out += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

export const isGlob = (path: string): boolean => /[*?[]/.test(path);

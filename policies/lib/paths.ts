// Paths and globs as the kernel and glob(3) resolve them: shared by the server models that read
// include files (nginx, Redis), since both servers expand includes with glob(3).

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

/**
 * The innermost of `mounts` whose mount point (`pointOf`) holds `path`: a deeper mount point shadows a
 * shallower one, as the kernel resolves the path; undefined when none holds it.
 */
export function innermostMount<T>(mounts: readonly T[], pointOf: (mount: T) => string, path: string): T | undefined {
  return mounts.filter((m) => pointOf(m) !== "" && isUnderDir(path, pointOf(m))).sort((a, b) => pointOf(b).length - pointOf(a).length)[0];
}

/** glob(3) without flags, as nginx and Redis call it (sorted, `*` and `?` do not match "/" nor a leading dot, `[…]` classes). */
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

// The files a server process finds in its container, as far as the stack declares them: the uploads
// (content known, or unknown at preview for a secret) and the files its image creates itself
// (e.g. the official postgres image's initdb output). Every server model reads through this view,
// so includes, directories and defaults are resolved the same way for all of them.
import * as path from "node:path";
import { UNKNOWN, type Maybe } from "./unknowns";

export interface ServerFiles {
  /** The file's text, UNKNOWN when it exists but its content is unknown at preview, undefined when absent. */
  read(file: string): Maybe<string> | undefined;
  /** Files directly inside `dir` (absolute paths, sorted byte-wise); undefined when no such directory is known. */
  list(dir: string): string[] | undefined;
}

/** A view over explicit files: path -> content (UNKNOWN for unknown content). Directories are the files' parents. */
export function filesView(files: ReadonlyMap<string, Maybe<string>>): ServerFiles {
  return {
    read: (file) => files.get(path.posix.normalize(file)),
    list: (dir) => {
      const normal = path.posix.normalize(dir).replace(/\/+$/, "");
      const inside = [...files.keys()].filter((f) => path.posix.dirname(f) === normal);
      const isDir = inside.length > 0 || [...files.keys()].some((f) => f.startsWith(`${normal}/`));
      return isDir ? inside.sort(byteOrder) : undefined;
    },
  };
}

/** strcmp order, as servers sort directory entries (not the locale's order). */
export const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Resolves `file` against the directory of `from` when it is relative. */
export const resolveFrom = (from: string, file: string): string =>
  path.posix.normalize(file.startsWith("/") ? file : path.posix.join(path.posix.dirname(from), file));

export { UNKNOWN };

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

export { dirname, globToRegExp, isGlob, isUnderDir, resolvePath } from "../paths";

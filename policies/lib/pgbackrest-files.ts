// pgBackRest as containers receive it: pgbackrest.conf uploads (repositories and their options),
// crontab uploads with the schedules, and where each repository's secrets arrive.
import type { PolicyResource } from "@pulumi/policy";
import { knownUploads, uploadsOf } from "./containers";
import { parseCrontab, type CronEntry } from "./crontab";
import { parseIni } from "./ini";
import { containers } from "./stack-resources";
import { UNKNOWN } from "./unknowns";

export interface PgbackrestRepo {
  readonly index: number;
  /** repoN-type; pgBackRest's default is posix. */
  readonly type: string;
  /** repoN-* options without the prefix ("cipher-type" -> "aes-256-cbc"). */
  readonly options: ReadonlyMap<string, string>;
}

export interface PgbackrestConf {
  readonly container: PolicyResource;
  readonly file: string;
  readonly repos: PgbackrestRepo[];
}

const PGBACKREST_CONF = /(^|\/)pgbackrest\.conf$/;

/**
 * Every pgbackrest.conf upload with known content that defines repositories; options of all sections
 * merged, later ones winning. A repository with `repoN-host` is a pointer to a repository host (the
 * PostgreSQL side of a dedicated backup host): it is judged where it is defined, so it is left out,
 * and a file holding only such pointers is no repository configuration at all.
 */
export function pgbackrestConfs(resources: readonly PolicyResource[]): PgbackrestConf[] {
  return containers(resources).flatMap((container) =>
    knownUploads(container, PGBACKREST_CONF).map(({ file, content }) => {
      const byRepo = new Map<number, Map<string, string>>();
      for (const section of parseIni(content).values()) {
        for (const [key, value] of section) {
          const m = /^repo(\d+)-(.+)$/.exec(key);
          if (!m) continue;
          const n = Number(m[1]);
          byRepo.set(n, (byRepo.get(n) ?? new Map<string, string>()).set(m[2]!, value));
        }
      }
      const repos = [...byRepo.entries()].sort(([a], [b]) => a - b)
        .filter(([, options]) => !options.has("host"))
        .map(([index, options]) => ({ index, type: options.get("type") ?? "posix", options }));
      return { container, file, repos };
    }).filter((conf) => conf.repos.length > 0),
  );
}

/** Containers that receive a pgbackrest.conf whose content is unknown at preview. */
export const unknownPgbackrestConfs = (resources: readonly PolicyResource[]): PolicyResource[] =>
  containers(resources).filter((c) => uploadsOf(c).some((u) => PGBACKREST_CONF.test(u.file) && u.content === UNKNOWN));

/** The storage vendor of a repository: object stores by endpoint domain, others by type. */
export function repoVendor(repo: PgbackrestRepo): string {
  if (repo.type === "s3") {
    const host = (repo.options.get("s3-endpoint") ?? "amazonaws.com").toLowerCase().replace(/^https?:\/\//, "").split(/[/:]/)[0]!;
    return host.split(".").slice(-2).join(".");
  }
  if (repo.type === "sftp") return `sftp:${repo.options.get("sftp-host") ?? ""}`;
  return repo.type;
}

/** Schedule lines of every crontab-like upload (crontab, cron.d) with known content, across the stack. */
export function cronEntries(resources: readonly PolicyResource[]): { container: PolicyResource; entry: CronEntry }[] {
  return containers(resources).flatMap((container) =>
    knownUploads(container, /cron/i).flatMap(({ content }) => parseCrontab(content).map((entry) => ({ container, entry }))),
  );
}

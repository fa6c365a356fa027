// The pgBackRest repositories a container holds (repository host or single host), each judged in
// every context pgBackRest runs there: every scheduled job and the container's own processes,
// with the options each resolves. A repoN with repoN-host is a pointer to another host's
// repository, judged where it is defined.
import type { PolicyResource } from "@pulumi/policy";
import { argvOf } from "../containers";
import { containers } from "../stack-resources";
import { known, readKnownElements } from "../unknowns";
import type { ResolvedOptions } from "./config";
import { pgbackrestContainer, type PgbackrestContainerModel, type PgbackrestRunModel } from "./host";

export interface RepoView {
  readonly index: number;
  readonly option: (name: string) => string | undefined;
  readonly resolved: ResolvedOptions;
}

/** One context in which pgBackRest reads the repositories: a run, or the config as-is when nothing runs. */
export interface RepoContext {
  readonly label: string;
  readonly run?: PgbackrestRunModel;
  readonly repos: readonly RepoView[];
  readonly resolved: ResolvedOptions;
}

export interface RepositoryHost {
  readonly model: PgbackrestContainerModel;
  readonly container: PolicyResource;
  /** Local repository indexes (those the config stores itself, without repoN-host). */
  readonly localRepos: readonly number[];
  readonly contexts: readonly RepoContext[];
}

const reposOf = (resolved: ResolvedOptions): RepoView[] =>
  resolved.repos
    .filter((n) => resolved.get(`repo${n}-host`) === undefined)
    .map((index) => ({ index, option: (name: string) => resolved.get(`repo${index}-${name}`)?.value, resolved }));

function contextsOf(model: PgbackrestContainerModel): RepoContext[] {
  const fromRuns = model.runs.flatMap((run) => run.options.map((resolved) => ({
    label: run.job ? `${run.job.source} line ${run.job.line} (${run.command})` : `the container's "pgbackrest ${run.command}"`,
    run, repos: reposOf(resolved), resolved,
  })));
  if (fromRuns.length > 0) return fromRuns;
  // Nothing runs pgBackRest here (yet): judge the config as a backup with the container's env would read it.
  return model.resolve("backup", new Map(), new Map()).options.map((resolved) => ({ label: "its pgbackrest.conf", repos: reposOf(resolved), resolved }));
}

/**
 * Containers where pgBackRest or a cron daemon may run, told by their command and upload paths only
 * (cheap), so the models are built for those alone.
 */
export function pgbackrestCandidates(resources: readonly PolicyResource[]): PolicyResource[] {
  return containers(resources).filter((c) =>
    /pgbackrest|cron/.test(argvOf(c).join(" ")) || uploadsPaths(c).some((f) => /pgbackrest|cron/.test(f)));
}

const uploadsPaths = (c: PolicyResource): string[] =>
  readKnownElements(() => c.props.uploads as Array<{ file?: unknown }> | undefined).values.map((u) => known(() => u.file)).filter((f): f is string => typeof f === "string");

/** Containers whose pgBackRest config defines repositories of their own. */
export function repositoryHosts(resources: readonly PolicyResource[]): RepositoryHost[] {
  return pgbackrestCandidates(resources).flatMap((container) => {
    const model = pgbackrestContainer(container);
    if (model.defaultFiles.lines.length === 0 && model.defaultFiles.unknownFiles.length === 0) return [];
    const base = model.resolve("backup", new Map(), new Map()).options;
    const defined = (r: ResolvedOptions) => r.repos.filter((n) => r.get(`repo${n}-host`) === undefined && [...r.all.keys()].some((k) => k.startsWith(`repo${n}-`)));
    const localRepos = [...new Set(base.flatMap(defined))].sort((a, b) => a - b);
    if (localRepos.length === 0) return [];
    return [{ model, container, localRepos, contexts: contextsOf(model) }];
  });
}

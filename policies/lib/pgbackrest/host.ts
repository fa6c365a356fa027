// Every place pgBackRest runs in a container, each resolved with the options it really gets: the
// container's own processes (e.g. `pgbackrest server`, which serves the PostgreSQL host's
// archive-push) with the container's env, and each scheduled job with the job's env and command
// line (cron gives its jobs none of the container's env). Shared by the backup rules through one
// model per container inputs.
import type { PolicyResource } from "@pulumi/policy";
import * as path from "node:path";
import { containerEnv, uploadsOf } from "../containers";
import { cronModel, containerCommands, unwrapCommand, type CronModel, type CronUpload, type ScheduledJob } from "../cron/daemon";
import { jobRuns } from "../cron/job-runs";
import { memoizedForInputs } from "../model-cache";
import { proxyTarget } from "../props-view";
import { filesView } from "../server-files";
import { known, readKnownElements, undecidable, UNKNOWN } from "../unknowns";
import { asRecord } from "../values";
import {
  isCommandWord, loadPgbackrestFiles, readPgbackrestArgv, resolvePgbackrestOptions, type PgbackrestFiles, type ResolvedOptions,
} from "./config";

/** One pgBackRest run and what it resolves. */
export interface PgbackrestRunModel {
  readonly command: string;
  /** The cron job it belongs to; undefined for a process the container starts itself. */
  readonly job?: ScheduledJob;
  readonly files: PgbackrestFiles;
  /** Resolved for its --stanza (or each stanza of the config when it names none). */
  readonly options: readonly ResolvedOptions[];
}

export interface PgbackrestContainerModel {
  readonly container: PolicyResource;
  readonly cron: CronModel;
  readonly uploads: ReadonlyMap<string, CronUpload>;
  /** The config as a run with no options and the container's env reads it. */
  readonly defaultFiles: PgbackrestFiles;
  readonly runs: readonly PgbackrestRunModel[];
  /** Problems that keep scheduled jobs from running (not found, not executable). */
  readonly jobProblems: ReadonlyArray<{ readonly job: ScheduledJob; readonly problem: string }>;
  /** Volume mount points (containerPath) of the container. */
  readonly mounts: readonly string[];
  /** Resolves a run of `command` with extra options and env, for a stanza. */
  resolve(command: string, options: ReadonlyMap<string, string>, env: ReadonlyMap<string, string>): { files: PgbackrestFiles; options: ResolvedOptions[] };
}

interface Inputs {
  readonly argv: string[];
  readonly env: Array<[string, string]>;
  readonly uploads: CronUpload[];
  readonly user: string;
  readonly mounts: string[];
}

/** The uploads as cron reads them: content undefined while unknown at preview. */
function readUploads(container: PolicyResource): CronUpload[] {
  return uploadsOf(container).map((u) => ({
    file: u.file,
    content: u.content === UNKNOWN ? undefined : u.content,
    owner: u.owner,
    permissions: u.permissions,
    executable: u.executable === true,
  }));
}

function build(container: PolicyResource, inputs: Inputs): PgbackrestContainerModel {
  const containerEnvMap = new Map(inputs.env);
  const uploads = new Map(inputs.uploads.map((u) => [u.file, u]));
  const files = filesView(new Map(inputs.uploads.map((u) => [u.file, u.content ?? UNKNOWN])));
  const cron = cronModel({ argv: inputs.argv, env: containerEnvMap, uploads: inputs.uploads, user: inputs.user });
  const resolve = (command: string, options: ReadonlyMap<string, string>, env: ReadonlyMap<string, string>) => {
    const loaded = loadPgbackrestFiles(files, options, env);
    const stanza = options.get("stanza") ?? env.get("PGBACKREST_STANZA");
    const stanzas = stanza !== undefined ? [stanza] : loaded.stanzas.length > 0 ? loaded.stanzas : [undefined];
    return { files: loaded, options: stanzas.map((s) => resolvePgbackrestOptions(loaded, { command, options, env }, s)) };
  };
  const runs: PgbackrestRunModel[] = [];
  const addRun = (args: readonly string[], env: ReadonlyMap<string, string>, job?: ScheduledJob) => {
    const { command, options } = readPgbackrestArgv(args);
    if (command === undefined || !isCommandWord(command)) return;
    const resolved = resolve(command, options, env);
    runs.push({ command, job, files: resolved.files, options: resolved.options });
  };
  for (const words of containerCommands(inputs.argv).map(unwrapCommand)) {
    if (path.posix.basename(words[0] ?? "") === "pgbackrest") addRun(words.slice(1), containerEnvMap);
  }
  const jobProblems: Array<{ job: ScheduledJob; problem: string }> = [];
  for (const job of cron.jobs) {
    const analysis = jobRuns(job, uploads);
    for (const problem of analysis.problems) jobProblems.push({ job, problem });
    for (const run of analysis.runs) addRun(run.args, run.env, job);
  }
  return {
    container, cron, uploads, runs, jobProblems, mounts: inputs.mounts, resolve,
    defaultFiles: loadPgbackrestFiles(files, new Map(), containerEnvMap),
  };
}

/** The pgBackRest model of a container (undecidable while its command is unknown at preview). */
export function pgbackrestContainer(container: PolicyResource): PgbackrestContainerModel {
  return memoizedForInputs("pgbackrest", container.urn, proxyTarget(container.props), () => pgbackrestInputs(container),
    (inputs) => `${container.urn}\n${JSON.stringify(inputs)}`, (inputs) => build(container, inputs));
}

/** What the model reads from the container (undecidable while its command is unknown at preview). */
function pgbackrestInputs(container: PolicyResource): Inputs {
  const list = (read: () => string[] | undefined) => {
    const present = readKnownElements(read);
    if (present.unknown > 0) undecidable(`${container.name}.command`);
    return present.values;
  };
  const mounts = readKnownElements(() => container.props.volumes as unknown[] | undefined).values
    .map((v) => known(() => asRecord(v)?.containerPath))
    .filter((p): p is string => typeof p === "string");
  const user = known(() => container.props.user);
  return {
    argv: [...list(() => container.props.entrypoints as string[] | undefined), ...list(() => container.props.command as string[] | undefined)],
    env: [...containerEnv(container.props).values],
    uploads: readUploads(container),
    user: typeof user === "string" ? user : "",
    mounts,
  };
}


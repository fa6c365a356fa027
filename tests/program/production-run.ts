// Shared fixture: the program run once per test file under Pulumi's mocks, in preview mode, with the
// shipped production stack's config, through the same runner `npm run check` uses.
import { resolve } from "node:path";
import { runProgram, type CapturedResource, type ProgramRun } from "../../check/run-program";
import { readStackConfig } from "../../check/stack-config";
import { isSecretWrapper, isUnknown } from "../../check/property-values";
import type { JsonValue } from "../../check/json";

export const ROOT = resolve(__dirname, "../..");

let run: Promise<ProgramRun> | undefined;
export function productionRun(): Promise<ProgramRun> {
  // The runner require()s index.ts as the language host does; vitest transforms only its own imports.
  (require("tsx/cjs/api") as { register(): void }).register();
  run ??= runProgram({ stackConfig: readStackConfig(ROOT, "production") });
  return run;
}

export const CONTAINER = "docker:index/container:Container";

export function containers(program: ProgramRun): CapturedResource[] {
  return program.resources.filter((r) => r.type === CONTAINER);
}

export function byName(program: ProgramRun, name: string): CapturedResource {
  const found = program.resources.find((r) => r.name === name);
  if (!found) throw new Error(`no resource named ${name}; have ${program.resources.map((r) => r.name).join(", ")}`);
  return found;
}

/** True for a value the SDK marked secret (known or unknown underneath). */
export const isSecret = (value: JsonValue | undefined): boolean => isSecretWrapper(value);

export interface EnvView {
  /** Known, non-secret entries by name. */
  readonly plain: ReadonlyMap<string, string>;
  /** How many entries are secret (their names are hidden when unknown at preview). */
  readonly secretCount: number;
  /** Entries that are neither a known string nor a secret: must not happen. */
  readonly other: readonly JsonValue[];
}

export function envOf(container: CapturedResource): EnvView {
  const plain = new Map<string, string>();
  let secretCount = 0;
  const other: JsonValue[] = [];
  for (const entry of (container.object.envs ?? []) as JsonValue[]) {
    if (typeof entry === "string" && !isUnknown(entry)) {
      const at = entry.indexOf("=");
      plain.set(entry.slice(0, at), entry.slice(at + 1));
    } else if (isSecret(entry)) secretCount++;
    else other.push(entry);
  }
  return { plain, secretCount, other };
}

export interface Upload {
  readonly file: string;
  readonly content: JsonValue | undefined;
  readonly permissions?: string;
}

export function uploadsOf(container: CapturedResource): Upload[] {
  return ((container.object.uploads ?? []) as { file: string; content?: JsonValue; permissions?: string }[])
    .map((u) => ({ file: u.file, content: u.content, permissions: u.permissions }));
}

/** Network names a container joins, resolved to the network resources' `internal` flag. */
export function networksOf(program: ProgramRun, container: CapturedResource): { name: string; internal: boolean }[] {
  const networks = program.resources.filter((r) => r.type === "docker:index/network:Network");
  return ((container.object.networksAdvanced ?? []) as { name: string }[]).map(({ name }) => {
    const network = networks.find((n) => n.object.name === name);
    if (!network) throw new Error(`container ${container.name} joins unknown network ${name}`);
    return { name, internal: network.object.internal === true };
  });
}

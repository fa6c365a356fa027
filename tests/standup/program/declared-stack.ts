// The stack as the program declares it, with real values: the real program (index.ts) with the
// stack's own config, run under Pulumi's mocks as an update (not a preview), so every `apply` runs
// and every input is known. `secure:` keys get fresh test values; `appImage` is the reference app.
// The mocks play the engine: a resource is registered once what it depends on has been created, and
// `create` (the stand-up) creates it for real before the program sees its outputs, so outputs that
// only a real create knows (a deploy job's exit code) are the real ones.
import { resolve } from "node:path";
import { runProgram, type CapturedResource, type ProgramRun } from "../../../check/run-program";
import { OFFLINE_SECRET_PLACEHOLDER, readStackConfig, type StackConfig } from "../../../check/stack-config";
import type { JsonObject } from "../../../check/json";
import { plain } from "./inputs";
import { newResource, type ResourceState } from "./mock-outputs";
import { generateRunSecrets } from "./run-secrets";

export const ROOT = resolve(__dirname, "../../..");

export interface DeclaredStackOptions {
  readonly stack?: string;
  /** The reference app image that replaces the stack's `appImage`. */
  readonly appImage: string;
  /**
   * Creates one registered resource for real and returns its state (given: the mocks' state, the
   * inputs for what the stand-up creates). Called in the engine's order; a rejection ends the run.
   * Without it nothing is created and the mocks' state stands.
   */
  readonly create?: (resource: DeclaredResource, state: ResourceState) => Promise<ResourceState>;
}

/** One declared resource: what the engine received (inputs, dependencies) and the state the run produced. */
export type DeclaredResource = CapturedResource;

export interface DeclaredStack {
  readonly project: string;
  readonly stack: string;
  /** Every registered resource, in registration order. */
  readonly resources: readonly DeclaredResource[];
}

/** The stack config with a fresh value for each undecryptable key and the app image swapped in. */
export function standUpConfig(stackConfig: StackConfig, appImage: string): StackConfig {
  const config = { ...stackConfig.config };
  const secrets = generateRunSecrets(stackConfig.undecryptableKeys);
  for (const [key, value] of Object.entries(secrets)) {
    if (config[key] !== OFFLINE_SECRET_PLACEHOLDER) throw new Error(`${key}: a nested secure value; the stand-up sets only top-level ones`);
    config[key] = value;
  }
  const appImageKey = `${stackConfig.project}:appImage`;
  if (!(appImageKey in config)) throw new Error(`${appImageKey} is not set in ${stackConfig.stackFile}`);
  config[appImageKey] = appImage;
  return { ...stackConfig, config, undecryptableKeys: [] };
}

export async function declaredStack(options: DeclaredStackOptions): Promise<DeclaredStack> {
  // The runner require()s index.ts as the language host does: TypeScript through tsx.
  (require("tsx/cjs/api") as { register(): void }).register();
  const stackConfig = standUpConfig(readStackConfig(ROOT, options.stack ?? "production"), options.appImage);
  const create = options.create;
  // A failed create ends the run at once, as the engine does: the SDK would only log it.
  let createFailed: (error: unknown) => void = () => undefined;
  const failure = new Promise<never>((_resolve, reject) => (createFailed = reject));
  failure.catch(() => undefined);
  const run: ProgramRun = await Promise.race([
    runProgram({
      stackConfig,
      update: {
        newResource: async (args, registration) => {
          const mocked = newResource(args);
          if (!create) return mocked;
          try {
            return { id: mocked.id, state: await create(registration, mocked.state as ResourceState) };
          } catch (error) {
            createFailed(error);
            throw error;
          }
        },
      },
    }),
    failure,
  ]);
  return { project: run.project, stack: run.stack, resources: run.resources };
}

/** A resource's inputs, secrets unwrapped. */
export const inputsOf = (resource: DeclaredResource): JsonObject => plain(resource.object) as JsonObject;

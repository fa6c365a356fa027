// Turns what the program registered into the resources the engine hands Analyze and
// AnalyzeStack, including the default providers the engine (not the SDK) creates.
import type { AnalyzerProvider, AnalyzerResource } from "./analyzer-client";
import type { JsonObject } from "./json";
import { isJsonObject } from "./json";
import { withoutInternalKeys, wrapSecret } from "./property-values";
import type { CapturedResource, ProgramRun } from "./run-program";
import type { StackConfig } from "./stack-config";

export interface AnalysisInput {
  /** In registration order, each default provider just before its first user. */
  readonly resources: readonly AnalyzerResource[];
  /** The same, with the root stack's outputs as its properties (AnalyzeStack sees outputs). */
  readonly stackResources: readonly AnalyzerResource[];
}

const providerTypePrefix = "pulumi:providers:";

/** "<urn>::<id>" -> "<urn>"; the id is unknown at preview. */
export const providerUrn = (ref: string) => ref.slice(0, ref.lastIndexOf("::"));

const properties = (object: JsonObject): JsonObject => {
  const cleaned = withoutInternalKeys(object);
  return isJsonObject(cleaned) ? cleaned : {};
};

/** The engine's default provider: `default_<version>`, configured from the `<pkg>:` config keys. */
function defaultProvider(pkg: string, version: string, stackConfig: StackConfig): AnalyzerResource {
  const name = version ? `default_${version.replace(/[.+-]/g, "_")}` : "default";
  const props: JsonObject = {};
  for (const [key, value] of Object.entries(stackConfig.config)) {
    if (!key.startsWith(`${pkg}:`)) continue;
    const bare = key.slice(pkg.length + 1);
    props[bare] = stackConfig.secretKeys.includes(key) ? wrapSecret(value) : value;
  }
  if (version) props.version = version;
  return {
    type: `${providerTypePrefix}${pkg}`,
    name,
    urn: `urn:pulumi:${stackConfig.stack}::${stackConfig.project}::${providerTypePrefix}${pkg}::${name}`,
    properties: props,
    options: emptyOptions,
    dependencies: [],
    propertyDependencies: {},
  };
}

const emptyOptions: AnalyzerResource["options"] = {
  protect: false,
  ignoreChanges: [],
  additionalSecretOutputs: [],
  aliases: [],
  customTimeouts: { create: 0, update: 0, delete: 0 },
};

const asProvider = (r: AnalyzerResource): AnalyzerProvider => ({
  type: r.type,
  name: r.name,
  urn: r.urn,
  properties: r.properties,
});

/**
 * Turns captured resources into analyzer resources one by one, in registration order, as the engine
 * analyzes each resource when it registers: a default provider comes just before its first user.
 */
export class AnalysisInputBuilder {
  private readonly resources: AnalyzerResource[] = [];
  private readonly providers = new Map<string, AnalyzerResource>();

  constructor(private readonly stackConfig: StackConfig) {}

  /** The analyzer resources `r` adds: itself, after its default provider when it is the first user. */
  add(r: CapturedResource): AnalyzerResource[] {
    const added: AnalyzerResource[] = [];
    if (r.type.startsWith(providerTypePrefix)) {
      const provider = toAnalyzerResource(r);
      this.providers.set(r.urn, provider);
      added.push(provider);
    } else {
      let provider: AnalyzerResource | undefined;
      if (r.providerRef) {
        provider = this.providers.get(providerUrn(r.providerRef));
      } else if (r.custom) {
        const fallback = defaultProvider(r.type.split(":")[0], r.version, this.stackConfig);
        provider = this.providers.get(fallback.urn);
        if (!provider) {
          provider = fallback;
          this.providers.set(fallback.urn, fallback);
          added.push(fallback);
        }
      }
      added.push(toAnalyzerResource(r, provider));
    }
    this.resources.push(...added);
    return added;
  }

  /** Every resource added so far, and the same for AnalyzeStack: the root stack with its outputs. */
  input(run: ProgramRun): AnalysisInput {
    const stackUrn = run.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.urn;
    const resources = [...this.resources];
    const stackResources = resources.map((r) =>
      r.urn === stackUrn && run.stackOutputs ? { ...r, properties: properties(run.stackOutputs) } : r,
    );
    return { resources, stackResources };
  }
}

function toAnalyzerResource(r: CapturedResource, provider?: AnalyzerResource): AnalyzerResource {
  return {
    type: r.type,
    name: r.name,
    urn: r.urn,
    properties: properties(r.object),
    options: { ...r.options, parent: r.parent },
    provider: provider && asProvider(provider),
    parent: r.parent,
    dependencies: r.dependencies,
    propertyDependencies: r.propertyDependencies,
  };
}

/** The whole run at once. */
export function analysisInput(run: ProgramRun, stackConfig: StackConfig): AnalysisInput {
  const builder = new AnalysisInputBuilder(stackConfig);
  for (const r of run.resources) builder.add(r);
  return builder.input(run);
}

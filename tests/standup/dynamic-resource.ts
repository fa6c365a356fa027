// Pulumi dynamic resources created as `pulumi up` creates them: by Pulumi's own dynamic-provider host
// (`@pulumi/pulumi/cmd/dynamic-provider`, started once per stand-up), which loads the serialized
// provider the SDK put in the resource's `__provider` input and is driven over its gRPC
// ResourceProvider service in the engine's order (Check, then Create), secrets unwrapped as the
// engine does (tests/dynamic-providers/).
import type { JsonObject } from "../../check/json";
import { DynamicResource } from "../dynamic-providers/dynamic-resource";
import { startProviderHost, type ProviderHost } from "../dynamic-providers/provider-host";
import { inputsOf, type DeclaredResource } from "./program/declared-stack";

const PROVIDER_KEY = "__provider";

export interface DynamicProviders {
  /** Creates the resource through the host; its outputs as the engine would store them. */
  create(resource: DeclaredResource): Promise<JsonObject>;
  stop(): Promise<void>;
}

export function dynamicProviders(): DynamicProviders {
  let host: Promise<ProviderHost> | undefined;
  return {
    async create(resource) {
      // urn:pulumi:<stack>::<project>::<type>::<name>
      const [stack, project] = resource.urn.slice("urn:pulumi:".length).split("::");
      const { [PROVIDER_KEY]: text, ...inputs } = inputsOf(resource);
      if (typeof text !== "string") throw new Error(`${resource.name}: no serialized provider in ${PROVIDER_KEY}`);
      host ??= startProviderHost();
      const dynamic = new DynamicResource(await host, { type: resource.type, name: resource.name, provider: { text, containsSecrets: false }, project, stack });
      try {
        await dynamic.up(inputs);
      } catch (error) {
        throw new Error(`${resource.name} (${resource.type}): ${(error as Error).message}`);
      }
      return dynamic.state!.outputs;
    },
    async stop() {
      const started = host;
      host = undefined;
      await (await started?.catch(() => undefined))?.stop();
    },
  };
}

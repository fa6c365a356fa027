// A Pulumi dynamic resource created by the program's own provider code: the serialized provider the
// SDK put in the resource's `__provider` input, loaded the way Pulumi's dynamic-provider host loads it
// (require-from-string, then `.handler()`), then check and create as the engine calls them.
import type * as pulumi from "@pulumi/pulumi";
import type { DeclaredResource } from "./program/declared-stack";
import { inputsOf } from "./program/declared-stack";

const PROVIDER_KEY = "__provider";

export async function applyDynamicResource(resource: DeclaredResource): Promise<Record<string, unknown>> {
  const inputs = inputsOf(resource) as Record<string, unknown>;
  const text = inputs[PROVIDER_KEY];
  if (typeof text !== "string") throw new Error(`${resource.name}: no serialized provider in ${PROVIDER_KEY}`);
  const requireFromString = require(require.resolve("require-from-string", { paths: [require.resolve("@pulumi/pulumi")] })) as (code: string) => { handler(): pulumi.dynamic.ResourceProvider };
  const provider = requireFromString(text).handler();
  const news = Object.fromEntries(Object.entries(inputs).filter(([key]) => key !== PROVIDER_KEY));
  const checked = provider.check ? await provider.check({}, news) : { inputs: news, failures: [] };
  if (checked.failures?.length) throw new Error(`${resource.name}: check failed: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
  const created = await provider.create(checked.inputs);
  return created.outs ?? {};
}

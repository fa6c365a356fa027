// Finding resources in the stack a stack policy judges.
import type { PolicyResource } from "@pulumi/policy";
import { containerEnv, containerService, isAppContainer, type ContainerEnv, type ServiceKind } from "./containers";
import { CONTAINER } from "./resource-types";

export const ofType = (resources: readonly PolicyResource[], type: string): PolicyResource[] =>
  resources.filter((r) => r.type === type);

export interface AppContainer {
  readonly resource: PolicyResource;
  readonly env: ContainerEnv;
}

/** Django app containers (known DJANGO_SETTINGS_MODULE entry), with their env read once. */
export function appContainers(resources: readonly PolicyResource[]): AppContainer[] {
  return ofType(resources, CONTAINER)
    .map((resource) => ({ resource, env: containerEnv(resource.props) }))
    .filter((c) => isAppContainer(c.env));
}

/** Containers running this service, recognised by image repository. */
export const serviceContainers = (resources: readonly PolicyResource[], service: ServiceKind): PolicyResource[] =>
  ofType(resources, CONTAINER).filter((r) => containerService(r.props) === service);

/** The resources a property was computed from (AnalyzeStack's property dependencies). */
export const sourcesOf = (resource: PolicyResource, property: string, type: string): PolicyResource[] =>
  (resource.propertyDependencies[property] ?? []).filter((r) => r.type === type);

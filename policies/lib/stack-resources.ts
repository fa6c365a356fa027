// Finding resources in the stack a stack policy judges. The platform's services are recognised among
// the containers by what the engine shows (image, env, uploaded files), never by this program's
// resource names, so a stack written by hand is judged too.
import type { PolicyResource } from "@pulumi/policy";
import { djangoApps } from "./app/django-app";
import {
  containerEnv, containerService, manageCommand, runsService, uploadsOf,
  type ContainerEnv, type ServiceKind,
} from "./containers";
import { CONTAINER } from "./resource-types";
import { known, undecidable, UNKNOWN } from "./unknowns";

export const ofType = (resources: readonly PolicyResource[], type: string): PolicyResource[] =>
  resources.filter((r) => r.type === type);

export const containers = (resources: readonly PolicyResource[]): PolicyResource[] => ofType(resources, CONTAINER);

export interface AppContainer {
  readonly resource: PolicyResource;
  readonly env: ContainerEnv;
}

/** Django app containers (web, workers, deploy jobs: lib/app/django-app.ts), with their env read once. */
export function appContainers(resources: readonly PolicyResource[]): AppContainer[] {
  return djangoApps(containers(resources)).map((resource) => ({ resource, env: containerEnv(resource.props) }));
}

/** The Django app containers' resources, for rules that read them through other readers. */
export function appContainerResources(resources: readonly PolicyResource[]): PolicyResource[] {
  return appContainers(resources).map((app) => app.resource);
}

/** Long-running app containers: not the one-shot `manage.py` jobs. */
export function appServices(resources: readonly PolicyResource[]): PolicyResource[] {
  return appContainerResources(resources).filter((c) => manageCommand(c) === undefined);
}

/** Containers running this service, recognised by image repository (an unknown image throws). */
export const serviceContainers = (resources: readonly PolicyResource[], service: ServiceKind): PolicyResource[] =>
  containers(resources).filter((r) => containerService(r.props) === service);

/**
 * Reports that the stack lacks a service, unless some container's image is unknown at preview:
 * that container may be the service, so the verdict waits (undecidable) instead of failing.
 */
export function reportMissingService(resources: readonly PolicyResource[], report: (message: string) => void, message: string): void {
  if (containers(resources).some((c) => known(() => c.props.image) === UNKNOWN)) undecidable("image");
  report(message);
}

const NGINX_CONF = /(^|\/)nginx\.conf$/;

/** Containers that run nginx: by image, or by receiving an nginx.conf (lib/nginx/stack.ts models their configuration). */
export const nginxContainers = (resources: readonly PolicyResource[]): PolicyResource[] =>
  containers(resources).filter((c) => runsService(c, "nginx") || uploadsOf(c).some((u) => NGINX_CONF.test(u.file)));

/** The resources a property was computed from (AnalyzeStack's property dependencies). */
export const sourcesOf = (resource: PolicyResource, property: string, type: string): PolicyResource[] =>
  (resource.propertyDependencies[property] ?? []).filter((r) => r.type === type);

/** The Django app containers' resources, or a violation when the stack has none. */
export function requireAppContainers(resources: readonly PolicyResource[], report: (message: string) => void): PolicyResource[] {
  const apps = appContainerResources(resources);
  if (apps.length === 0) report("No Django app container (a container with DJANGO_SETTINGS_MODULE in its env) is in the stack.");
  return apps;
}

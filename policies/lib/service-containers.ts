// Recognising the platform's services among a stack's containers by what the engine shows (image,
// env, uploaded files), never by this program's resource names, so a stack written by hand is judged too.
import type { PolicyResource } from "@pulumi/policy";
import { argvOf, containers, runsService, uploadsOf, uploadText, UNKNOWN } from "./container-inputs";
import { appContainers as djangoContainers } from "./stack-resources";
import { parseNginxConf, type NginxDirective } from "./nginx-conf";

/** Django app containers (web, workers, deploy jobs): DJANGO_SETTINGS_MODULE is in their env. */
export function appContainers(resources: readonly PolicyResource[]): PolicyResource[] {
  return djangoContainers(resources).map((app) => app.resource);
}

/** Long-running app containers: not the one-shot `manage.py` jobs. */
export function appServices(resources: readonly PolicyResource[]): PolicyResource[] {
  return appContainers(resources).filter((c) => manageCommand(c) === undefined);
}

/** The `manage.py <command>` a container runs, if it is a one-shot management job. */
export function manageCommand(container: PolicyResource): string | undefined {
  const words = argvOf(container).flatMap((arg) => arg.split(/\s+/));
  const at = words.findIndex((w) => /(^|\/)manage\.py$/.test(w) || w === "django-admin");
  return at >= 0 ? words[at + 1] : undefined;
}

const NGINX_CONF = /(^|\/)nginx\.conf$/;

export interface NginxContainer {
  readonly container: PolicyResource;
  readonly conf: NginxDirective[];
}

/** Containers that run nginx (by image, or by receiving an nginx.conf), with their parsed main config. */
export function nginxContainers(resources: readonly PolicyResource[]): NginxContainer[] {
  return containers(resources)
    .filter((c) => runsService(c, "nginx") || uploadsOf(c).some((u) => NGINX_CONF.test(u.file)))
    .map((container) => {
      const text = uploadText(container, NGINX_CONF);
      return { container, conf: text === undefined ? [] : parseNginxConf(text) };
    });
}

/** Every upload on the container whose path matches, with known content; unknown content is skipped. */
export function knownUploads(container: PolicyResource, file: RegExp): { file: string; content: string }[] {
  return uploadsOf(container).flatMap((u) => (file.test(u.file) && u.content !== UNKNOWN ? [{ file: u.file, content: u.content }] : []));
}

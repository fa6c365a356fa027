// Which containers run the Django app: web, workers, beat and the one-shot management jobs. Known
// by what they run, not by a resource name: a settings module in any channel (env, secret file,
// --settings), or a launch that runs manage.py/django-admin, a WSGI/ASGI server on a wsgi/asgi
// module, or Celery with an app (-A). Every container on the same image as one of those is the app too.
import type { PolicyResource } from "@pulumi/policy";
import { containerRuntime, type ContainerResource } from "../docker/runtime";
import { effectiveSettings } from "./effective-settings";
import { manageIndex } from "./manage-words";

const base = (word: string) => word.slice(word.lastIndexOf("/") + 1);

/** Whether an argv (after wrappers) starts Django: manage.py, django-admin, python -m django, gunicorn/uwsgi/daphne/uvicorn on a wsgi/asgi module, celery -A. */
export function runsDjango(argv: readonly string[]): boolean {
  const words = argv.map(base);
  if (manageIndex(argv) >= 0) return true;
  const server = ["gunicorn", "uwsgi", "daphne", "uvicorn"].includes(words[0] ?? "");
  if (server && argv.some((a) => /(^|[.:=])(wsgi|asgi)([.:]|$)/.test(a))) return true;
  return words[0] === "celery" && argv.some((a) => a === "-A" || a === "--app" || a.startsWith("--app=") || /^-A./.test(a));
}

export function isDjangoApp(container: ContainerResource): boolean {
  const settings = effectiveSettings(container);
  return settings.get("DJANGO_SETTINGS_MODULE") !== undefined || runsDjango(settings.argv);
}

/** The Django app containers among `containers`, including any that runs an app container's image. */
export function djangoApps(containers: readonly PolicyResource[]): PolicyResource[] {
  const direct = new Set(containers.filter(isDjangoApp));
  const images = new Set([...direct].map((c) => containerRuntime(c).imageReference).filter((i): i is string => typeof i === "string" && i !== ""));
  return containers.filter((c) => direct.has(c) || images.has(containerRuntime(c).imageReference as string));
}

// Section 12, Application: migrate, collectstatic and compilemessages run as one-shot containers the
// deployment waits for, before the web container starts; each really runs (no --plan/--dry-run), in
// full (no app label after migrate), its failure reaches the deployment (no `|| true`), read from its
// launch (lib/app/management-jobs.ts), and its output reaches the app services through a shared
// volume. 12.4 (superuser) and 12.5 (initial data) are people's decisions made after deployment.
import type { PolicyResource } from "@pulumi/policy";
import { checklistFramework, stackPolicy, type ChecklistPolicy } from "./lib/framework";
import { containerName } from "./lib/containers";
import { managementJob } from "./lib/app/management-jobs";
import { containerRuntime, mountHolding, need } from "./lib/docker/runtime";
import { appServices, containers } from "./lib/stack-resources";
import { known, UNKNOWN } from "./lib/unknowns";

export const DEPLOY_JOBS = ["migrate", "collectstatic", "compilemessages"] as const;

/**
 * Where the app's settings make collectstatic and compilemessages write, and the running app read:
 * STATIC_ROOT (collectstatic's output, whose staticfiles.json every process rendering a template
 * reads through ManifestStaticFilesStorage) and LOCALE_PATHS (the .mo files gettext loads), both
 * fixed in the app's settings (reference-app/config/settings/base.py), not in its environment.
 */
export const JOB_OUTPUTS: Readonly<Record<"collectstatic" | "compilemessages", string>> = {
  collectstatic: "/app/staticfiles",
  compilemessages: "/app/locale",
};

/** Where a container path lives: `key` names a named volume or host folder and the path inside it; none for storage that goes with the container. */
function storageOf(c: PolicyResource, path: string): { readonly key?: string; readonly text: string } {
  const holder = mountHolding(need(containerRuntime(c).mounts), path);
  if (!holder) return { text: "its own layer (the image's files)" };
  if (holder.kind === "tmpfs") return { text: `a tmpfs at ${holder.target}` };
  if (holder.kind === "anonymous") return { text: `an anonymous volume at ${holder.target}` };
  const inside = path.slice(holder.target.replace(/\/+$/, "").length).replace(/^\/*/, "/");
  const where = `${holder.kind === "volume" ? "volume" : holder.kind === "bind" ? "host folder" : "the volumes of container"} ${holder.source ?? "?"}`;
  return { key: `${holder.kind}\u0000${holder.source ?? ""}\u0000${inside}`, text: inside === "/" ? where : `${where} (at ${inside} in it)` };
}

const WEB_SERVER = /\b(gunicorn|uvicorn|daphne|hypercorn|runserver|uwsgi)\b/;

/** Every resource `resource` depends on (dependsOn, property dependencies, parents), transitively. */
export function transitiveDependencies(resource: PolicyResource): Set<string> {
  const direct = (r: PolicyResource) => [...r.dependencies, ...Object.values(r.propertyDependencies).flat(), ...(r.parent ? [r.parent] : [])];
  const seen = new Set<string>();
  const pending = direct(resource);
  while (pending.length > 0) {
    const next = pending.pop()!;
    if (seen.has(next.urn)) continue;
    seen.add(next.urn);
    pending.push(...direct(next));
  }
  return seen;
}

export const deployJobsBeforeWeb = stackPolicy({
  name: "deploy-jobs-before-web",
  description:
    "migrate, collectstatic and compilemessages each run as a one-shot container (restart no, attached so the deployment waits " +
    "for its exit code) that really runs the command (no --plan, --check, --fake or --dry-run) and whose failure is not swallowed by its " +
    "script (no `|| true`, no trailing `exit 0`); migrate migrates every app (no app label); collectstatic and compilemessages write " +
    "STATIC_ROOT and LOCALE_PATHS into a volume that every web, worker and beat container mounts at the same path; and every web " +
    "container depends on all three.",
  severity: "high",
  remediationSteps:
    'Declare one docker.Container per job with command ["python", "manage.py", "<job>", …] (no flag that skips the work, no shell ' +
    "wrapper that ignores its exit code, no app label after migrate), restart \"no\", attach true; mount one docker.Volume at " +
    `${JOB_OUTPUTS.collectstatic} in collectstatic and every app service, another at ${JOB_OUTPUTS.compilemessages} in compilemessages and every ` +
    "app service; and add the three jobs to the web container's dependsOn.",
  framework: checklistFramework("12.1", "12.2", "12.3"),
  validateStack: (args, report) => {
    const jobs = new Map<string, PolicyResource[]>();
    for (const c of containers(args.resources)) {
      const job = managementJob(c);
      if (job === undefined || !(DEPLOY_JOBS as readonly string[]).includes(job.command)) continue;
      jobs.set(job.command, [...(jobs.get(job.command) ?? []), c]);
      if (job.noop) report(`Job ${containerName(c)} runs ${job.noop}: the deployment goes on as if it had run.`, c.urn);
      if (job.masked) report(`Job ${containerName(c)} cannot fail: ${job.masked}, so a failed manage.py ${job.command} does not stop the deployment.`, c.urn);
      if (job.partial) report(`Job ${containerName(c)} runs ${job.partial}: the deployment goes on with the other apps' migrations unapplied.`, c.urn);
    }
    // The jobs' output must reach every long-running app process through one volume: written
    // anywhere else, it is lost with the job's container and the services keep the old files.
    const services = appServices(args.resources);
    for (const job of ["collectstatic", "compilemessages"] as const) {
      const path = JOB_OUTPUTS[job];
      for (const c of jobs.get(job) ?? []) {
        const written = storageOf(c, path);
        if (written.key === undefined) {
          report(`Job ${containerName(c)} writes ${path} (manage.py ${job}'s output) into ${written.text}, which goes with the job's container: no app container ever reads it.`, c.urn);
          continue;
        }
        for (const service of services) {
          const read = storageOf(service, path);
          if (read.key !== written.key) {
            report(`Container ${containerName(service)} reads ${path} from ${read.text}, not from ${written.text}, where ${containerName(c)} writes manage.py ${job}'s output.`, service.urn);
          }
        }
      }
    }
    for (const job of DEPLOY_JOBS) {
      const found = jobs.get(job) ?? [];
      if (found.length === 0) report(`No one-shot container runs manage.py ${job}.`);
      for (const c of found) {
        const restart = known(() => c.props.restart as string | undefined);
        if (restart !== UNKNOWN && (restart ?? "no") !== "no") report(`Job ${containerName(c)} has restart "${restart}": a one-shot job would be re-run forever.`, c.urn);
        // Without attach, Pulumi considers the container done once it is created, not once the job succeeded.
        const attach = known(() => c.props.attach as boolean | undefined);
        if (attach !== UNKNOWN && attach !== true) report(`Job ${containerName(c)} is not attached: the deployment does not wait for manage.py ${job} to succeed.`, c.urn);
      }
    }
    const webs = appServices(args.resources).filter((c) => WEB_SERVER.test(containerRuntime(c).launch.argv.join(" ")));
    if (webs.length === 0) report("No web container (an app container running gunicorn, uvicorn, daphne or uwsgi) is in the stack.");
    for (const web of webs) {
      const before = transitiveDependencies(web);
      const missing = DEPLOY_JOBS.filter((job) => !(jobs.get(job) ?? []).some((c) => before.has(c.urn)));
      if (missing.length > 0) report(`Web container ${containerName(web)} does not depend on: ${missing.join(", ")}.`, web.urn);
    }
  },
});

export const section12Policies: readonly ChecklistPolicy[] = [deployJobsBeforeWeb];

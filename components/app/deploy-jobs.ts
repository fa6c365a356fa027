// The deploy jobs' outcome as the services' precondition. pulumi-docker's `attach` waits for a job to
// exit but never fails the update on a non-zero exit: the code is only recorded in the container's
// `exitCode` output. So the services read that output through jobsSucceeded(): an apply that fails
// the update, naming each failed job, before web, worker or beat exist.
import * as pulumi from "@pulumi/pulumi";

export interface DeployJob {
  /** Container name (its logs: `docker logs <name>`). */
  readonly containerName: string;
  /** The job container's exitCode output; unknown at preview, known once the job ran. */
  readonly exitCode: pulumi.Output<number | undefined>;
}

/** One sentence per job that did not exit 0; empty when all succeeded. Pure. */
export function deployJobFailures(results: readonly { readonly containerName: string; readonly exitCode: number | undefined }[]): string[] {
  return results
    .filter((r) => r.exitCode !== 0)
    .map((r) => r.exitCode === undefined
      ? `${r.containerName} reported no exit code (it did not run to its end)`
      : `${r.containerName} exited ${r.exitCode} (its output: docker logs ${r.containerName})`);
}

/**
 * `value` once every job exited 0; otherwise the update fails with every failed job named. A job
 * that failed stays in the stack's state with its exit code, so the next `pulumi up` refuses too
 * until the job runs again successfully (a new image, or `pulumi up --replace` of the job).
 */
export function jobsSucceeded(jobs: readonly DeployJob[], value: pulumi.Input<string>, component: pulumi.Resource): pulumi.Output<string> {
  // A preview runs no job, so there is no exit code to check: it shows the value the update will set
  // (known, so the policies that read the services' labels decide at preview). web, worker and beat
  // depend on the jobs explicitly as well.
  if (pulumi.runtime.isDryRun()) return pulumi.output(value);
  const results = pulumi.all(jobs.map((job) => job.exitCode.apply((exitCode) => ({ containerName: job.containerName, exitCode }))));
  return pulumi.all([results, value]).apply(([known, passed]) => {
    const failures = deployJobFailures(known);
    if (failures.length > 0) {
      throw new pulumi.ResourceError(
        `deploy job failed: ${failures.join("; ")}. web, worker and beat are not started on an unprepared release. ` +
          "Fix the cause, then run the job again: deploy a new image, or `pulumi up --replace <the job's URN>`.",
        component,
      );
    }
    return passed;
  });
}

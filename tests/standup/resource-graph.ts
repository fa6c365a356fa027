// The order the engine creates a program's resources in: a resource starts once everything it
// depends on exists (its dependencies, property dependencies and provider), independent ones in
// parallel. Components are not created; depending on one means depending on all its descendants.
import type { DeclaredResource } from "./program/declared-stack";

/** "<provider urn>::<id>" -> the provider's URN. */
export const providerUrn = (ref: string): string => ref.slice(0, ref.lastIndexOf("::"));

export class ResourceGraph {
  readonly byUrn: ReadonlyMap<string, DeclaredResource>;
  private readonly children = new Map<string, DeclaredResource[]>();

  constructor(readonly resources: readonly DeclaredResource[]) {
    this.byUrn = new Map(resources.map((r) => [r.urn, r]));
    for (const r of resources) if (r.parent) (this.children.get(r.parent) ?? this.children.set(r.parent, []).get(r.parent)!).push(r);
  }

  /** The custom resources `urn` stands for: itself, or every custom descendant of a component. */
  private customsOf(urn: string): string[] {
    const r = this.byUrn.get(urn);
    if (!r) throw new Error(`a dependency on ${urn}, which the program never registered`);
    if (r.custom) return [urn];
    return (this.children.get(urn) ?? []).flatMap((child) => this.customsOf(child.urn));
  }

  /** The custom resources `resource` waits for. */
  dependenciesOf(resource: DeclaredResource): string[] {
    const direct = [...resource.dependencies, ...Object.values(resource.propertyDependencies).flat(), ...(resource.providerRef ? [providerUrn(resource.providerRef)] : [])];
    return [...new Set(direct.flatMap((urn) => this.customsOf(urn)))].filter((urn) => urn !== resource.urn);
  }

  /** Runs `apply` for every custom resource in dependency order; the first failure stops what has not started. */
  async run(apply: (resource: DeclaredResource) => Promise<void>): Promise<void> {
    const done = new Map<string, Promise<void>>();
    let failed = false;
    const start = (resource: DeclaredResource, path: string[]): Promise<void> => {
      const existing = done.get(resource.urn);
      if (existing) return existing;
      if (path.includes(resource.urn)) throw new Error(`dependency cycle: ${[...path, resource.urn].join(" -> ")}`);
      const promise = Promise.all(this.dependenciesOf(resource).map((urn) => start(this.byUrn.get(urn)!, [...path, resource.urn]))).then(() => {
        if (failed) throw new Error(`${resource.name}: not started, an earlier resource failed`);
        return apply(resource);
      });
      promise.catch(() => {
        failed = true;
      });
      done.set(resource.urn, promise);
      return promise;
    };
    const results = await Promise.allSettled(this.resources.filter((r) => r.custom).map((r) => start(r, [])));
    const first = results.find((r): r is PromiseRejectedResult => r.status === "rejected" && !/not started, an earlier resource failed/.test(String(r.reason?.message)));
    const any = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (first ?? any) throw (first ?? any)!.reason;
  }
}

// The dependencies of the resources a program has registered so far: a resource waits for its
// dependencies, property dependencies and provider. Components are not created; depending on one
// means depending on all its descendants. (The order itself is the SDK's: it registers a resource
// only once everything it depends on has been created.)
import type { DeclaredResource } from "./program/declared-stack";

/** "<provider urn>::<id>" -> the provider's URN. */
export const providerUrn = (ref: string): string => ref.slice(0, ref.lastIndexOf("::"));

export class ResourceGraph {
  private readonly known = new Map<string, DeclaredResource>();
  private readonly children = new Map<string, DeclaredResource[]>();

  constructor(resources: readonly DeclaredResource[] = []) {
    for (const r of resources) this.add(r);
  }

  get byUrn(): ReadonlyMap<string, DeclaredResource> {
    return this.known;
  }

  get resources(): DeclaredResource[] {
    return [...this.known.values()];
  }

  /** A resource as it is registered (the engine's order: after everything it depends on). */
  add(resource: DeclaredResource): void {
    this.known.set(resource.urn, resource);
    if (resource.parent) (this.children.get(resource.parent) ?? this.children.set(resource.parent, []).get(resource.parent)!).push(resource);
  }

  /** The custom resources `urn` stands for: itself, or every custom descendant of a component. */
  private customsOf(urn: string): string[] {
    const r = this.known.get(urn);
    if (!r) throw new Error(`a dependency on ${urn}, which the program never registered`);
    if (r.custom) return [urn];
    return (this.children.get(urn) ?? []).flatMap((child) => this.customsOf(child.urn));
  }

  /** The custom resources `resource` waits for. */
  dependenciesOf(resource: DeclaredResource): string[] {
    const direct = [...resource.dependencies, ...Object.values(resource.propertyDependencies).flat(), ...(resource.providerRef ? [providerUrn(resource.providerRef)] : [])];
    return [...new Set(direct.flatMap((urn) => this.customsOf(urn)))].filter((urn) => urn !== resource.urn);
  }
}

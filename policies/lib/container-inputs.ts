// Reading docker containers (and other resources) the way the engine hands them to a policy: values
// may be unknown at preview (UnknownValueError on access) and optional inputs may be missing.
import { UnknownValueError, type PolicyResource } from "@pulumi/policy";
import { parseImageRef, serviceOfImage, type ServiceKind } from "./containers";
import { CONTAINER } from "./resource-types";
import { knownElements as splitKnown, readKnown } from "./unknowns";

/** Marks a value that is not known before deployment. */
export const UNKNOWN = Symbol("unknown");
export type Maybe<T> = T | typeof UNKNOWN;

/** Runs `read`, turning an unknown value into UNKNOWN; every other error propagates. */
export function known<T>(read: () => T): Maybe<T> {
  const readout = readKnown(read);
  return readout.known ? readout.value : UNKNOWN;
}

/** Elements of an array input: the known ones and how many are unknown (a missing array is empty). */
export function knownElements<T>(read: () => readonly T[] | undefined): { values: T[]; unknown: number } {
  const array = known(read);
  if (array === UNKNOWN) return { values: [], unknown: 1 };
  if (!Array.isArray(array)) return { values: [], unknown: 0 };
  const split = splitKnown<T>(array);
  return { values: split.known, unknown: split.unknown.length };
}

/** The engine's sentinel for an unknown string; UnknownValueError names the value's kind from it. */
const UNKNOWN_STRING_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A value a rule needs was unknown: thrown so the pack reports the policy as undecidable at preview. */
export function undecidable(what: string): never {
  throw new UnknownValueError(UNKNOWN_STRING_SENTINEL, what.split("."));
}

export function containers(resources: readonly PolicyResource[]): PolicyResource[] {
  return resources.filter((r) => r.type === CONTAINER);
}

/**
 * Reports that the stack lacks a service, unless some container's image is unknown at preview:
 * that container may be the service, so the verdict waits (undecidable) instead of failing.
 */
export function reportMissingService(resources: readonly PolicyResource[], report: (message: string) => void, message: string): void {
  if (containers(resources).some((c) => known(() => c.props.image) === UNKNOWN)) undecidable("image");
  report(message);
}

/** The image reference, or "" when it is unknown at preview. */
export function imageOf(container: PolicyResource): string {
  const image = known(() => container.props.image as string | undefined);
  return typeof image === "string" ? image : "";
}

/** The container runs this data or edge service, recognised by its image name (containers.ts). */
export function runsService(container: PolicyResource, service: ServiceKind): boolean {
  return serviceOfImage(parseImageRef(imageOf(container))) === service;
}

export function runsImage(container: PolicyResource, repository: RegExp): boolean {
  return repository.test(parseImageRef(imageOf(container)).repository.replace(/^library\//, ""));
}

export interface UploadView {
  readonly file: string;
  /** UNKNOWN when the content holds a value unknown at preview. */
  readonly content: Maybe<string>;
}

export function uploadsOf(container: PolicyResource): UploadView[] {
  const { values } = knownElements(() => container.props.uploads as { file: string; content?: string }[] | undefined);
  return values.flatMap((u) => {
    const file = known(() => u.file);
    if (typeof file !== "string") return [];
    const content = known(() => u.content);
    return [{ file, content: content === UNKNOWN ? UNKNOWN : (content ?? "") }];
  });
}

/** Content of the upload at a path matching `file`; undefined if there is none; throws if its content is unknown. */
export function uploadText(container: PolicyResource, file: string | RegExp): string | undefined {
  const upload = uploadsOf(container).find((u) => (typeof file === "string" ? u.file === file : file.test(u.file)));
  if (!upload) return undefined;
  if (upload.content === UNKNOWN) undecidable(`uploads[${upload.file}].content`);
  return upload.content;
}

/** command + entrypoints as one list of known strings (argv of the container's main process). */
export function argvOf(container: PolicyResource): string[] {
  const entry = knownElements(() => container.props.entrypoints as string[] | undefined).values;
  const command = knownElements(() => container.props.command as string[] | undefined).values;
  return [...entry, ...command].filter((s): s is string => typeof s === "string");
}

/** The container's name as Docker knows it (its `name` input), else the Pulumi resource name. */
export function containerName(container: PolicyResource): string {
  const name = known(() => container.props.name as string | undefined);
  return typeof name === "string" && name !== "" ? name : container.name;
}

/** A string property or "" if missing; throws (undecidable) if unknown. */
export function stringProp(resource: PolicyResource, read: (props: Record<string, unknown>) => unknown): string {
  const value = known(() => read(resource.props));
  if (value === UNKNOWN) undecidable(`${resource.name} property`);
  return typeof value === "string" ? value : "";
}

// The declared containers as Docker should run them: the docker.Container inputs, read with the
// provider's defaults where an input is left out (restart "no", a port's ip 0.0.0.0 and protocol tcp).
import { containerEnv, stringList, uploadTextAt } from "../../policies/lib/containers";
import { asArray, asNumber, asRecord, asString, type PropRecord } from "../../policies/lib/values";
import { CONTAINER, isUnknownValue, ofType, type DeclaredStack } from "./declared-stack";

export interface DeclaredPort {
  readonly internal: number;
  readonly external: number;
  readonly ip: string;
  readonly protocol: string;
}

export interface DeclaredContainer {
  readonly resource: string;
  readonly name: string;
  readonly image: string;
  readonly user: string;
  readonly capAdd: readonly string[];
  readonly capDrop: readonly string[];
  readonly securityOpts: readonly string[];
  readonly readOnly: boolean;
  /** MiB; undefined when not limited. */
  readonly memoryMb?: number;
  readonly memorySwapMb?: number;
  readonly cpus?: number;
  readonly pidsLimit?: number;
  readonly restart: string;
  /** Docker's healthcheck test, undefined when none is declared. */
  readonly healthcheck?: readonly string[];
  readonly ports: readonly DeclaredPort[];
  readonly networks: readonly { readonly name: string; readonly aliases: readonly string[]; readonly ipv4Address?: string }[];
  /** Volume name or host path -> container path. */
  readonly mounts: readonly { readonly source: string; readonly target: string; readonly readOnly: boolean }[];
  /** A one-shot job (migrate, collectstatic …): runs to completion, never "running". */
  readonly oneShot: boolean;
  readonly env: ReadonlyMap<string, string>;
  readonly inputs: PropRecord;
}

/** CAP_NET_BIND_SERVICE and NET_BIND_SERVICE are the same capability to Docker. */
export const capabilityName = (cap: string): string => cap.toUpperCase().replace(/^CAP_/, "");

const knownString = (value: unknown): string | undefined => (isUnknownValue(value) ? undefined : asString(value));

function declaredContainer(resource: string, inputs: PropRecord): DeclaredContainer {
  const caps = asRecord(inputs.capabilities) ?? {};
  const health = asRecord(inputs.healthcheck);
  const mounts = [
    ...asArray(inputs.volumes).map((raw) => {
      const v = asRecord(raw) ?? {};
      return { source: asString(v.volumeName) ?? asString(v.hostPath) ?? "", target: asString(v.containerPath) ?? "", readOnly: v.readOnly === true };
    }),
    ...asArray(inputs.mounts).map((raw) => {
      const m = asRecord(raw) ?? {};
      return { source: asString(m.source) ?? "", target: asString(m.target) ?? "", readOnly: m.readOnly === true };
    }),
  ];
  return {
    resource,
    name: knownString(inputs.name) ?? resource,
    image: knownString(inputs.image) ?? "",
    user: asString(inputs.user) ?? "",
    capAdd: stringList(caps.adds).map(capabilityName),
    capDrop: stringList(caps.drops).map(capabilityName),
    securityOpts: stringList(inputs.securityOpts),
    readOnly: inputs.readOnly === true,
    memoryMb: asNumber(inputs.memory),
    memorySwapMb: asNumber(inputs.memorySwap),
    cpus: asNumber(inputs.cpus),
    pidsLimit: asNumber(inputs.pidsLimit),
    restart: asString(inputs.restart) ?? "no",
    healthcheck: health ? stringList(health.tests) : undefined,
    ports: asArray(inputs.ports).map((raw) => {
      const p = asRecord(raw) ?? {};
      const internal = asNumber(p.internal) ?? 0;
      return { internal, external: asNumber(p.external) ?? internal, ip: asString(p.ip) ?? "0.0.0.0", protocol: asString(p.protocol) ?? "tcp" };
    }),
    networks: asArray(inputs.networksAdvanced).map((raw) => {
      const n = asRecord(raw) ?? {};
      return { name: asString(n.name) ?? "", aliases: stringList(n.aliases), ipv4Address: asString(n.ipv4Address) };
    }),
    mounts,
    oneShot: inputs.attach === true || inputs.mustRun === false,
    env: containerEnv(inputs).values,
    inputs,
  };
}

export function declaredContainers(stack: DeclaredStack): DeclaredContainer[] {
  return ofType(stack, CONTAINER).map((r) => declaredContainer(r.name, r.inputs));
}

/** The container `name`, or an error naming what the program declares. */
export function containerNamed(containers: readonly DeclaredContainer[], name: string): DeclaredContainer | undefined {
  return containers.find((c) => c.name === name);
}

/** The text the program uploads to `file` in this container (undefined when unknown at preview or absent). */
export function uploadText(container: DeclaredContainer, file: string): string | undefined {
  try {
    const text = uploadTextAt(container.inputs, file);
    return text === undefined || isUnknownValue(text) ? undefined : text;
  } catch {
    return undefined;
  }
}

/** Every upload path with known text matching `pattern`. */
export function uploadsMatching(container: DeclaredContainer, pattern: RegExp): { file: string; text: string }[] {
  return asArray(container.inputs.uploads).flatMap((raw) => {
    const u = asRecord(raw) ?? {};
    const file = asString(u.file);
    const text = asString(u.content);
    return file && pattern.test(file) && text !== undefined && !isUnknownValue(text) ? [{ file, text }] : [];
  });
}

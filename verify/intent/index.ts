// The whole declared intent verify compares the live stack with, read once from one program run.
import type { StackConfig } from "../../check/stack-config";
import { asString } from "../../policies/lib/values";
import { declaredApp, type DeclaredApp } from "./app";
import { declaredBackups, type DeclaredBackups } from "./backups";
import { declaredContainers, type DeclaredContainer } from "./containers";
import { declaredStack, policyResources, type DeclaredStack } from "./declared-stack";
import { declaredRecords, type DeclaredRecord } from "./dns";
import { declaredAlertmanager, declaredPrometheus, type DeclaredAlertmanager, type DeclaredPrometheus } from "./monitoring";
import { declaredEdge, type DeclaredEdge } from "./nginx";

/** certbot renews a certificate this many days before it expires unless its renewal config says otherwise. */
export const CERTBOT_RENEW_BEFORE_EXPIRY_DAYS = 30;

export interface StackIntent {
  readonly stack: DeclaredStack;
  readonly containers: readonly DeclaredContainer[];
  readonly edge: DeclaredEdge;
  readonly records: readonly DeclaredRecord[];
  readonly app?: DeclaredApp;
  readonly backups?: DeclaredBackups;
  readonly prometheus?: DeclaredPrometheus;
  readonly alertmanager?: DeclaredAlertmanager;
  /** The Docker provider's `host` (unix://, tcp://, ssh://); undefined: the provider's default (DOCKER_HOST or the local socket). */
  readonly dockerHost?: string;
  /** Days before expiry a renewal is due; undefined when nothing renews the certificate. */
  readonly renewalWindowDays?: number;
}

export function intentOf(stack: DeclaredStack): StackIntent {
  const containers = declaredContainers(stack);
  const resources = policyResources(stack);
  const prometheus = declaredPrometheus(resources);
  const provider = stack.resources.find((r) => r.type === "pulumi:providers:docker");
  const renews = containers.some((c) => c.inputs.command !== undefined && /certbot\s+renew/.test(JSON.stringify(c.inputs.command)));
  return {
    stack,
    containers,
    edge: declaredEdge(resources),
    records: declaredRecords(stack),
    app: declaredApp(stack, containers),
    backups: declaredBackups(resources),
    prometheus,
    alertmanager: declaredAlertmanager(resources, containers, prometheus),
    dockerHost: asString(provider?.inputs.host),
    renewalWindowDays: renews ? CERTBOT_RENEW_BEFORE_EXPIRY_DAYS : undefined,
  };
}

export async function readIntent(stackConfig: StackConfig): Promise<StackIntent> {
  return intentOf(await declaredStack(stackConfig));
}

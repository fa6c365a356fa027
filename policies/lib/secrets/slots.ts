// Where secrets are consumed: each place one value lands (a secret file, an env entry, an uploaded
// config, a role's password, an argument), what kind of secret it is, its content when the preview
// knows it, and the resources its property was computed from. The engine gives AnalyzeStack one
// list of source resources per TOP-LEVEL property (the SDK's propertyDependencies: every resource
// behind any Output inside `uploads`, say, whatever entry it reached), so a property with several
// secrets lists several producers; lib/secrets/flow.ts attributes them.
import type { PolicyResource } from "@pulumi/policy";
import { SECRETS_DIR } from "../app-settings";
import { isUnknownInput, list, rec, snapshotOf, str, type Snapshot } from "../docker/snapshot";
import { PG_ROLE } from "../resource-types";
import { CONTAINER } from "../resource-types";
import { producerOf, type Producer } from "./producers";

export type SlotKind = "django-key" | "fernet" | "password" | "secret" | "unnamed-env" | "issued" | "certificate" | "key";

export interface Slot {
  /** "/run/secrets/DJANGO_SECRET_KEY", "env entry #3", "password" … */
  readonly label: string;
  readonly kind: SlotKind;
  /** The app setting it sets, when it is one. */
  readonly setting?: string;
  /** Known content; undefined while unknown at preview. */
  readonly content?: string;
}

export interface ConsumedProperty {
  readonly consumer: PolicyResource;
  readonly property: string;
  readonly slots: readonly Slot[];
  /** The property's sources, through resources that only pass a password on (roles, the postgresql provider). */
  readonly producers: readonly Producer[];
}

export const FERNET_SETTINGS = ["BACKUP_ENCRYPTION_KEY", "FIELD_ENCRYPTION_KEY"];
/** Settings that carry a database or Redis password (the URL ones in their user-info). */
const PASSWORD_SETTINGS = /(PASSWORD|PASSWD|_PASS)$|^(DATABASE_URL|REDIS_URL|CELERY_BROKER_URL|CELERY_RESULT_BACKEND|CACHE_URL|BROKER_URL)$/i;
/** Credentials issued by a provider (API keys, tokens, DSNs, the SMTP password of a mail provider). */
const ISSUED_SETTINGS = /^(AWS_|STRIPE_|TWILIO_|SENTRY_|SENDGRID_|MAILGUN_|GOLD_API|METALS_API|EMAIL_HOST_PASSWORD$)|(_API_KEY|_TOKEN|_DSN)$/i;

export function settingKind(name: string): SlotKind {
  if (name === "DJANGO_SECRET_KEY") return "django-key";
  if (FERNET_SETTINGS.includes(name)) return "fernet";
  if (ISSUED_SETTINGS.test(name)) return "issued";
  if (PASSWORD_SETTINGS.test(name)) return "password";
  return "secret";
}

function fileKind(path: string): SlotKind {
  const base = path.slice(path.lastIndexOf("/") + 1);
  if (/(\.key$|privkey|private)/i.test(base)) return "key";
  if (/\.(crt|pem|cert)$/i.test(base)) return "certificate";
  return "secret";
}

const PASS_THROUGH = new Set([PG_ROLE, "pulumi:providers:postgresql"]);

/** The producers behind a property, following pass-through resources to their own password sources. */
export function producersOf(resource: PolicyResource, property: string, seen: Set<string> = new Set()): Producer[] {
  const producers: Producer[] = [];
  for (const source of resource.propertyDependencies[property] ?? []) {
    if (seen.has(source.urn)) continue;
    seen.add(source.urn);
    if (PASS_THROUGH.has(source.type)) producers.push(...producersOf(source, "password", seen));
    else producers.push(producerOf(source));
  }
  return producers;
}

const text = (value: Snapshot): string | undefined => (isUnknownInput(value) ? undefined : str(value) ?? "");

function uploadSlots(uploads: Snapshot): Slot[] {
  return list(uploads).flatMap((entry, i): Slot[] => {
    if (isUnknownInput(entry)) return [{ label: `upload #${i + 1}`, kind: "secret" }];
    const upload = rec(entry) ?? {};
    const file = str(upload.file) ?? "";
    const content = isUnknownInput(upload.content) || isUnknownInput(upload.contentBase64) ? undefined
      : str(upload.content) ?? (typeof upload.contentBase64 === "string" ? Buffer.from(upload.contentBase64, "base64").toString("utf8") : "");
    const setting = file.startsWith(`${SECRETS_DIR}/`) ? file.slice(SECRETS_DIR.length + 1) : undefined;
    return [{ label: file || `upload #${i + 1}`, kind: setting ? settingKind(setting) : fileKind(file), setting, content }];
  });
}

function envSlots(envs: Snapshot): Slot[] {
  return list(envs).map((entry, i): Slot => {
    const value = text(entry);
    if (value === undefined) return { label: `env entry #${i + 1} (name unknown at preview)`, kind: "unnamed-env" };
    const name = value.slice(0, Math.max(0, value.indexOf("=")));
    return { label: `env ${name}`, kind: settingKind(name), setting: name, content: value.slice(value.indexOf("=") + 1) };
  });
}

/** Elements of a list input (argv, healthcheck test) unknown at preview: each may carry a secret. */
const argumentSlots = (value: Snapshot, what: string): Slot[] =>
  (isUnknownInput(value) ? [value] : list(value)).flatMap((v, i) => (isUnknownInput(v) ? [{ label: `${what} argument #${i + 1}`, kind: "secret" as const }] : []));

/** Every property of the stack through which a generated secret can reach a consumer. */
export function consumedProperties(resources: readonly PolicyResource[]): ConsumedProperty[] {
  const found: ConsumedProperty[] = [];
  const add = (consumer: PolicyResource, property: string, slots: Slot[]) => {
    const producers = producersOf(consumer, property);
    if (producers.length > 0 || slots.some((s) => s.content === undefined)) found.push({ consumer, property, slots, producers });
  };
  for (const r of resources) {
    if (r.type === CONTAINER) {
      const p = snapshotOf(r.props);
      add(r, "envs", envSlots(p.envs));
      add(r, "uploads", uploadSlots(p.uploads));
      add(r, "command", argumentSlots(p.command, "command"));
      add(r, "entrypoints", argumentSlots(p.entrypoints, "entrypoint"));
      add(r, "healthcheck", argumentSlots(rec(p.healthcheck)?.tests, "healthcheck"));
    } else if (r.type === PG_ROLE || r.type === "pulumi:providers:postgresql") {
      const p = snapshotOf(r.props);
      if (p.password !== undefined) add(r, "password", [{ label: "password", kind: "password", content: text(p.password) }]);
    }
  }
  return found;
}

// "Does the app get setting NAME, and what is it?" — one answer for every section. A setting reaches
// the app as a plain env entry NAME=value or as a secret file /run/secrets/NAME (Docker's secrets
// convention; the program's entrypoint exports each file as the variable of its name, and the file
// wins over an env entry). A secret env entry is unknown at preview as a whole, name included; a
// secret file's PATH stays known, so presence is read from the path, never from unknown content.
import type { PolicyResource, UnknownValueError } from "@pulumi/policy";
import { OFFLINE_SECRET_PLACEHOLDER } from "./offline-secret";
import { containerEnv, uploadContent, uploadEntries } from "./containers";
import { sourcesOf } from "./stack-resources";
import { readKnown, undecidable } from "./unknowns";
import { asString, type PropRecord } from "./values";

export const SECRETS_DIR = "/run/secrets";

export type AppSetting =
  | { readonly kind: "env"; readonly value: string }
  /** `content` is undefined while the preview cannot read it (a generated secret on a first deployment). */
  | { readonly kind: "secret-file"; readonly content?: string };

/** A container as policies see it (resource policy args or a stack resource). */
type HasProps = { readonly props: PropRecord };

export interface AppSettings {
  /** The setting among the entries the preview can read; undefined may still hide in `hidden`. */
  readonly get: (name: string) => AppSetting | undefined;
  /** Env entries and uploads unknown as a whole: each may hold one setting of any name. */
  readonly hidden: readonly UnknownValueError[];
}

const secretName = (path: string): string | undefined =>
  path.startsWith(`${SECRETS_DIR}/`) && !path.slice(SECRETS_DIR.length + 1).includes("/") ? path.slice(SECRETS_DIR.length + 1) : undefined;

/** Reads `envs` and the `file` of each upload (a content only where known), once per container. */
export function appSettings(container: HasProps): AppSettings {
  const env = containerEnv(container.props);
  const uploads = uploadEntries(container.props);
  const files = new Map<string, string | undefined>();
  for (const upload of uploads.known) {
    const name = secretName(asString(upload.file) ?? "");
    if (!name) continue;
    const content = readKnown(() => uploadContent(upload));
    files.set(name, content.known ? (content.value ?? "") : undefined);
  }
  return {
    get: (name) => {
      if (files.has(name)) return { kind: "secret-file", content: files.get(name) };
      const value = env.values.get(name);
      return value === undefined ? undefined : { kind: "env", value };
    },
    hidden: [...env.unknown, ...uploads.unknown],
  };
}

/** The setting, or undefined when surely unset; undecidable (rethrows) while a hidden entry could be it. */
export function appSetting(container: HasProps, name: string): AppSetting | undefined {
  const settings = appSettings(container);
  const setting = settings.get(name);
  if (setting === undefined && settings.hidden.length > 0) throw settings.hidden[0];
  return setting;
}

/**
 * The value when the preview can read it. Undefined for unknown content and for the offline check's
 * stand-in for a `secure:` config value it cannot decrypt: both are present, secret and unreadable.
 */
export function readableValue(setting: AppSetting): string | undefined {
  const value = setting.kind === "env" ? setting.value : setting.content;
  return value === OFFLINE_SECRET_PLACEHOLDER ? undefined : value;
}

/** Set and not blank; an unreadable secret counts as set (it comes from a generator or secret config). */
export function isNonEmpty(setting: AppSetting | undefined): boolean {
  if (setting === undefined) return false;
  const value = setting.kind === "env" ? setting.value : setting.content;
  return value === undefined || value.trim() !== "";
}

/** Whether the app gets `name`, non-empty (undecidable while a hidden entry could be it). */
export const isAppSettingSet = (container: HasProps, name: string): boolean => isNonEmpty(appSetting(container, name));

/**
 * The value of a setting a rule must READ (DEBUG, SITE_URL …): undefined when unset; undecidable
 * when it is a secret the preview cannot read.
 */
export function appSettingValue(container: HasProps, name: string): string | undefined {
  const setting = appSetting(container, name);
  if (setting === undefined) return undefined;
  const value = readableValue(setting);
  if (value === undefined) undecidable(setting.kind === "env" ? `envs.${name}` : `uploads[${SECRETS_DIR}/${name}].content`);
  return value;
}

/** Generator resources of `type` that an app's env entries or secret files were computed from. */
export function settingSources(resource: PolicyResource, type: string): PolicyResource[] {
  return [...new Set(["envs", "uploads"].flatMap((property) => sourcesOf(resource, property, type)))];
}

// "Does the app get setting NAME, and what is it?" — one answer for every section, from the app
// container's effective settings (lib/app/effective-settings.ts): Docker's env, the secrets loader's
// files (/run/secrets/NAME, exported over an env entry of that name when the entrypoint runs the
// loader) and the command line. A secret env entry is unknown at preview as a whole, name included;
// a secret file's PATH stays known, so presence is read from the path, never from unknown content.
import type { PolicyResource, UnknownValueError } from "@pulumi/policy";
import { OFFLINE_SECRET_PLACEHOLDER } from "./offline-secret";
import { effectiveSettings, type EffectiveSetting } from "./app/effective-settings";
import { sourcesOf } from "./stack-resources";
import { undecidable } from "./unknowns";

export const SECRETS_DIR = "/run/secrets";

interface SettingOrigin {
  /** Where the value comes from, for messages. */
  readonly where?: string;
  /** Every value a repeated channel may give (see EffectiveSetting.candidates). */
  readonly candidates?: readonly string[];
}

export type AppSetting =
  | ({ readonly kind: "env"; readonly value: string } & SettingOrigin)
  /** `content` is undefined while the preview cannot read it (a generated secret on a first deployment). */
  | ({ readonly kind: "secret-file"; readonly content?: string } & SettingOrigin);

/** A container as policies see it (resource policy args or a stack resource). */
type HasProps = { readonly urn: string; readonly name: string; readonly props: unknown };

export interface AppSettings {
  /** The setting among the entries the preview can read; undefined may still hide in `hidden`. */
  readonly get: (name: string) => AppSetting | undefined;
  /** Env entries and uploads unknown as a whole: each may hold one setting of any name. */
  readonly hidden: readonly UnknownValueError[];
}

const asAppSetting = (s: EffectiveSetting): AppSetting =>
  s.source === "secret-file"
    ? { kind: "secret-file", content: s.value, where: s.where, candidates: s.candidates }
    : { kind: "env", value: s.value ?? "", where: s.where, candidates: s.candidates };

/** The container's settings as the app process receives them, built once per container. */
export function appSettings(container: HasProps): AppSettings {
  const settings = effectiveSettings(container);
  return {
    get: (name) => {
      const setting = settings.get(name);
      return setting && asAppSetting(setting);
    },
    hidden: settings.hidden,
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

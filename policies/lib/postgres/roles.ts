// Database roles as the stack declares them (@pulumi/postgresql Role with its `roles` memberships,
// GrantRole), plus the image's bootstrap superuser and PostgreSQL's predefined roles. A member of a
// role can SET ROLE to it (PostgreSQL 15; 16's grants default to SET TRUE, which is what the provider
// issues), so whatever a role reaches through memberships is what a session logged in as it can use:
// attributes such as SUPERUSER or BYPASSRLS are not inherited, but they are one SET ROLE away.
import type { PolicyResource } from "@pulumi/policy";
import { PG_GRANT_ROLE, PG_ROLE } from "../resource-types";
import { ofType } from "../stack-resources";
import { asArray, asBoolean, asString } from "../values";

export type RoleAttribute = "superuser" | "createDatabase" | "createRole" | "bypassRowLevelSecurity" | "replication";
export const ROLE_ATTRIBUTES: readonly RoleAttribute[] = ["superuser", "createDatabase", "createRole", "bypassRowLevelSecurity", "replication"];

export interface DbRole {
  readonly name: string;
  /** Attributes it has itself (the provider's defaults: all false). */
  readonly attributes: ReadonlySet<RoleAttribute>;
  /** Roles it is a direct member of. */
  readonly memberOf: readonly string[];
  readonly resource?: PolicyResource;
}

/** Predefined roles whose members can read or write server files or run programs: superuser in effect. */
export const SERVER_ACCESS_ROLES: ReadonlySet<string> = new Set(["pg_execute_server_program", "pg_read_server_files", "pg_write_server_files"]);

export interface RoleGraph {
  role(name: string): DbRole | undefined;
  /** The role and every role it reaches through memberships (SET ROLE targets), itself first. */
  reachable(name: string): string[];
  /** Attributes available to a session of `name`, each with the role that carries it. */
  effectiveAttributes(name: string): Array<{ attribute: RoleAttribute; via: string }>;
  /** pg_hba's "+role": the role itself or any role reaching it (superusers get no implicit membership). */
  isMember(user: string, role: string): boolean;
  readonly names: readonly string[];
}

/** Declared roles plus the bootstrap superuser(s) of the PostgreSQL containers (POSTGRES_USER, default postgres). */
export function roleGraph(resources: readonly PolicyResource[], bootstrapSuperusers: readonly string[] = ["postgres"]): RoleGraph {
  const roles = new Map<string, { attributes: Set<RoleAttribute>; memberOf: Set<string>; resource?: PolicyResource }>();
  const entry = (name: string) => {
    let r = roles.get(name);
    if (!r) roles.set(name, (r = { attributes: new Set(), memberOf: new Set() }));
    return r;
  };
  for (const name of bootstrapSuperusers) entry(name).attributes.add("superuser");
  for (const resource of ofType(resources, PG_ROLE)) {
    const name = asString(resource.props.name) ?? resource.name;
    const r = entry(name);
    r.resource = resource;
    for (const attribute of ROLE_ATTRIBUTES) if (asBoolean(resource.props[attribute]) === true) r.attributes.add(attribute);
    for (const parent of asArray(resource.props.roles)) if (typeof parent === "string") r.memberOf.add(parent);
  }
  for (const grant of ofType(resources, PG_GRANT_ROLE)) {
    const member = asString(grant.props.role);
    const granted = asString(grant.props.grantRole);
    if (member && granted) entry(member).memberOf.add(granted);
  }
  const reachable = (name: string): string[] => {
    const seen = [name];
    for (let i = 0; i < seen.length; i++) {
      for (const parent of roles.get(seen[i]!)?.memberOf ?? []) if (!seen.includes(parent)) seen.push(parent);
    }
    return seen;
  };
  return {
    names: [...roles.keys()],
    role: (name) => {
      const r = roles.get(name);
      return r && { name, attributes: r.attributes, memberOf: [...r.memberOf], resource: r.resource };
    },
    reachable,
    effectiveAttributes: (name) =>
      reachable(name).flatMap((via) => [...(roles.get(via)?.attributes ?? [])].map((attribute) => ({ attribute, via }))),
    isMember: (user, role) => reachable(user).includes(role),
  };
}

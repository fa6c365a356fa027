// pg_hba.conf as PostgreSQL loads it (hba.c): fields split on blanks, lists on commas (a comma
// followed by blanks continues the list), "quoted" tokens (never keywords; "" is a quote), # comments,
// @file lists relative to the hba file, backslash line continuations, and from PostgreSQL 16 the
// include / include_if_exists / include_dir directives. Records are matched in file order and the
// FIRST one whose type, database, user and address match decides. Any invalid line makes the postmaster
// refuse to start. Proven against pg_hba_file_rules and real connections of PostgreSQL 15
// (tests/servers/postgres-model.test.ts); the include directives exist in 16 only.
import * as path from "node:path";
import { byteOrder, resolveFrom, type ServerFiles } from "../server-files";
import { UNKNOWN } from "../unknowns";
import { cidrContains, parseCidr, parseIp, parseMask, type Cidr } from "../ip";

export type HbaType = "local" | "host" | "hostssl" | "hostnossl" | "hostgssenc" | "hostnogssenc";

export interface HbaToken {
  readonly text: string;
  readonly quoted: boolean;
}

export type HbaAddress =
  | { readonly kind: "all" }
  | { readonly kind: "cidr"; readonly cidr: Cidr }
  /** samehost, samenet, or a host name: decided at connection time from the server's interfaces or DNS. */
  | { readonly kind: "dynamic"; readonly text: string };

export interface HbaRecord {
  readonly file: string;
  readonly line: number;
  readonly type: HbaType;
  readonly databases: readonly HbaToken[];
  readonly users: readonly HbaToken[];
  readonly address?: HbaAddress;
  readonly method: string;
  readonly options: ReadonlyMap<string, string>;
}

export interface HbaFile {
  readonly records: readonly HbaRecord[];
  /** Why the postmaster would refuse to start ("could not load pg_hba.conf"). */
  readonly errors: readonly string[];
  /** Included files whose content is unknown at preview: records may hide there. */
  readonly unknownFiles: readonly string[];
}

export interface HbaOptions {
  /** PostgreSQL major version: include directives need 16. */
  readonly majorVersion: number;
  /** ssl is on: hostssl records match nothing otherwise. */
  readonly ssl: boolean;
}

const TYPES: ReadonlySet<string> = new Set(["local", "host", "hostssl", "hostnossl", "hostgssenc", "hostnogssenc"]);
const METHODS: ReadonlySet<string> = new Set([
  "trust", "reject", "scram-sha-256", "md5", "password", "gss", "sspi", "ident", "peer", "ldap", "radius", "cert", "pam", "bsd",
]);

/** Fields of one logical line: each field a list of tokens. */
function splitFields(line: string): HbaToken[][] {
  const fields: HbaToken[][] = [];
  let i = 0;
  const blank = (c: string | undefined) => c === " " || c === "\t" || c === "\r";
  let field: HbaToken[] = [];
  let continues = false;
  while (i < line.length) {
    while (blank(line[i])) i++;
    if (i >= line.length || line[i] === "#") break;
    let text = "";
    let quoted = false;
    let inQuote = false;
    while (i < line.length) {
      const c = line[i]!;
      if (inQuote) {
        if (c === '"' && line[i + 1] === '"') { text += '"'; i += 2; continue; }
        if (c === '"') { inQuote = false; i++; continue; }
        text += c;
        i++;
        continue;
      }
      if (c === '"') { inQuote = true; quoted = true; i++; continue; }
      if (blank(c) || c === "," || c === "#") break;
      text += c;
      i++;
    }
    field.push({ text, quoted });
    continues = line[i] === ",";
    if (continues) i++;
    if (!continues) {
      fields.push(field);
      field = [];
    }
  }
  if (field.length > 0) fields.push(field);
  return fields;
}

const isKeyword = (t: HbaToken, word: string) => !t.quoted && t.text === word;

interface Context {
  readonly files: ServerFiles;
  readonly options: HbaOptions;
  readonly records: HbaRecord[];
  readonly errors: string[];
  readonly unknownFiles: string[];
}

/** @file lists: names separated by blanks or commas, # comments; relative to the hba file. */
function expandTokens(tokens: readonly HbaToken[], from: string, ctx: Context): HbaToken[] {
  return tokens.flatMap((t) => {
    if (t.quoted || !t.text.startsWith("@") || t.text.length === 1) return [t];
    const file = resolveFrom(from, t.text.slice(1));
    const text = ctx.files.read(file);
    if (text === undefined) {
      ctx.errors.push(`could not open secondary authentication file "${t.text}" as "${file}"`);
      return [];
    }
    if (text === UNKNOWN) {
      ctx.unknownFiles.push(file);
      return [];
    }
    return text.split("\n").flatMap((line) => splitFields(line).flat());
  });
}

function parseRecord(fields: HbaToken[][], file: string, line: number, ctx: Context): HbaRecord | string {
  const typeToken = fields[0]![0]!;
  const type = typeToken.text;
  if (!TYPES.has(type)) return `invalid connection type "${type}"`;
  // With ssl off PostgreSQL only warns ("hostssl record cannot match"): the record stays and matches nothing.
  const [, dbField, userField] = fields;
  if (!dbField) return "end-of-line before database specification";
  if (!userField) return "end-of-line before role specification";
  const databases = expandTokens(dbField, file, ctx);
  const users = expandTokens(userField, file, ctx);
  let next = 3;
  let address: HbaAddress | undefined;
  if (type !== "local") {
    const addressField = fields[next++];
    if (!addressField) return "end-of-line before IP address specification";
    if (addressField.length > 1) return "multiple values specified for host address";
    const token = addressField[0]!;
    if (isKeyword(token, "all")) address = { kind: "all" };
    else if (isKeyword(token, "samehost") || isKeyword(token, "samenet")) address = { kind: "dynamic", text: token.text };
    else if (token.text.includes("/")) {
      const cidr = parseCidr(token.text);
      if (!cidr) return `invalid IP address "${token.text}"`;
      address = { kind: "cidr", cidr };
    } else if (parseIp(token.text)) {
      const maskField = fields[next++];
      if (!maskField) return "end-of-line before netmask specification";
      const cidr = parseMask(token.text, maskField[0]!.text);
      if (!cidr) return `invalid IP mask "${maskField[0]!.text}"`;
      address = { kind: "cidr", cidr };
    } else address = { kind: "dynamic", text: token.text };
  }
  const methodField = fields[next++];
  if (!methodField) return "end-of-line before authentication method";
  if (methodField.length > 1) return "multiple values specified for authentication type";
  let method = methodField[0]!.text;
  if (!METHODS.has(method)) return `invalid authentication method "${method}"`;
  if (type === "local" && method === "ident") method = "peer";
  if (method === "peer" && type !== "local") return "peer authentication is only supported on local sockets";
  if (method === "cert" && type !== "hostssl") return "cert authentication is only supported on hostssl connections";
  const options = new Map<string, string>();
  for (const field of fields.slice(next)) {
    for (const token of field) {
      const eq = token.text.indexOf("=");
      if (eq <= 0) return `authentication option not in name=value format: ${token.text}`;
      options.set(token.text.slice(0, eq), token.text.slice(eq + 1));
    }
  }
  return { file, line, type: type as HbaType, databases, users, address, method, options };
}

function readHbaFile(file: string, depth: number, optional: boolean, ctx: Context): void {
  if (depth > 10) {
    ctx.errors.push(`could not open file "${file}": maximum nesting depth exceeded`);
    return;
  }
  const text = ctx.files.read(file);
  if (text === undefined) {
    if (!optional) ctx.errors.push(`could not open file "${file}": No such file or directory`);
    return;
  }
  if (text === UNKNOWN) {
    ctx.unknownFiles.push(file);
    return;
  }
  const physical = text.split("\n");
  for (let i = 0; i < physical.length; i++) {
    const start = i + 1;
    let line = physical[i]!;
    // Backslash continuations (accepted by PostgreSQL 15 and 16).
    while (/\\\r?$/.test(line) && i + 1 < physical.length) line = line.replace(/\\\r?$/, "") + physical[++i];
    const fields = splitFields(line);
    if (fields.length === 0) continue;
    const first = fields[0]![0]!;
    const directive = !first.quoted && ["include", "include_if_exists", "include_dir"].includes(first.text);
    if (directive && ctx.options.majorVersion >= 16) {
      const target = fields[1]?.[0]?.text;
      if (target === undefined) {
        ctx.errors.push(`missing file name in ${first.text} (${file} line ${start})`);
        continue;
      }
      const resolved = resolveFrom(file, target);
      if (first.text === "include_dir") {
        const listing = ctx.files.list(resolved);
        if (listing === undefined) ctx.errors.push(`could not open directory "${resolved}"`);
        for (const f of (listing ?? []).filter((f) => f.endsWith(".conf") && !path.posix.basename(f).startsWith(".")).sort(byteOrder)) {
          readHbaFile(f, depth + 1, false, ctx);
        }
      } else readHbaFile(resolved, depth + 1, first.text === "include_if_exists", ctx);
      continue;
    }
    const record = parseRecord(fields, file, start, ctx);
    if (typeof record === "string") ctx.errors.push(`${record} (line ${start} of "${file}")`);
    else ctx.records.push(record);
  }
}

export function loadHba(files: ServerFiles, hbaFile: string, options: HbaOptions): HbaFile {
  const ctx: Context = { files, options, records: [], errors: [], unknownFiles: [] };
  readHbaFile(hbaFile, 0, false, ctx);
  return { records: ctx.records, errors: ctx.errors, unknownFiles: ctx.unknownFiles };
}

/** One client connection attempt. */
export interface HbaConnection {
  /** Unix socket or TCP. */
  readonly transport: "local" | "tcp";
  /** TCP with TLS (hostssl) or without (hostnossl); GSS encryption is not used by this stack. */
  readonly tls: boolean;
  /** Client address for TCP. */
  readonly address?: string;
  readonly database: string;
  readonly user: string;
  /** A physical replication connection (only the "replication" keyword matches it). */
  readonly replication?: boolean;
}

/** Whether `user` is a member of `role` (directly or indirectly); superusers only by explicit grant. */
export type MembershipTest = (user: string, role: string) => boolean;

function matchesDatabase(r: HbaRecord, c: HbaConnection, isMember: MembershipTest): boolean {
  return r.databases.some((t) => {
    if (c.replication) return isKeyword(t, "replication");
    if (isKeyword(t, "all")) return true;
    if (isKeyword(t, "sameuser")) return c.database === c.user;
    if (isKeyword(t, "samerole") || isKeyword(t, "samegroup")) return isMember(c.user, c.database);
    if (isKeyword(t, "replication")) return false;
    if (!t.quoted && t.text.startsWith("/")) return safeRegex(t.text.slice(1))?.test(c.database) ?? false;
    return t.text === c.database;
  });
}

function matchesUser(r: HbaRecord, c: HbaConnection, isMember: MembershipTest): boolean {
  return r.users.some((t) => {
    if (isKeyword(t, "all")) return true;
    if (!t.quoted && t.text.startsWith("+")) return isMember(c.user, t.text.slice(1));
    if (!t.quoted && t.text.startsWith("/")) return safeRegex(t.text.slice(1))?.test(c.user) ?? false;
    return t.text === c.user;
  });
}

function safeRegex(source: string): RegExp | undefined {
  try {
    return new RegExp(source);
  } catch {
    return undefined;
  }
}

/** Whether a record's address matches; a dynamic one (host name, samenet) is "maybe". */
function matchesAddress(r: HbaRecord, c: HbaConnection): boolean | "maybe" {
  if (r.type === "local") return c.transport === "local";
  if (c.transport !== "tcp") return false;
  if (r.type === "hostssl" && !c.tls) return false;
  if (r.type === "hostnossl" && c.tls) return false;
  if (r.type === "hostgssenc") return false;
  const address = r.address!;
  if (address.kind === "all") return true;
  if (address.kind === "dynamic") return "maybe";
  const ip = c.address === undefined ? undefined : parseIp(c.address);
  return ip !== undefined && cidrContains(address.cidr, ip);
}

export type HbaVerdict =
  | { readonly kind: "record"; readonly record: HbaRecord }
  /** No record matches: PostgreSQL refuses ("no pg_hba.conf entry"). */
  | { readonly kind: "none" };

/**
 * The record that answers `c`. `dynamicMatches` says how a host-name or samenet record is taken
 * (matching or not): a caller asking "could a weak record answer?" takes it as matching.
 */
export function answeringRecord(hba: HbaFile, c: HbaConnection, isMember: MembershipTest, dynamicMatches = true): HbaVerdict {
  for (const record of hba.records) {
    const address = matchesAddress(record, c);
    if (address === false || (address === "maybe" && !dynamicMatches)) continue;
    if (matchesDatabase(record, c, isMember) && matchesUser(record, c, isMember)) return { kind: "record", record };
  }
  return { kind: "none" };
}

// Redis ACL users as acl.c builds them (7.0 and 7.4 alike for what is modelled): a user starts off,
// without password, keys, channels or commands; each rule is applied in order (ACLSetUser). Command
// permissions are the last rule that covers a command: +@all/-@all, +@category/-@category (by the
// categories of the command or subcommand actually called), +cmd/-cmd (with all its subcommands),
// +cmd|sub/-cmd|sub, and +cmd|firstarg for commands without subcommands. A user is allowed a command
// when its root selector or any of its `(…)` selectors allows it.
import { createHash } from "node:crypto";
import { REDIS_COMMAND_CATEGORIES } from "./commands";

export const ACL_CATEGORIES: ReadonlySet<string> = new Set([
  "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo", "stream",
  "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting", "all",
]);

type CommandTarget =
  | { readonly kind: "all" }
  | { readonly kind: "category"; readonly category: string }
  | { readonly kind: "command"; readonly command: string }
  | { readonly kind: "subcommand"; readonly command: string; readonly sub: string }
  | { readonly kind: "first-arg"; readonly command: string; readonly arg: string };

interface CommandRule {
  readonly allow: boolean;
  readonly target: CommandTarget;
}

export interface KeyPattern {
  readonly pattern: string;
  readonly read: boolean;
  readonly write: boolean;
}

export interface AclSelector {
  allKeys: boolean;
  keyPatterns: KeyPattern[];
  allChannels: boolean;
  channels: string[];
  rules: CommandRule[];
}

export interface AclPassword {
  /** sha256 hex, as Redis stores it. */
  readonly hash: string;
  /** The clear text when the rule gave it (`>pass`), for strength checks; undefined for `#hash`. */
  readonly clear?: string;
}

export interface AclUser {
  readonly name: string;
  enabled: boolean;
  nopass: boolean;
  passwords: AclPassword[];
  root: AclSelector;
  selectors: AclSelector[];
}

const newSelector = (allChannels: boolean): AclSelector => ({ allKeys: false, keyPatterns: [], allChannels, channels: [], rules: [] });

/** A user as ACLCreateUser makes it (`acl-pubsub-default` decides the channels). */
export function newAclUser(name: string, pubsubAllChannels = false): AclUser {
  return { name, enabled: false, nopass: false, passwords: [], root: newSelector(pubsubAllChannels), selectors: [] };
}

/** The default user before any configuration: on, nopass, +@all ~* &* (ACLCreateDefaultUser). */
export function initialDefaultUser(): AclUser {
  const user = newAclUser("default");
  for (const rule of ["+@all", "~*", "&*", "on", "nopass"]) applyAclRule(user, rule);
  return user;
}

export const cloneAclUser = (user: AclUser): AclUser => structuredClone(user);

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

const isCommand = (name: string) => Object.hasOwn(REDIS_COMMAND_CATEGORIES, name);
const hasSubcommands = (name: string) => Object.keys(REDIS_COMMAND_CATEGORIES).some((k) => k.startsWith(`${name}|`));

/** ACLSetSelector: key, channel and command rules. Returns an error text as Redis words it, or undefined. */
function applySelectorRule(selector: AclSelector, op: string): string | undefined {
  const lower = op.toLowerCase();
  if (lower === "allkeys" || op === "~*") {
    selector.allKeys = true;
    selector.keyPatterns = [];
  } else if (lower === "resetkeys") {
    selector.allKeys = false;
    selector.keyPatterns = [];
  } else if (lower === "allchannels" || op === "&*") {
    selector.allChannels = true;
    selector.channels = [];
  } else if (lower === "resetchannels") {
    selector.allChannels = false;
    selector.channels = [];
  } else if (lower === "allcommands" || lower === "+@all") {
    selector.rules = [{ allow: true, target: { kind: "all" } }];
  } else if (lower === "nocommands" || lower === "-@all") {
    selector.rules = [{ allow: false, target: { kind: "all" } }];
  } else if (op.startsWith("~") || op.startsWith("%")) {
    if (selector.allKeys) return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid";
    const flags = op.startsWith("~") ? "RW" : /^%([RW]{1,2})~/i.exec(op)?.[1]?.toUpperCase();
    const pattern = op.slice(op.indexOf("~") + 1);
    if (flags === undefined || /\s/.test(pattern)) return "Syntax error";
    const existing = selector.keyPatterns.findIndex((k) => k.pattern === pattern);
    const merged = { pattern, read: flags.includes("R") || (selector.keyPatterns[existing]?.read ?? false), write: flags.includes("W") || (selector.keyPatterns[existing]?.write ?? false) };
    if (existing >= 0) selector.keyPatterns[existing] = merged;
    else selector.keyPatterns.push(merged);
  } else if (op.startsWith("&")) {
    if (selector.allChannels) return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid";
    if (/\s/.test(op.slice(1))) return "Syntax error";
    if (!selector.channels.includes(op.slice(1))) selector.channels.push(op.slice(1));
  } else if ((op.startsWith("+") || op.startsWith("-")) && op[1] === "@") {
    const category = lower.slice(2);
    if (!ACL_CATEGORIES.has(category)) return "Unknown command or category name in ACL";
    selector.rules.push({ allow: op.startsWith("+"), target: category === "all" ? { kind: "all" } : { kind: "category", category } });
  } else if (op.startsWith("+") || op.startsWith("-")) {
    const allow = op.startsWith("+");
    const name = lower.slice(1);
    const bar = name.lastIndexOf("|");
    if (bar < 0) {
      if (!isCommand(name)) return "Unknown command or category name in ACL";
      selector.rules.push({ allow, target: { kind: "command", command: name } });
    } else {
      const [command, sub] = [name.slice(0, bar), name.slice(bar + 1)];
      if (!isCommand(command)) return "Unknown command or category name in ACL";
      if (command.includes("|")) return "Allowing first-arg of a subcommand is not supported";
      if (sub === "") return "Syntax error";
      if (hasSubcommands(command)) {
        if (!isCommand(name)) return "Unknown command or category name in ACL";
        selector.rules.push({ allow, target: { kind: "subcommand", command, sub } });
      } else if (allow) {
        selector.rules.push({ allow, target: { kind: "first-arg", command, arg: sub } });
      } else {
        return "Unknown command or category name in ACL";
      }
    }
  } else {
    return "Syntax error";
  }
  return undefined;
}

/** ACLSetUser: one rule applied to a user; returns Redis's error text when it refuses the rule. */
export function applyAclRule(user: AclUser, op: string): string | undefined {
  if (op === "") return undefined;
  const lower = op.toLowerCase();
  if (lower === "on") user.enabled = true;
  else if (lower === "off") user.enabled = false;
  else if (lower === "skip-sanitize-payload" || lower === "sanitize-payload") return undefined;
  else if (lower === "nopass") {
    user.nopass = true;
    user.passwords = [];
  } else if (lower === "resetpass") {
    user.nopass = false;
    user.passwords = [];
  } else if (op.startsWith(">") || op.startsWith("#")) {
    const hash = op.startsWith(">") ? sha256(op.slice(1)) : op.slice(1);
    if (op.startsWith("#") && !/^[0-9a-f]{64}$/.test(hash)) {
      return "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters";
    }
    if (!user.passwords.some((p) => p.hash === hash)) user.passwords.push(op.startsWith(">") ? { hash, clear: op.slice(1) } : { hash });
    user.nopass = false;
  } else if (op.startsWith("<") || op.startsWith("!")) {
    const hash = op.startsWith("<") ? sha256(op.slice(1)) : op.slice(1);
    const at = user.passwords.findIndex((p) => p.hash === hash);
    if (at < 0) return "The password you are trying to remove from the user does not exist";
    user.passwords.splice(at, 1);
  } else if (op.startsWith("(") && op.endsWith(")")) {
    const selector = newSelector(false);
    for (const inner of op.slice(1, -1).split(" ").filter((w) => w !== "")) {
      const error = applySelectorRule(selector, inner);
      if (error) return error;
    }
    user.selectors.push(selector);
  } else if (lower === "clearselectors") {
    user.selectors = [];
  } else if (lower === "reset") {
    user.nopass = false;
    user.passwords = [];
    user.root = newSelector(false);
    user.root.rules = [{ allow: false, target: { kind: "all" } }];
    user.enabled = false;
    user.selectors = [];
  } else {
    return applySelectorRule(user.root, op);
  }
  return undefined;
}

/**
 * ACLMergeSelectorArguments: words from one starting with "(" to one ending with ")" form one
 * selector rule. Undefined when a parenthesis is not closed.
 */
export function mergeSelectorWords(words: readonly string[]): string[] | undefined {
  const merged: string[] = [];
  let open: string | undefined;
  for (const word of words) {
    if (open !== undefined) {
      open += ` ${word}`;
      if (word.endsWith(")")) {
        merged.push(open);
        open = undefined;
      }
    } else if (word.startsWith("(") && !word.endsWith(")")) {
      open = word;
    } else merged.push(word);
  }
  return open === undefined ? merged : undefined;
}

/** The categories of a command or "container|subcommand" (lower case); undefined for an unknown one. */
export function commandCategories(command: string): readonly string[] | undefined {
  const spec = REDIS_COMMAND_CATEGORIES[command.toLowerCase()];
  return spec === undefined ? undefined : spec.split(" ");
}

function ruleCovers(rule: CommandRule, command: string, sub: string | undefined, firstArg: string | undefined): boolean {
  const t = rule.target;
  switch (t.kind) {
    case "all":
      return true;
    case "category":
      return (commandCategories(sub ? `${command}|${sub}` : command) ?? []).includes(t.category);
    case "command":
      return t.command === command;
    case "subcommand":
      return t.command === command && t.sub === sub;
    case "first-arg":
      return t.command === command && t.arg === firstArg;
  }
}

function selectorAllows(selector: AclSelector, command: string, sub: string | undefined, firstArg: string | undefined): boolean {
  let allowed = false;
  for (const rule of selector.rules) {
    // A first-arg allowance only adds to a denied command; any later rule on the command resets it.
    if (rule.target.kind === "first-arg") {
      if (ruleCovers(rule, command, sub, firstArg) && !allowed) allowed = true;
      continue;
    }
    if (ruleCovers(rule, command, sub, firstArg)) allowed = rule.allow;
  }
  return allowed;
}

/** Redis's stringmatchlen: glob with `*`, `?`, `[…]` (with `^` negation and ranges) and `\` escapes. */
export function globMatches(pattern: string, text: string): boolean {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += "[\\s\\S]*";
    else if (c === "?") re += "[\\s\\S]";
    else if (c === "\\" && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        re += `[${pattern.slice(i + 1, end).replace(/^\^/, "^").replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${re}$`).test(text);
}

function keysAllowed(selector: AclSelector, command: string, keys: readonly string[]): boolean {
  if (selector.allKeys || keys.length === 0) return true;
  const categories = commandCategories(command) ?? [];
  const needsWrite = categories.includes("write");
  const needsRead = !needsWrite || categories.includes("read");
  return keys.every((key) => selector.keyPatterns.some((k) => (!needsRead || k.read) && (!needsWrite || k.write) && globMatches(k.pattern, key)));
}

/**
 * Whether the user may run `command` (with `sub` for a container command, or the command's first
 * argument for one without subcommands) on `keys`, as ACL DRYRUN answers it. One selector must allow
 * both the command and every key (read or write by the command's categories).
 */
export function aclAllows(user: AclUser, command: string, sub?: string, keys: readonly string[] = []): boolean {
  const name = command.toLowerCase();
  const subName = sub?.toLowerCase();
  const isContainer = subName !== undefined && Object.hasOwn(REDIS_COMMAND_CATEGORIES, `${name}|${subName}`);
  const [s, first] = isContainer ? [subName, undefined] : [undefined, subName];
  return [user.root, ...user.selectors].some((selector) => selectorAllows(selector, name, s, first) && keysAllowed(selector, name, keys));
}

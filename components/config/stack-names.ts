// Names that are global beyond one stack: R2 buckets (per Cloudflare account), the B2 bucket (across
// all of Backblaze) and the DNS names the stack writes records for (per zone). Two stacks sharing one
// would share, overwrite or delete each other's data: a staging stack copied from production would
// hand its R2 tokens production's buckets, adopt production's backups and add its address to
// production's DNS names. So every stack gets its own names by default, derived from the stack name,
// and a stack that is not production may only choose names that carry its stack name.
import type { ConfigProblem } from "./errors";
import { B2_BUCKET_NAME, PROJECT, R2_BUCKET_NAME, type ParsedStackConfig, type RawStackConfig } from "./schema";

export interface StorageNames {
  readonly mediaBucket: string;
  readonly backupBucket: string;
  readonly b2Bucket: string;
}

/** The stack whose names were deployed before names were per stack: it keeps them, unsuffixed. */
export const SHIPPED_PRODUCTION_STACK = "production";

/** The shipped production stack's storage names; no other stack may use them. */
export const PRODUCTION_STORAGE_NAMES: StorageNames = {
  mediaBucket: "jewelry-shop-media",
  backupBucket: "jewelry-shop-backups",
  b2Bucket: "jewelry-shop-backups-b2",
};

/** The stack name as it can appear in a bucket name or DNS label: lower case, letters, digits and '-'. */
export function stackSlug(stack: string): string {
  return stack.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
}

/** True when `name` has the slug as a whole '-'-separated run, e.g. "staging" in "shop-staging-media". */
function carriesSlug(name: string, slug: string): boolean {
  return slug !== "" && new RegExp(`(^|-)${slug}(-|$)`).test(name.toLowerCase());
}

/** True when one of the DNS name's labels carries the slug: staging.shop.example.org, shop-staging.example.org. */
function hostCarriesSlug(host: string, slug: string): boolean {
  return host.split(".").some((label) => carriesSlug(label, slug));
}

/** What a stack's storage is called when its config does not say: production's names, others' with the stack name. */
export function defaultStorageNames(stack: string, environment: string): StorageNames {
  if (stack === SHIPPED_PRODUCTION_STACK && environment === "production") return PRODUCTION_STORAGE_NAMES;
  const infix = stackSlug(stack);
  return {
    mediaBucket: `jewelry-shop-${infix}-media`,
    backupBucket: `jewelry-shop-${infix}-backups`,
    b2Bucket: `jewelry-shop-${infix}-backups-b2`,
  };
}

interface NameSetting {
  readonly path: string;
  readonly given: string | undefined;
  readonly fallback: string;
  readonly valid: RegExp;
  readonly production: string;
}

function nameSettings(config: ParsedStackConfig, stack: string): NameSetting[] {
  const defaults = defaultStorageNames(stack, config.environment);
  const setting = (path: string, given: string | undefined, name: keyof StorageNames, valid: RegExp): NameSetting =>
    ({ path, given, fallback: defaults[name], valid, production: PRODUCTION_STORAGE_NAMES[name] });
  return [
    setting("cloudflare.mediaBucket", config.cloudflare.mediaBucket, "mediaBucket", R2_BUCKET_NAME),
    setting("cloudflare.backupBucket", config.cloudflare.backupBucket, "backupBucket", R2_BUCKET_NAME),
    setting("b2.bucket", config.b2.bucket, "b2Bucket", B2_BUCKET_NAME),
  ];
}

/** The config with every storage name set: the config's own, or this stack's defaults. */
export function withStorageNames(config: ParsedStackConfig, stack: string): RawStackConfig {
  const [mediaBucket, backupBucket, bucket] = nameSettings(config, stack).map((s) => s.given ?? s.fallback);
  return { ...config, cloudflare: { ...config.cloudflare, mediaBucket, backupBucket }, b2: { ...config.b2, bucket } };
}

/**
 * Names that could reach another stack's things. For a stack whose environment is not production:
 * every bucket name and every DNS name the stack writes records for (domain, aliases, the mail
 * domains) must carry the stack name, and production's bucket names are refused outright.
 */
export function stackNameProblems(config: ParsedStackConfig, stack: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: string, problem: string, fix: string) => problems.push({ key: `${PROJECT}:${path}`, problem, fix });
  const slug = stackSlug(stack);
  const shared = config.environment !== "production";

  for (const setting of nameSettings(config, stack)) {
    const explicit = setting.given !== undefined;
    const name = setting.given ?? setting.fallback;
    const remove = `pulumi config rm --path ${PROJECT}:${setting.path}`;
    if (!explicit && !setting.valid.test(name)) {
      add(setting.path, `has no usable default for stack "${stack}": "${name}" is too long or not a valid bucket name`,
        `pulumi config set --path ${PROJECT}:${setting.path} <name of your own>`);
    } else if (shared && explicit && (name === setting.production || !carriesSlug(name, slug))) {
      const why = name === setting.production ? "is the production stack's bucket" : `does not carry the stack name "${slug}"`;
      add(setting.path, `"${name}" ${why}: bucket names are shared beyond this stack, so this stack would read, ` +
        "overwrite or adopt another stack's data",
        `${remove}  (this stack's default is "${setting.fallback}"), or choose a name containing "${slug}"`);
    }
  }
  if (!shared) return problems;

  // A subdomain named after the stack, in the same zone: what the fixes below suggest.
  const ownDomain = hostCarriesSlug(config.domain, slug) ? config.domain : `${slug}.${config.domain}`;
  const dnsNames: [string, string | undefined, string][] = [
    ["domain", config.domain, `pulumi config set ${PROJECT}:domain ${ownDomain}  (and siteUrl to match)`],
    ...config.domainAliases.map((alias, i): [string, string, string] =>
      [`domainAliases[${i}]`, alias, `list only aliases under the stack's own name, e.g. www.${ownDomain}`]),
    ["email.fromAddress", config.email.fromAddress.split("@")[1],
      `pulumi config set --path ${PROJECT}:email.fromAddress shop@${ownDomain}`],
    ["email.mailgunDomain", config.email.mailgunDomain, `pulumi config set --path ${PROJECT}:email.mailgunDomain mg.${ownDomain}`],
  ];
  for (const [path, host, fix] of dnsNames) {
    if (host === undefined || hostCarriesSlug(host, slug)) continue;
    add(path, `"${host}" has no label carrying the stack name "${slug}": this stack would write its DNS records ` +
      "(addresses, CAA, SPF, DMARC) onto names another stack serves", fix);
  }
  return problems;
}

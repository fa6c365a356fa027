// `npm run verify` pointed at the running stand-up, as an operator points it at a deployed stack:
// the declared intent from the stand-up's own program run (every value known, the run's generated
// secrets), the public checks at 127.0.0.1 (--resolve), the inside checks through the local Docker
// socket (--docker-host), the credentials the program exports as verifyCredentials (here read from
// the run's generated secrets), and a certificate installed where certbot puts one, issued by a
// stand-up CA that plays Let's Encrypt (--extra-ca, --caa-identity). Shared by verify.test.ts and
// verify-faults.test.ts; also the fault injectors and their restorers.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readStackConfig } from "../../check/stack-config";
import { withSecretsLoaded } from "../../components/app/secret-files";
import { intentOf, type StackIntent } from "../../verify/intent";
import { fromCaptured, plain } from "../../verify/intent/declared-stack";
import type { Credentials } from "../../verify/credentials";
import type { Exemption } from "../../verify/exemptions";
import { servedCertificate } from "../../verify/probes/certificate";
import { runVerify } from "../../verify/run-verify";
import type { VerifyReport } from "../../verify/report";
import { DOCKER_SOCKET } from "./docker/docker-engine";
import { declaredContainer, declaredContainers, docker, eventually, execIn, prometheusValue } from "./fixture";
import { ROOT } from "./program/declared-stack";
import type { StandUpInfo } from "./standup";

const STACK = "production";
/** The organisation of the stand-up's CA: it issues as Let's Encrypt would, so the declared CAA record applies. */
export const STANDUP_CA_ORG = "Jewelry Stand-up ACME CA";

/** The stand-up has no DNS zone to ask; tests/verify/dns-check.test.ts serves the declared zone from dnsmasq instead. */
export const STANDUP_SKIPS: ReadonlySet<string> = new Set(["dns"]);

/**
 * What the stand-up leaves out (its `skipped` list: e.g. images with no Debian package), exempted with
 * the stand-up's own reason: the container is absent, and so is its scrape target.
 */
export function standUpExemptions(info: StandUpInfo): Exemption[] {
  const intent = standUpIntent(info);
  return info.skipped.flatMap((skipped) => {
    const container = intent.containers.find((c) => c.resource === skipped.resource);
    if (!container) return [];
    const reason = `the stand-up does not run ${container.name}: ${skipped.reason}`;
    const hosts = [container.name, ...container.networks.flatMap((n) => n.aliases)];
    const targets = (intent.prometheus?.targets ?? []).filter((t) => hosts.includes(t.target.replace(/:\d+$/, "")));
    return [{ check: "containers", subject: container.name, reason }, ...targets.map((t) => ({ check: "prometheus", subject: `${t.job} ${t.target}`, reason }))];
  });
}

/** The state (outputs) of the declared resource of `type` whose name ends with `suffix`. */
function stateOf(info: StandUpInfo, type: string, suffix: string): Record<string, unknown> {
  const found = info.declared.resources.find((r) => r.type === type && r.name.endsWith(suffix));
  if (!found?.state) throw new Error(`the stand-up has no ${type} named *${suffix} with a state`);
  // Secret outputs (a password's result) come wrapped as the engine marks secrets.
  return plain(found.state) as Record<string, unknown>;
}

/** What `pulumi stack output --show-secrets --json verifyCredentials` gives for this run (index.ts). */
export function standUpCredentials(info: StandUpInfo): Credentials {
  const password = (purpose: string) => String(stateOf(info, "random:index/randomPassword:RandomPassword", `-${purpose}`).result);
  return {
    postgres: { user: "postgres", password: password("postgres-password") },
    redis: { appUser: "jewelry", users: { jewelry: password("redis-password"), exporter: password("redis-exporter-password") } },
    internalCaCert: String(stateOf(info, "tls:index/selfSignedCert:SelfSignedCert", "-ca-cert").certPem),
  };
}

let intent: StackIntent | undefined;

/** The intent verify reads from the stand-up's program run (the same run that created the containers). */
export function standUpIntent(info: StandUpInfo): StackIntent {
  intent ??= intentOf({ project: info.declared.project, stack: info.declared.stack, environment: STACK, resources: fromCaptured(info.declared.resources) });
  return intent;
}

/** The images the stand-up runs for the declared ones (it builds them locally: no registry here). */
function imageMap(info: StandUpInfo): Map<string, string> {
  return new Map(declaredContainers(info).map((c) => [String(c.inputs.image), info.containers[c.name]!.image]));
}

/** A whole verify of the stand-up, optionally limited to some checks. */
export interface StandUpVerifyOptions {
  /** Only these checks (default: every one the stand-up can run). */
  readonly only?: readonly string[];
  /** verify's clock (default: the system's). */
  readonly now?: () => Date;
  /** Sign this user in and out (--login with the smokeUser credentials). */
  readonly smokeUser?: { readonly username: string; readonly password: string };
}

export async function verifyStandUp(info: StandUpInfo, ca: StandUpCa, { only, now, smokeUser }: StandUpVerifyOptions = {}): Promise<VerifyReport> {
  const { CHECKS } = await import("../../verify/checks");
  const skip = new Set([...STANDUP_SKIPS, ...(only ? CHECKS.map((c) => c.name).filter((n) => !only.includes(n)) : [])]);
  return runVerify({
    stackConfig: readStackConfig(ROOT, STACK),
    intent: standUpIntent(info),
    resolve: [{ host: "*", port: 0, address: "127.0.0.1" }],
    dockerHost: `unix://${DOCKER_SOCKET}`,
    credentials: { ...standUpCredentials(info), ...(smokeUser ? { smokeUser } : {}) },
    exemptions: standUpExemptions(info),
    imageMap: imageMap(info),
    extraCa: [ca.certPem],
    caaIdentities: new Map([[STANDUP_CA_ORG, "letsencrypt.org"]]),
    skip,
    writes: { login: smokeUser !== undefined, testAlert: false, canary: false },
    ...(now ? { now } : {}),
  });
}

/** Checklist ids of the results that are not passing (fail or unreachable), sorted. */
export const failingIds = (report: VerifyReport): string[] =>
  [...new Set(report.results.filter((r) => r.verdict === "fail" || r.verdict === "unreachable").flatMap((r) => r.ids))].sort();

/** The failing results, one line each, for assertion messages. */
export const failures = (report: VerifyReport): string =>
  report.results.filter((r) => r.verdict === "fail" || r.verdict === "unreachable").map((r) => `${r.check} [${r.ids.join(",")}] ${r.subject}: ${r.evidence}`).join("\n");

// ---- the certificate: a stand-up CA playing Let's Encrypt, certbot's live/ folder ----

export interface StandUpCa {
  readonly dir: string;
  readonly certPem: string;
}

const openssl = (args: readonly string[], cwd: string) => execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });

export function createStandUpCa(): StandUpCa {
  const dir = mkdtempSync(join(tmpdir(), "h11-verify-ca-"));
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
    "-subj", `/O=${STANDUP_CA_ORG}/CN=${STANDUP_CA_ORG}`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
  return { dir, certPem: readFileSync(join(dir, "ca.pem"), "utf8") };
}

/** A leaf certificate for `names` (ECDSA, as certbot's --key-type ecdsa), valid `days` days. */
function issue(ca: StandUpCa, names: readonly string[], days: number): { fullchain: string; key: string } {
  const id = Math.random().toString(36).slice(2, 8);
  writeFileSync(join(ca.dir, `${id}.ext`), `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`);
  openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${id}.key`, "-out", `${id}.csr`, "-subj", `/CN=${names[0]}`], ca.dir);
  openssl(["x509", "-req", "-in", `${id}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", String(days), "-extfile", `${id}.ext`, "-out", `${id}.pem`], ca.dir);
  return { fullchain: readFileSync(join(ca.dir, `${id}.pem`), "utf8") + ca.certPem, key: readFileSync(join(ca.dir, `${id}.key`), "utf8") };
}

const NGINX = "jewelry-nginx";

/** The host folder of a container's mount at `destination` (a named volume or a bind). */
async function hostPathOf(container: string, destination: string): Promise<string> {
  const inspect = await docker.getContainer(container).inspect();
  const mount = inspect.Mounts.find((m) => m.Destination === destination);
  if (!mount?.Source) throw new Error(`${container} mounts nothing at ${destination}`);
  return mount.Source;
}

/** The domain nginx serves (PRIMARY_DOMAIN of its env). */
export function primaryDomain(info: StandUpInfo): string {
  return String((declaredContainer(info, NGINX).inputs.envs as string[]).find((e) => e.startsWith("PRIMARY_DOMAIN="))!.split("=")[1]);
}

/** Re-links nginx's current certificate and reloads it, as its renewal watcher does after certbot. */
async function relinkAndReload(info: StandUpInfo): Promise<void> {
  const run = await execIn(declaredContainer(info, NGINX).id, ["/bin/sh", "-c", "/docker-entrypoint.d/40-jewelry-cert-links.sh && nginx -s reload"], { timeoutMs: 30_000 });
  if (run.exitCode !== 0) throw new Error(`nginx re-link and reload failed: ${run.output}`);
}

/**
 * Puts a certificate where certbot would (the letsencrypt volume's live/<domain>/), owned by nginx's
 * user, and has nginx serve it. Undefined names: removes it (nginx falls back to the bootstrap).
 */
export async function installCertificate(info: StandUpInfo, ca: StandUpCa, names: readonly string[] | undefined, days = 90): Promise<void> {
  const nginx = declaredContainer(info, NGINX);
  const live = join(await hostPathOf(nginx.id, "/etc/letsencrypt"), "live", primaryDomain(info));
  rmSync(live, { recursive: true, force: true });
  if (names) {
    const { fullchain, key } = issue(ca, names, days);
    const [uid, gid] = (await execIn(nginx.id, ["/bin/sh", "-c", "echo $(id -u) $(id -g)"])).output.trim().split(" ").map(Number);
    mkdirSync(live, { recursive: true, mode: 0o755 });
    writeFileSync(join(live, "fullchain.pem"), fullchain, { mode: 0o644 });
    writeFileSync(join(live, "privkey.pem"), key, { mode: 0o600 });
    chownSync(join(live, "privkey.pem"), uid!, gid!);
  }
  await relinkAndReload(info);
  const domain = primaryDomain(info);
  const expected = names ? [...names].sort().join(" ") : "(the bootstrap certificate)";
  await eventually(`nginx serving ${expected}`, async () => {
    const cert = await servedCertificate("127.0.0.1", 443, domain, [ca.certPem]);
    const ours = cert.issuerOrganization === STANDUP_CA_ORG;
    return (names ? ours && [...cert.subjectAltNames].sort().join(" ") === expected : !ours) ? true : undefined;
  }, 30_000);
}

// ---- nginx.conf as served: edited in the container's writable layer, then reloaded ----

/**
 * The host path of a file as the container sees it: through the overlay's merged folder, which the
 * host may write although the container's root is read-only. (Writing the upper layer directly is
 * undefined for a mounted overlay: a file replaced there stays unseen.)
 */
async function mergedPath(containerId: string, file: string): Promise<string> {
  const inspect = await docker.getContainer(containerId).inspect();
  const merged = (inspect.GraphDriver?.Data as Record<string, string> | undefined)?.MergedDir;
  if (!merged) throw new Error(`${containerId}: no overlay merged folder (storage driver ${inspect.GraphDriver?.Name})`);
  return join(merged, file);
}

/**
 * Rewrites a file of a running container in place, as an operator editing it on the host would (the
 * root filesystem is read-only from inside); returns the restorer.
 */
export async function editContainerFile(containerId: string, file: string, edit: (text: string) => string): Promise<() => void> {
  const path = await mergedPath(containerId, file);
  const original = readFileSync(path, "utf8");
  const changed = edit(original);
  if (changed === original) throw new Error(`the edit changed nothing in ${file}`);
  writeFileSync(path, changed);
  return () => writeFileSync(path, original);
}

/**
 * Edits the served nginx.conf and reloads nginx until `served` says the live edge shows the edit; the
 * restorer puts the file back and reloads until `served` says it no longer does.
 */
export async function editNginxConf(info: StandUpInfo, edit: (text: string) => string, served: () => Promise<boolean>): Promise<() => Promise<void>> {
  const nginx = declaredContainer(info, NGINX).id;
  const restoreFile = await editContainerFile(nginx, "/etc/nginx/nginx.conf", edit);
  const reload = async (what: string, expected: boolean) => {
    const run = await execIn(nginx, ["nginx", "-s", "reload"], { timeoutMs: 30_000 });
    if (run.exitCode !== 0) throw new Error(`nginx -s reload: ${run.output}`);
    // The old workers answer until they finish: wait until the live edge shows the change.
    await eventually(what, async () => ((await served()) === expected ? true : undefined), 30_000);
  };
  try {
    await reload("nginx serving the edited configuration", true);
  } catch (error) {
    // Leave the stand-up as it was found, also when the edit never showed.
    restoreFile();
    await execIn(nginx, ["nginx", "-s", "reload"], { timeoutMs: 30_000 });
    throw error;
  }
  return async () => {
    restoreFile();
    await reload("nginx serving the restored configuration", false);
  };
}

export { eventually };

// ---- the first scheduled runs of the backup schedule ----

/** The repository host's scripts its crontab runs (components/backup/backups.ts), as postgres. */
export const BACKUP_WRAPPER = "/usr/local/bin/jewelry-backup";
export const RESTORE_DRILL = "/usr/local/bin/jewelry-restore-drill";

/**
 * What a deployed stack has once its schedule has run: a full backup in every declared repository and
 * a restore drill, each run as cron runs it. A fresh stack has none, and verify rightly fails 3.5,
 * P.11 and 13.5 until then. Runs nothing that is already there, so both verify test files can ask.
 * The drill runs after the backups, not beside them: a backup's expire holds the stanza's archive lock,
 * and the drill's archive-get (async) then stalls its recovery for archive-timeout (60 s), as measured.
 */
export async function runFirstBackups(info: StandUpInfo): Promise<void> {
  const declared = standUpIntent(info).backups;
  if (!declared) throw new Error("the program declares no repository host with a backup schedule");
  const host = declaredContainer(info, declared.container).id;
  const asPostgres = async (argv: string[]) => {
    const run = await execIn(host, argv, { user: "postgres", timeoutMs: 600_000 });
    if (run.exitCode !== 0) throw new Error(`${argv.join(" ")} (exit ${run.exitCode}): ${run.output.slice(-800)}`);
    return run.output;
  };
  // One `info` answers for every repository (each backup carries its repo-key).
  const [stanza] = JSON.parse(await asPostgres(["pgbackrest", `--stanza=${declared.stanza}`, "--output=json", "info"])) as
    { backup: { type: string; database: { "repo-key": number } }[] }[];
  const hasFull = new Set((stanza?.backup ?? []).filter((b) => b.type === "full").map((b) => b.database["repo-key"]));
  for (const repo of [...declared.intervals.keys()].sort((a, b) => a - b)) {
    if (!hasFull.has(repo)) await asPostgres([BACKUP_WRAPPER, "full", String(repo)]);
  }
  const drilled = await prometheusValue(info, "min(jewelry_restore_drill_success)");
  if (drilled !== 1) {
    await asPostgres([RESTORE_DRILL]);
    await eventually("the restore drill's success in Prometheus", async () => ((await prometheusValue(info, "min(jewelry_restore_drill_success)")) === 1 ? true : undefined), 120_000);
  }
}

// ---- the smoke-test user verify --login signs in with ----

/**
 * A staff user for verify's --login (the operator's `smokeUser`), created or reset with a fresh password
 * by the app itself: `manage.py shell` in the web container, through the secrets loader as its processes
 * start, so it reaches PostgreSQL through PgBouncer as the app role, as a sign-in does.
 */
export async function createSmokeUser(info: StandUpInfo): Promise<{ username: string; password: string }> {
  const username = "verify-smoke";
  const password = randomBytes(18).toString("base64url");
  const script = [
    "from django.contrib.auth import get_user_model",
    `user, _ = get_user_model().objects.get_or_create(username=${JSON.stringify(username)})`,
    "user.is_staff = True",
    `user.set_password(${JSON.stringify(password)})`,
    "user.save()",
  ].join("\n");
  const run = await execIn(declaredContainer(info, "jewelry-web").id, withSecretsLoaded(["python", "manage.py", "shell", "-c", script]), { timeoutMs: 120_000 });
  if (run.exitCode !== 0) throw new Error(`creating the smoke-test user failed (exit ${run.exitCode}): ${run.output.slice(-800)}`);
  return { username, password };
}

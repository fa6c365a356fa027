// Running the local images for the image-build test: short-lived containers (removed on exit) and
// long-lived ones that the test removes by id; all carry the stand-up label.
import { randomBytes } from "node:crypto";
import { STANDUP_LABEL } from "./build-images";
import { runCommand, type CommandResult } from "./run-command";

export interface RunSpec {
  readonly image: string;
  readonly user?: string;
  readonly entrypoint?: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** `--mount` values. */
  readonly mounts?: readonly string[];
  readonly network?: string;
  /** The program's baseline: every capability dropped (but `capAdd`), no-new-privileges. */
  readonly hardened?: boolean;
  readonly capAdd?: readonly string[];
  readonly readOnly?: boolean;
  readonly timeoutMs?: number;
}

function runArgs(spec: RunSpec): string[] {
  return [
    "--label", `${STANDUP_LABEL.key}=${STANDUP_LABEL.value}`,
    ...(spec.user !== undefined ? ["--user", spec.user] : []),
    ...(spec.entrypoint !== undefined ? ["--entrypoint", spec.entrypoint] : []),
    ...Object.entries(spec.env ?? {}).flatMap(([key, value]) => ["--env", `${key}=${value}`]),
    ...(spec.mounts ?? []).flatMap((mount) => ["--mount", mount]),
    ...(spec.network ? ["--network", spec.network] : []),
    ...(spec.hardened ? ["--cap-drop", "ALL", "--security-opt", "no-new-privileges:true"] : []),
    ...(spec.capAdd ?? []).flatMap((cap) => ["--cap-add", cap]),
    ...(spec.readOnly ? ["--read-only"] : []),
    spec.image,
    ...(spec.args ?? []),
  ];
}

/** Runs a container to its end and removes it. */
export function runOnce(client: string, spec: RunSpec): Promise<CommandResult> {
  return runCommand([client, "run", "--rm", ...runArgs(spec)], { timeoutMs: spec.timeoutMs ?? 120_000 });
}

/** Starts a detached container; returns its id. The caller removes it (removeContainers). */
export async function startDetached(client: string, spec: RunSpec & { readonly name?: string }): Promise<string> {
  const name = spec.name ?? `jewelry-standup-test-${randomBytes(4).toString("hex")}`;
  const result = await runCommand([client, "run", "--detach", "--name", name, ...runArgs(spec)], { timeoutMs: spec.timeoutMs ?? 60_000 });
  if (result.code !== 0) throw new Error(`docker run ${spec.image} failed: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

export function exec(client: string, id: string, argv: readonly string[], options: { user?: string; env?: Readonly<Record<string, string>> } = {}): Promise<CommandResult> {
  const env = Object.entries(options.env ?? {}).flatMap(([key, value]) => ["--env", `${key}=${value}`]);
  return runCommand([client, "exec", ...(options.user ? ["--user", options.user] : []), ...env, id, ...argv], { timeoutMs: 120_000 });
}

export async function removeContainers(client: string, ids: readonly string[]): Promise<void> {
  if (ids.length > 0) await runCommand([client, "rm", "--force", "--volumes", ...ids], { timeoutMs: 120_000 });
}

/** Polls `probe` every 500 ms until it is true; throws naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

export interface ImageConfig {
  readonly User: string;
  readonly Entrypoint: string[] | null;
  readonly Cmd: string[] | null;
  readonly WorkingDir: string;
  readonly Labels: Record<string, string> | null;
}

export async function imageConfig(client: string, tag: string): Promise<ImageConfig> {
  const result = await runCommand([client, "image", "inspect", "--format", "{{json .Config}}", tag], { timeoutMs: 30_000 });
  if (result.code !== 0) throw new Error(`docker image inspect ${tag}: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as ImageConfig;
}

/**
 * One container run that reports, line by line, which of `programs` are found (PATH or absolute
 * path, as `user`), each account's uid:gid and each path's owner uid.
 */
export async function probeImage(client: string, tag: string, query: {
  user?: string; programs?: readonly string[]; accounts?: readonly string[]; paths?: readonly string[];
}): Promise<{ missing: string[]; accounts: Record<string, string>; owners: Record<string, string> }> {
  const script = [
    'for p in $PROGRAMS; do command -v "$p" >/dev/null 2>&1 || [ -x "$p" ] || echo "missing $p"; done',
    'for a in $ACCOUNTS; do echo "account $a $(id -u "$a" 2>/dev/null):$(id -g "$a" 2>/dev/null)"; done',
    'for d in $PATHS_; do echo "owner $d $(stat -c %u "$d" 2>/dev/null)"; done',
  ].join("\n");
  const result = await runOnce(client, {
    image: tag, user: query.user, entrypoint: "sh", args: ["-c", script],
    env: { PROGRAMS: (query.programs ?? []).join(" "), ACCOUNTS: (query.accounts ?? []).join(" "), PATHS_: (query.paths ?? []).join(" ") },
  });
  if (result.code !== 0) throw new Error(`probing ${tag} as ${query.user ?? "its user"} failed: ${result.stderr.trim()}`);
  const missing: string[] = [];
  const accounts: Record<string, string> = {};
  const owners: Record<string, string> = {};
  for (const line of result.stdout.trim().split("\n").filter(Boolean)) {
    const [kind, key, value = ""] = line.split(" ");
    if (kind === "missing") missing.push(key);
    if (kind === "account") accounts[key] = value;
    if (kind === "owner") owners[key] = value;
  }
  return { missing, accounts, owners };
}

/** An image's Debian packages: every one installed, and those apt marks manually installed. */
export async function packageState(client: string, tag: string): Promise<{ installed: string[]; manual: string[] }> {
  const script = "dpkg-query -W -f '${db:Status-Abbrev} ${Package}\\n' | awk '$1 == \"ii\" {print \"installed \" $2}'; apt-mark showmanual | sed 's/^/manual /'";
  const result = await runOnce(client, { image: tag, user: "root", entrypoint: "sh", args: ["-c", script], network: "none" });
  if (result.code !== 0) throw new Error(`listing the packages of ${tag} failed: ${result.stderr.trim()}`);
  const of = (kind: string) => result.stdout.split("\n").filter((line) => line.startsWith(`${kind} `)).map((line) => line.slice(kind.length + 1).replace(/:amd64$/, "")).sort();
  return { installed: of("installed"), manual: of("manual") };
}

/** The packages `apt-get install --no-install-recommends packages` would add to `tag` (a simulation). */
export async function simulatedInstall(client: string, tag: string, packages: readonly string[]): Promise<string[]> {
  const result = await runOnce(client, {
    image: tag, user: "root", entrypoint: "apt-get", args: ["install", "-s", "-q", "--no-install-recommends", ...packages], network: "none",
  });
  if (result.code !== 0) throw new Error(`apt-get install -s ${packages.join(" ")} in ${tag} failed: ${result.stderr.trim()}`);
  return result.stdout.split("\n").filter((line) => line.startsWith("Inst ")).map((line) => line.split(" ")[1]).sort();
}

// Running the local images for the image-build test: short-lived containers (removed on exit),
// long-lived ones that the test removes by id, and one probe container per image that the contract
// checks exec into (ProbeContainers); all carry the stand-up label.
import { randomBytes } from "node:crypto";
import { STANDUP_LABEL } from "./build-images";
import { BuildSlots } from "./build-slots";
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
  /** `--rm`: Docker removes the container when its program ends. */
  readonly removeOnExit?: boolean;
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
    ...(spec.removeOnExit ? ["--rm"] : []),
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

/** Each tag's image config, in one `docker image inspect` (every docker call costs a client start). */
export async function imageConfigs(client: string, tags: readonly string[]): Promise<Map<string, ImageConfig>> {
  const result = await runCommand([client, "image", "inspect", "--format", "{{json .Config}}", ...tags], { timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`docker image inspect ${tags.join(" ")}: ${result.stderr.trim()}`);
  const lines = result.stdout.trim().split("\n");
  return new Map(tags.map((tag, i) => [tag, JSON.parse(lines[i]) as ImageConfig]));
}

/** At most this many docker calls of the probes at once: dockerd does the work, on 2 cores here. */
export const PROBE_CONCURRENCY = 3;
/** A probe container ends (and is removed, --rm) by itself after this long, even if the test process dies. */
const PROBE_LIFETIME_S = 30 * 60;

/**
 * One container per image, started on first use as the program runs it (the image's user, every
 * capability dropped, no-new-privileges) and without a network, that every check of the image execs
 * into instead of starting a container of its own: an exec costs a fraction of a container's
 * create, start and removal. At most `concurrency` docker calls run at once. remove() removes every
 * container it started, by id.
 */
export class ProbeContainers {
  private readonly containers = new Map<string, Promise<string>>();
  private readonly ids: string[] = [];
  private readonly slots: BuildSlots;

  constructor(private readonly client: string, concurrency = PROBE_CONCURRENCY) {
    this.slots = new BuildSlots(concurrency);
  }

  /** Runs argv in the probe container of `tag` (as its user unless `user` is given). */
  async exec(tag: string, argv: readonly string[], options: { user?: string; env?: Readonly<Record<string, string>> } = {}): Promise<CommandResult> {
    const id = await this.container(tag);
    return this.slots.run(0, () => exec(this.client, id, argv, options));
  }

  /** Removes every probe container, by id, after the starts still under way have ended. */
  async remove(): Promise<void> {
    await Promise.allSettled(this.containers.values());
    await removeContainers(this.client, this.ids);
    this.ids.length = 0;
  }

  private container(tag: string): Promise<string> {
    let started = this.containers.get(tag);
    if (!started) {
      started = this.slots.run(0, async () => {
        const id = await startDetached(this.client, {
          image: tag, entrypoint: "sleep", args: [String(PROBE_LIFETIME_S)], hardened: true, network: "none", removeOnExit: true,
        });
        this.ids.push(id);
        return id;
      });
      this.containers.set(tag, started);
    }
    return started;
  }
}

/** How the kernel confines a process of a probe container: its capability bounding set and no_new_privs. */
export interface Confinement {
  readonly capBnd: string;
  readonly noNewPrivs: string;
}

/**
 * One exec in the probe container of `tag` that reports, line by line, which of `programs` are found
 * (PATH or absolute path, as `user`), each account's uid:gid, each path's owner uid, and the exec's
 * own confinement.
 */
export async function probeImage(probes: ProbeContainers, tag: string, query: {
  user?: string; programs?: readonly string[]; accounts?: readonly string[]; paths?: readonly string[];
}): Promise<{ missing: string[]; accounts: Record<string, string>; owners: Record<string, string>; confinement: Confinement }> {
  const script = [
    'for p in $PROGRAMS; do command -v "$p" >/dev/null 2>&1 || [ -x "$p" ] || echo "missing $p"; done',
    'for a in $ACCOUNTS; do echo "account $a $(id -u "$a" 2>/dev/null):$(id -g "$a" 2>/dev/null)"; done',
    'for d in $PATHS_; do echo "owner $d $(stat -c %u "$d" 2>/dev/null)"; done',
    "while read -r key value; do case $key in CapBnd:|NoNewPrivs:) echo \"status $key $value\";; esac; done < /proc/self/status",
  ].join("\n");
  const result = await probes.exec(tag, ["sh", "-c", script], {
    user: query.user,
    env: { PROGRAMS: (query.programs ?? []).join(" "), ACCOUNTS: (query.accounts ?? []).join(" "), PATHS_: (query.paths ?? []).join(" ") },
  });
  if (result.code !== 0) throw new Error(`probing ${tag} as ${query.user ?? "its user"} failed: ${result.stderr.trim()}`);
  const missing: string[] = [];
  const accounts: Record<string, string> = {};
  const owners: Record<string, string> = {};
  const status: Record<string, string> = {};
  for (const line of result.stdout.trim().split("\n").filter(Boolean)) {
    const [kind, key, value = ""] = line.split(" ");
    if (kind === "missing") missing.push(key);
    if (kind === "account") accounts[key] = value;
    if (kind === "owner") owners[key] = value;
    if (kind === "status") status[key] = value;
  }
  return { missing, accounts, owners, confinement: { capBnd: status["CapBnd:"] ?? "", noNewPrivs: status["NoNewPrivs:"] ?? "" } };
}

export interface PackageState {
  readonly installed: string[];
  readonly manual: string[];
}

/**
 * An image's Debian packages: every one installed, and those apt marks manually installed. apt-mark
 * reads no package lists (an empty lists folder, no cache file): which installed packages are marked
 * manual is in dpkg's status and apt's extended_states, and parsing the image's lists would cost
 * seconds of CPU per image for nothing.
 */
export async function packageState(probes: ProbeContainers, tag: string): Promise<PackageState> {
  // Each listing to a variable first: a failure exits non-zero instead of vanishing in a pipe.
  const script = [
    "installed=$(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\\n') || exit 1",
    "lists=$(mktemp -d) || exit 1",
    'manual=$(apt-mark showmanual -o Dir::State::Lists="$lists" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=) || exit 1',
    `printf '%s\\n' "$installed" | awk '$1 == "ii" {print "installed " $2}'`,
    `printf '%s\\n' "$manual" | sed 's/^/manual /'`,
  ].join("\n");
  const result = await probes.exec(tag, ["sh", "-c", script], { user: "root" });
  if (result.code !== 0) throw new Error(`listing the packages of ${tag} failed: ${result.stderr.trim()}`);
  const of = (kind: string) => result.stdout.split("\n").filter((line) => line.startsWith(`${kind} `)).map((line) => line.slice(kind.length + 1).replace(/:amd64$/, "")).sort();
  return { installed: of("installed"), manual: of("manual") };
}

/**
 * For each package list, the packages `apt-get install --no-install-recommends` of it would add to
 * `tag` (a simulation), one apt run after another in one exec: the first builds apt's package cache
 * in the probe container, the others reuse it (a fresh container rebuilds it every time).
 */
export async function simulatedInstalls(probes: ProbeContainers, tag: string, lists: readonly (readonly string[])[]): Promise<string[][]> {
  // One list per argument (packages joined by spaces); each simulation's output ends with a marker line.
  const script = 'for list in "$@"; do apt-get install -s -q --no-install-recommends $list || exit 1; echo "end-of-simulation"; done';
  const result = await probes.exec(tag, ["sh", "-c", script, "simulate", ...lists.map((list) => list.join(" "))], { user: "root" });
  if (result.code !== 0) throw new Error(`apt-get install -s in ${tag} failed (lists: ${lists.map((list) => list.join(" ")).join(" | ")}): ${result.stderr.trim()}`);
  const outputs = result.stdout.split("end-of-simulation\n").slice(0, lists.length);
  return outputs.map((output) => output.split("\n").filter((line) => line.startsWith("Inst ")).map((line) => line.split(" ")[1]).sort());
}

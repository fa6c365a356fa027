// The Debian base every stand-up image is built FROM: bookworm's minbase made by mmdebstrap from
// Debian's mirror (main, updates, security: the same package versions the host's tests use) and
// imported with `docker import`. It keeps the package lists of its build day (standup-apt-install
// refreshes them when a package has moved), installs no recommends, no docs, and starts no services.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildLogSink } from "./build-log";
import { aptInstall } from "./docker-daemon";
import { runChecked } from "./run-command";

export const BASE_IMAGE_TAG = "jewelry-standup/debian-base:bookworm";
export const DEBIAN_SUITE = "bookworm";
export const DEBIAN_SOURCES = [
  `deb http://deb.debian.org/debian ${DEBIAN_SUITE} main`,
  `deb http://deb.debian.org/debian ${DEBIAN_SUITE}-updates main`,
  `deb http://deb.debian.org/debian-security ${DEBIAN_SUITE}-security main`,
] as const;

const BASE_FILES = join(__dirname, "base");
/** Files the hooks copy into the root file system: [repository file, path in the image]. */
const UPLOADS: readonly (readonly [string, string])[] = [
  [join(BASE_FILES, "standup-apt-install"), "/usr/local/sbin/standup-apt-install"],
  [join(BASE_FILES, "policy-rc.d"), "/usr/sbin/policy-rc.d"],
];

/**
 * dpkg's path filters (no manual pages, info pages or documentation but the copyright files), in the
 * file mmdebstrap's --dpkgopt would write: every package an image installs later is filtered alike.
 */
export const DPKG_PATH_FILTERS: readonly [string, string] = [join(BASE_FILES, "dpkg-path-filters"), "/etc/dpkg/dpkg.cfg.d/99mmdebstrap"];
/**
 * The folders whose contents the filters exclude (each `path-exclude=<folder>/*`). Given as --dpkgopt,
 * the filters make mmdebstrap pipe its first unpacking of every essential package through
 * mmtarfilter (a Python process per package): half of the base's CPU time (mmdebstrap took 115 CPU-s
 * with it, 58 without, on this machine). Instead the essential packages are unpacked whole, these folders
 * emptied, and the filters put in place before dpkg unpacks the same packages again for real: the
 * same root file system (every path, mode, owner, size and content compared).
 */
export const DPKG_EXCLUDED_FOLDERS = ["/usr/share/man", "/usr/share/info", "/usr/share/doc"] as const;

/** Image config `docker import` sets (an imported root file system has none). */
export const BASE_IMAGE_CHANGES = [
  "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  "ENV LANG=C.UTF-8",
  'CMD ["bash"]',
] as const;

/** mmdebstrap's arguments, writing the root file system as a tarball to `output`. Pure. */
export function mmdebstrapArgs(output: string): string[] {
  return [
    "--variant=minbase",
    "--mode=root",
    "--format=tar",
    // The mirror here serves a fixed snapshot: its Release files are past their Valid-Until.
    '--aptopt=Acquire::Check-Valid-Until "false"',
    '--aptopt=APT::Install-Recommends "false"',
    '--aptopt=APT::Install-Suggests "false"',
    '--aptopt=Acquire::Languages "none"',
    // Lists stay compressed in the image (about 12 MB instead of 45).
    '--aptopt=Acquire::GzipIndexes "true"',
    '--aptopt=Acquire::CompressionTypes::Order:: "gz"',
    // Runs after the essential packages are unpacked and before dpkg installs them (DPKG_EXCLUDED_FOLDERS).
    `--extract-hook=rm -rf ${DPKG_EXCLUDED_FOLDERS.map((folder) => `"$1"${folder}/*`).join(" ")}`,
    `--extract-hook=upload ${DPKG_PATH_FILTERS[0]} ${DPKG_PATH_FILTERS[1]}`,
    "--skip=cleanup/apt/lists",
    ...UPLOADS.flatMap(([from, to]) => [`--customize-hook=upload ${from} ${to}`, `--customize-hook=chmod 0755 "$1${to}"`]),
    DEBIAN_SUITE,
    output,
    ...DEBIAN_SOURCES,
  ];
}

/** What the base is made of, with paths relative to this folder (checkouts elsewhere agree). */
export function baseInputs(): { readonly args: string[]; readonly changes: readonly string[] } {
  return { args: mmdebstrapArgs("OUTPUT").map((arg) => arg.split(__dirname).join(".")), changes: BASE_IMAGE_CHANGES };
}

/** The base is rebuilt exactly when this changes. */
export function baseInputsHash(): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify(baseInputs()));
  for (const [from] of [...UPLOADS, DPKG_PATH_FILTERS]) hash.update(readFileSync(from));
  return hash.digest("hex");
}

/** Builds the root file system with mmdebstrap and imports it as `BASE_IMAGE_TAG` with `labels`. */
export async function buildBaseImage(client: string, labels: Readonly<Record<string, string>>, log: (line: string) => void): Promise<void> {
  if (!existsSync("/usr/bin/mmdebstrap")) await aptInstall(["mmdebstrap"], log);
  const work = mkdtempSync(join(tmpdir(), "jewelry-standup-base-"));
  const tarball = join(work, "rootfs.tar");
  try {
    log(`mmdebstrap ${DEBIAN_SUITE} minbase (a few minutes on a busy machine)`);
    const toFile = buildLogSink("debian-base");
    await runChecked(["mmdebstrap", ...mmdebstrapArgs(tarball)], { timeoutMs: 20 * 60_000, onStdoutLine: toFile, onStderrLine: toFile });
    toFile("docker import");
    const changes = [...BASE_IMAGE_CHANGES, ...Object.entries(labels).map(([key, value]) => `LABEL ${key}=${value}`)];
    await runChecked([client, "import", ...changes.flatMap((change) => ["--change", change]), tarball, BASE_IMAGE_TAG], { timeoutMs: 10 * 60_000 });
    toFile("imported");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

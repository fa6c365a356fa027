#!/usr/bin/env node
// Installs what the project lacks, so the README's two commands work on a fresh machine:
// npm dependencies always; with --servers, the Debian packages of the servers the tests start.
// The two installs run side by side (npm ci and apt-get touch nothing of each other's; on a fresh
// machine each takes tens of seconds, and the stand-up's image builds wait for both).
// Progress goes to stderr: stdout belongs to the command that runs next (e.g. `--format json`).
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { npmDependenciesStale } = createRequire(import.meta.url)("./npm-dependencies.cjs");
const log = (line) => process.stderr.write(`ensure-deps: ${line}\n`);

/** Runs a command with its output on stderr; resolves to its failure message, or undefined. */
function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ["ignore", process.stderr, "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    child.once("error", (error) => resolve(`\`${command} ${args.join(" ")}\` did not start: ${error.message}`));
    child.once("close", (status) => resolve(status === 0 ? undefined : `\`${command} ${args.join(" ")}\` failed (exit ${status})`));
  });
}

/** Runs the commands one after another, stopping at the first failure. */
async function runInOrder(commands) {
  for (const [command, args] of commands) {
    const failure = await run(command, args);
    if (failure) return failure;
  }
  return undefined;
}

const installs = [];

// npm: install when node_modules is missing or older than the lock file.
if (npmDependenciesStale(root)) {
  log("installing npm dependencies (npm ci)");
  installs.push(runInOrder([["npm", ["ci", "--no-audit", "--no-fund"]]]));
}

// Debian packages of the real servers the tests start (binary -> package).
const SERVER_PACKAGES = {
  "/usr/lib/postgresql/15/bin/postgres": "postgresql-15",
  "/usr/sbin/pgbouncer": "pgbouncer",
  "/usr/bin/redis-server": "redis-server",
  "/usr/sbin/nginx": "nginx",
  "/usr/bin/promtool": "prometheus",
  "/usr/bin/amtool": "prometheus-alertmanager",
  "/usr/bin/fail2ban-client": "fail2ban",
  "/usr/bin/sslscan": "sslscan",
  "/usr/bin/testssl": "testssl.sh",
  "/bin/ip": "iproute2",
  "/usr/bin/pgbackrest": "pgbackrest",
  // crontab -n: the crontab model's syntax is proven against Debian's cron.
  "/usr/bin/crontab": "cron",
  "/usr/bin/openssl": "openssl",
  // The DNS server the verify tests serve the declared zone from (dnsmasq-base starts no service).
  "/usr/sbin/dnsmasq": "dnsmasq-base",
  // The Docker runtime model's differential test: the engine, and busybox for its probe image.
  "/usr/sbin/dockerd": "docker.io",
  "/bin/busybox": "busybox-static",
  // The stand-up images' Debian base (tests/standup/images/base-image.ts): here, in the same apt run.
  "/usr/bin/mmdebstrap": "mmdebstrap",
  // The check reads stack files as the Pulumi CLI does: proven against Go's real yaml.v3
  // (tests/check/stack-file.test.ts, tests/check/fixtures/go-yaml/main.go).
  "/usr/bin/go": "golang-go",
  "/usr/share/gocode/src/gopkg.in/yaml.v3": "golang-gopkg-yaml.v3-dev",
};
const servers = process.argv.includes("--servers");
if (servers) {
  const missing = Object.entries(SERVER_PACKAGES).filter(([binary]) => !existsSync(binary)).map(([, pkg]) => pkg);
  if (missing.length > 0) {
    if (process.getuid?.() !== 0) {
      log(`missing Debian packages: ${missing.join(" ")}; run as root or: sudo apt-get install -y ${missing.join(" ")}`);
      process.exit(1);
    }
    log(`installing Debian packages: ${missing.join(" ")}`);
    installs.push(runInOrder([["apt-get", ["update", "-q"]], ["apt-get", ["install", "-y", "-q", "--no-install-recommends", ...missing]]]));
  }
}

// Both installs run to their end before a failure is reported: none is left running half-done.
const failures = (await Promise.all(installs)).filter((failure) => failure !== undefined);
if (failures.length > 0) {
  for (const failure of failures) log(failure);
  process.exit(1);
}

if (servers) {
  // Package scripts may start the services on their default ports; the tests use their own ports,
  // but stop what the packages started so nothing else listens (no-op where nothing runs).
  try {
    execFileSync("sh", ["-c", "for s in nginx redis-server pgbouncer postgresql prometheus prometheus-alertmanager fail2ban cron; do service $s stop >/dev/null 2>&1 || true; done"]);
  } catch {
    /* best effort */
  }
}

#!/usr/bin/env node
// Installs what the project lacks, so the README's two commands work on a fresh machine:
// npm dependencies always; with --servers, the Debian packages of the servers the tests start.
// Progress goes to stderr: stdout belongs to the command that runs next (e.g. `--format json`).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const log = (line) => process.stderr.write(`ensure-deps: ${line}\n`);

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: ["ignore", process.stderr, "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  if (result.status !== 0) {
    log(`\`${command} ${args.join(" ")}\` failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
}

// npm: install when node_modules is missing or older than the lock file.
const lock = join(root, "package-lock.json");
const installed = join(root, "node_modules", ".package-lock.json");
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  log("installing npm dependencies (npm ci)");
  run("npm", ["ci", "--no-audit", "--no-fund"]);
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
};
if (process.argv.includes("--servers")) {
  const missing = Object.entries(SERVER_PACKAGES).filter(([binary]) => !existsSync(binary)).map(([, pkg]) => pkg);
  if (missing.length > 0) {
    if (process.getuid?.() !== 0) {
      log(`missing Debian packages: ${missing.join(" ")}; run as root or: sudo apt-get install -y ${missing.join(" ")}`);
      process.exit(1);
    }
    log(`installing Debian packages: ${missing.join(" ")}`);
    run("apt-get", ["update", "-q"]);
    run("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...missing]);
  }
  // Package scripts may start the services on their default ports; the tests use their own ports,
  // but stop what the packages started so nothing else listens (no-op where nothing runs).
  try {
    execFileSync("sh", ["-c", "for s in nginx redis-server pgbouncer postgresql prometheus prometheus-alertmanager fail2ban cron; do service $s stop >/dev/null 2>&1 || true; done"]);
  } catch {
    /* best effort */
  }
}

// Builds (or reuses) every stand-up image in a real Docker engine and checks the contract each one
// keeps for the program: its config, accounts, folders and programs; for every container the
// production stack declares, the user it runs as and every program its entrypoint, command and
// healthcheck start; the entrypoints' behaviour; and the reference app against a real PostgreSQL
// from the local image, under the program's own row-level security statements.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CapturedResource } from "../../../check/run-program";
import { APP_PATHS } from "../../../components/app/django-app";
import { secretsEntrypoint } from "../../../components/app/secret-files";
import { DB_ROLES } from "../../../components/postgres/app-database";
import { POSTGRES_UID } from "../../../components/postgres/postgres-server";
import { rlsStatements } from "../../../components/postgres/rls-sql";
import { TENANT_SETTING } from "../../../components/postgres/row-level-security";
import { containers, productionRun, ROOT } from "../../program/production-run";
import { password, productionAppEnv, productionStackConfig, type ResolvedAppEnv } from "./app-env-fixture";
import { BASE_IMAGE_TAG } from "./base-image";
import { LOCAL_IMAGES, ancestorsOf, type LocalImage } from "./catalog";
import {
  ProbeContainers, exec, imageConfigs, packageState, probeImage, removeContainers, runOnce, simulatedInstalls, startDetached, waitUntil,
  type ImageConfig, type PackageState,
} from "./image-probe";
import { SKIP_STANDUP_ENV, STANDUP_LABEL, ensureStandupImages, localImageFor, standupSkipped, type ImageMap } from "./index";
import { containerPrograms, effectiveArgv } from "./program-commands";
import { runChecked, runCommand, type CommandResult } from "./run-command";

const BUILD_TIMEOUT_MS = 45 * 60_000;
const label = `${STANDUP_LABEL.key}=${STANDUP_LABEL.value}`;

describe.skipIf(standupSkipped())("stand-up images built from Debian packages", () => {
  let map: ImageMap;
  let client: string;
  let configs: Map<string, ImageConfig>;
  /** The contract checks exec into one probe container per image, and share what they learn. */
  let probes: ProbeContainers;
  const started: string[] = [];
  let network: string | undefined;
  let work: string;

  beforeAll(async () => {
    map = await ensureStandupImages();
    client = map.daemon.client;
    probes = new ProbeContainers(client);
    const byTag = await imageConfigs(client, Object.values(LOCAL_IMAGES).map((image) => image.tag));
    configs = new Map(Object.values(LOCAL_IMAGES).map((image) => [image.name, byTag.get(image.tag)!]));
    // What the contract checks ask every image, asked now: the probes run side by side (at most
    // PROBE_CONCURRENCY docker calls at once) while the tests read the answers in their order.
    // The apt simulations first: the longest single job.
    simulationsOnBase();
    for (const image of Object.values(LOCAL_IMAGES)) {
      contractProbe(image);
      versionOutput(image);
    }
    report(map);
    work = mkdtempSync(join(tmpdir(), "jewelry-standup-images-"));
    chmodSync(work, 0o755);
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    if (!client) return;
    await probes.remove();
    await removeContainers(client, started);
    if (network) await runChecked([client, "network", "rm", network], { timeoutMs: 60_000 });
    if (work) rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it("labels every image and keeps each image's user, entrypoint, command and working folder", () => {
    for (const image of Object.values(LOCAL_IMAGES)) {
      const config = configs.get(image.name)!;
      expect(config.Labels?.[STANDUP_LABEL.key], image.name).toBe(STANDUP_LABEL.value);
      expect(config.User, image.name).toBe(image.contract.user);
      expect(config.Entrypoint ?? null, image.name).toEqual(image.contract.entrypoint);
      expect(emptyAsNull(config.Cmd), image.name).toEqual(image.contract.cmd);
      if (image.contract.workdir) expect(config.WorkingDir, image.name).toBe(image.contract.workdir);
    }
    expect(map.base.id).toMatch(/^sha256:/);
  });

  it("has the accounts, programs and folder owners each image's contract names", async () => {
    const probed = await Promise.all(Object.values(LOCAL_IMAGES).map(contractProbe));
    for (const [i, image] of Object.values(LOCAL_IMAGES).entries()) {
      const { contract } = image;
      const probe = probed[i];
      expect(probe.missing, `${image.name}: programs missing`).toEqual([]);
      for (const account of contract.accounts ?? []) expect(probe.accounts[account.name], `${image.name}: ${account.name}`).toBe(`${account.uid}:${account.gid}`);
      for (const owned of contract.ownedPaths ?? []) expect(probe.owners[owned.path], `${image.name}: owner of ${owned.path}`).toBe(String(owned.uid));
    }
  }, 10 * 60_000);

  it("shared package layers add only packages each image on them would install on the base anyway, none marked manual", async () => {
    const shared = sharedLayers();
    expect(shared.length).toBeGreaterThan(0);
    shared.forEach(stateOf);
    const base = await stateOf(BASE_IMAGE_TAG);
    for (const layer of shared) {
      const parent = layer.from === "base" ? base : await stateOf(LOCAL_IMAGES[layer.from]);
      const added = (await stateOf(layer)).installed.filter((name) => !parent.installed.includes(name));
      expect(added.length, layer.name).toBeGreaterThan(0);
      expect((await stateOf(layer)).manual, `${layer.name} marks nothing manual`).toEqual(parent.manual);
      // Every image built on it: what its own installs (its manual packages) pull in on the bare base
      // holds every package the layer added, so the layer changed none of its packages.
      const descendants = descendantsOf(layer);
      expect(descendants.length, layer.name).toBeGreaterThan(0);
      for (const image of descendants) {
        const onBase = await simulatedOnBase(image);
        expect(added.filter((name) => !onBase.includes(name)), `${image.name} on ${layer.name}`).toEqual([]);
      }
    }
  }, 10 * 60_000);

  it("starts each image's program with every capability dropped and no-new-privileges", async () => {
    // The program runs in the image's probe container, as its user: the confinement is the container's.
    const images = Object.values(LOCAL_IMAGES);
    const [probed, results] = await Promise.all([Promise.all(images.map(contractProbe)), Promise.all(images.map(versionOutput))]);
    for (const [i, image] of images.entries()) {
      expect(probed[i].confinement, `${image.name}: capability bounding set and no_new_privs`).toEqual({ capBnd: "0000000000000000", noNewPrivs: "1" });
      const result = results[i];
      expect(`${result.stdout}${result.stderr}`, `${image.name}: ${image.contract.version.argv.join(" ")}`).toMatch(image.contract.version.matches);
    }
  }, 10 * 60_000);

  it("has, for every container the production stack declares, its user and every program its entrypoint, command and healthcheck start", async () => {
    const program = await productionRun();
    const appImage = map.app.tag;
    const planned = containers(program).filter((container) => !map.excluded[String(container.object.image)]).map((container) => {
      const reference = String(container.object.image);
      const tag = map.images[reference] ? localImageFor(map, reference) : appImage;
      const config = configs.get(imageNameOf(tag))!;
      const argv = effectiveArgv({ entrypoint: config.Entrypoint, cmd: emptyAsNull(config.Cmd) }, {
        entrypoint: strings(container.object.entrypoints), command: strings(container.object.command),
      });
      const healthcheck = strings((container.object.healthcheck as { tests?: unknown } | undefined)?.tests);
      const user = typeof container.object.user === "string" ? container.object.user : undefined;
      // A program the container's own uploads provide (the stanza-create script) need not be in the image.
      const uploaded = new Set(((container.object.uploads ?? []) as Array<{ file?: unknown }>).map((u) => String(u.file)));
      const programs = containerPrograms(argv, healthcheck).filter((program) => !uploaded.has(program));
      return { container, tag, config, user, programs, key: `${tag} as ${user ?? ""}` };
    });
    // Whether a program is found depends only on the image and the user: one probe per pair asks for
    // the programs of every container that runs that image as that user, all pairs side by side.
    const asked = new Map<string, Set<string>>();
    for (const { key, programs } of planned) programs.forEach((program) => (asked.get(key) ?? asked.set(key, new Set()).get(key)!).add(program));
    const probed = new Map<string, ReturnType<typeof probeImage>>();
    for (const { key, tag, user } of planned) remember(probed, key, () => probeImage(probes, tag, { user, programs: [...asked.get(key)!] }));
    const problems: string[] = [];
    for (const { container, tag, config, user, programs, key } of planned) {
      const probe = await probed.get(key)!.catch((error: Error) => {
        problems.push(`${container.name}: cannot run as ${user}: ${error.message}`);
        return undefined;
      });
      for (const missing of probe?.missing.filter((program) => programs.includes(program)) ?? []) {
        problems.push(`${container.name} (${tag}, as ${user ?? config.User ?? "root"}) lacks ${missing}`);
      }
    }
    expect(problems).toEqual([]);
  }, 10 * 60_000);

  it("postgres: initialises an empty PGDATA as postgres from the program's variables and serves it with the program's capabilities", async () => {
    const declared = declaredContainer(await productionRun(), "postgres-container");
    const pg = await startPostgres(declared);
    const checksums = await pg.psql("postgres", "SHOW data_checksums");
    expect(checksums.stdout.trim(), checksums.stderr).toBe("on");
    expect((await exec(client, pg.id, ["stat", "-c", "%u", "/proc/1"])).stdout.trim()).toBe(POSTGRES_UID);
    expect((await exec(client, pg.id, ["stat", "-c", "%u %a", pg.pgdata])).stdout.trim()).toBe(`${POSTGRES_UID} 700`);
    const logs = await runCommand([client, "logs", pg.id], { timeoutMs: 30_000 });
    expect(logs.stdout).toContain("running /docker-entrypoint-initdb.d/10-roles.sql");
  }, 5 * 60_000);

  it("redis: turns protected mode off unless the config sets it, and writes its files with umask 0077", async () => {
    const tag = LOCAL_IMAGES.redis.tag;
    const bare = await startDetached(client, { image: tag, user: "999:999", hardened: true });
    started.push(bare);
    const cli = (id: string, ...args: string[]) => exec(client, id, ["redis-cli", ...args]);
    await waitUntil("redis to answer", async () => (await cli(bare, "PING")).stdout.includes("PONG"), 60_000);
    expect((await cli(bare, "CONFIG", "GET", "protected-mode")).stdout).toMatch(/protected-mode\s+no/);
    await cli(bare, "SAVE");
    expect((await exec(client, bare, ["stat", "-c", "%u %a", "/data/dump.rdb"])).stdout.trim()).toBe("999 600");

    const conf = join(work, "redis.conf");
    writeFileSync(conf, "protected-mode yes\nport 6379\n");
    chmodSync(conf, 0o644);
    const configured = await startDetached(client, {
      image: tag, user: "999:999", hardened: true, mounts: [`type=bind,source=${conf},target=/etc/standup/redis.conf,readonly`], args: ["/etc/standup/redis.conf"],
    });
    started.push(configured);
    await waitUntil("redis with a config file", async () => (await cli(configured, "PING")).stdout.includes("PONG"), 60_000);
    expect((await cli(configured, "CONFIG", "GET", "protected-mode")).stdout).toMatch(/protected-mode\s+yes/);
  }, 5 * 60_000);

  it("nginx: runs /docker-entrypoint.d in version order before nginx, sourcing *.envsh and skipping what is not executable", async () => {
    const scripts = join(work, "entrypoint.d");
    mkdirSync(scripts, { recursive: true });
    const script = (name: string, text: string, mode: number) => { writeFileSync(join(scripts, name), text); chmodSync(join(scripts, name), mode); };
    script("10-export.envsh", "export STANDUP_MARK=sourced\n", 0o755);
    script("20-record.sh", "#!/bin/sh\necho \"$STANDUP_MARK\" > /tmp/standup-mark\n", 0o755);
    script("30-skipped.sh", "#!/bin/sh\necho ran > /tmp/standup-skipped\n", 0o644);
    const id = await startDetached(client, { image: LOCAL_IMAGES.nginx.tag, mounts: [`type=bind,source=${scripts},target=/docker-entrypoint.d,readonly`] });
    started.push(id);
    await waitUntil("nginx's master process", async () => (await exec(client, id, ["sh", "-c", "test -s /run/nginx.pid"])).code === 0, 60_000);
    expect((await exec(client, id, ["cat", "/tmp/standup-mark"])).stdout.trim()).toBe("sourced");
    expect((await exec(client, id, ["test", "-e", "/tmp/standup-skipped"])).code).not.toBe(0);
    expect((await runCommand([client, "logs", id], { timeoutMs: 30_000 })).stdout).toContain("Ignoring /docker-entrypoint.d/30-skipped.sh, not executable");
  }, 5 * 60_000);

  it("pgbouncer: refuses to start on environment-generated config it does not implement, or without pgbouncer.ini", async () => {
    const tag = LOCAL_IMAGES.pgbouncer.tag;
    const fromEnv = await runOnce(client, { image: tag, hardened: true, env: { DB_HOST: "postgres" } });
    expect(fromEnv.code).not.toBe(0);
    expect(fromEnv.stderr).toContain("DB_HOST is set");
    const noConfig = await runOnce(client, { image: tag, hardened: true });
    expect(noConfig.code).not.toBe(0);
    expect(noConfig.stderr).toContain("pgbouncer.ini is missing");
  }, 2 * 60_000);

  it("docker-socket-proxy: answers only GET on the sections switched on, as root with every capability dropped", async () => {
    const id = await startDetached(client, {
      image: LOCAL_IMAGES["docker-socket-proxy"].tag, hardened: true, env: { CONTAINERS: "1", EVENTS: "0", POST: "0" },
      mounts: [`type=bind,source=${map.daemon.socketPath},target=/var/run/docker.sock,readonly`],
    });
    started.push(id);
    const status = async (method: string, path: string) => (await exec(client, id, ["sh", "-c",
      `wget -q -S -O /dev/null ${method === "POST" ? "--post-data=" : ""} http://127.0.0.1:2375${path} 2>&1 | awk '/HTTP\\//{print $2}' | tail -1`])).stdout.trim();
    await waitUntil("the proxy to answer", async () => (await status("GET", "/_ping")) === "200", 60_000);
    expect(await status("GET", "/v1.41/containers/json")).toBe("200");
    expect(await status("GET", "/v1.41/images/json")).toBe("403");
    expect(await status("GET", "/v1.41/events")).toBe("403");
    expect(await status("POST", "/v1.41/containers/create")).toBe("403");
  }, 3 * 60_000);

  it("exporter adapters: postgres_exporter drops only --collector.stat_archiver; pgbouncer_exporter refuses flags it cannot honour", async () => {
    const postgres = await runOnce(client, { image: LOCAL_IMAGES["postgres-exporter"].tag, hardened: true, args: ["--collector.stat_archiver", "--version"] });
    expect(`${postgres.stdout}${postgres.stderr}`).toMatch(/version 0\.11/);
    const unknown = await runOnce(client, { image: LOCAL_IMAGES["postgres-exporter"].tag, hardened: true, args: ["--collector.no-such-thing"] });
    expect(unknown.code).not.toBe(0);
    const pgbouncer = await runOnce(client, { image: LOCAL_IMAGES["pgbouncer-exporter"].tag, hardened: true, args: ["--log.level=debug"] });
    expect(pgbouncer.code).not.toBe(0);
    expect(pgbouncer.stderr).toContain("flag '--log.level=debug' is not supported");
  }, 2 * 60_000);

  it("reference app: passes `check --deploy` with the production env contract delivered through the program's secrets entrypoint", async () => {
    const appEnv = await productionAppEnv(ROOT, { host: "jewelry-postgres", port: 5432, name: "jewelry_shop", user: DB_ROLES.app, password: password() });
    const result = await runApp(appEnv, ["python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"]);
    expect(result.code, result.stderr).toBe(0);
    const migrations = await runApp(appEnv, ["python", "manage.py", "makemigrations", "--check", "--dry-run"]);
    expect(migrations.code, `${migrations.stdout}${migrations.stderr}`).toBe(0);
  }, 5 * 60_000);

  it("reference app: collectstatic and compilemessages write hashed static files and .mo files as appuser", async () => {
    const appEnv = await productionAppEnv(ROOT, { host: "jewelry-postgres", port: 5432, name: "jewelry_shop", user: DB_ROLES.app, password: password() });
    const volumes: string[] = [];
    const volume = async () => {
      volumes.push((await runChecked([client, "volume", "create", "--label", label], { timeoutMs: 30_000 })).trim());
      return volumes[volumes.length - 1];
    };
    try {
      // Fresh volumes, as on a first deploy: Docker fills each from the image's folder (owner included).
      const [staticVolume, localeVolume] = [await volume(), await volume()];
      const collect = await runApp(appEnv, ["python", "manage.py", "collectstatic", "--noinput", "--clear"], [`type=volume,source=${staticVolume},target=${APP_PATHS.static}`]);
      expect(collect.code, collect.stderr).toBe(0);
      const compile = await runApp(appEnv, ["python", "manage.py", "compilemessages"], [`type=volume,source=${localeVolume},target=${APP_PATHS.locale}`]);
      expect(compile.code, compile.stderr).toBe(0);
      const listing = await runOnce(client, {
        image: map.app.tag, entrypoint: "sh", args: ["-c", "ls /static/staticfiles.json /static/jewelry/ /locale/de/LC_MESSAGES/"],
        mounts: [`type=volume,source=${staticVolume},target=/static`, `type=volume,source=${localeVolume},target=/locale`],
      });
      expect(listing.stdout).toMatch(/staticfiles\.json/);
      expect(listing.stdout).toMatch(/site\.[0-9a-f]{12}\.css/);
      expect(listing.stdout).toMatch(/django\.mo/);
    } finally {
      await runCommand([client, "volume", "rm", "--force", ...volumes], { timeoutMs: 30_000 });
    }
  }, 5 * 60_000);

  it("reference app: migrates as the migration role over TLS, creates every tenant table, and isolates tenants under the program's RLS", async () => {
    const pg = await startPostgres(declaredContainer(await productionRun(), "postgres-container"));
    const owner = { host: pg.host, port: 5432, name: "jewelry_shop", user: DB_ROLES.owner, password: pg.passwords.owner };
    const migrate = await runApp(await productionAppEnv(ROOT, owner), ["python", "manage.py", "migrate", "--noinput"], pg.caMount);
    expect(migrate.code, `${migrate.stdout}\n${migrate.stderr}`).toBe(0);

    const tenantTables = productionStackConfig(ROOT).postgres.tenantTables.map((t) => t.table);
    expect(tenantTables).toContain("inventory_item");
    const sql = (statement: string) => pg.psql("jewelry_shop", statement);
    const columns = await sql(`SELECT table_name || '.' || column_name || ':' || data_type FROM information_schema.columns WHERE column_name = 'tenant_id' ORDER BY 1`);
    for (const table of tenantTables) expect(columns.stdout, table).toContain(`${table}.tenant_id:bigint`);

    // The program's own statements, as its dynamic provider runs them after the migrate job.
    const statements = rlsStatements({
      desired: { tables: tenantTables.map((table) => ({ table, tenantColumn: "tenant_id", columnType: "bigint" })), settingName: TENANT_SETTING, policyName: "tenant_isolation" },
    });
    for (const statement of statements) {
      const applied = await sql(statement);
      expect(applied.code, applied.stderr).toBe(0);
    }

    const app = { ...owner, user: DB_ROLES.app, password: pg.passwords.app };
    const probe = await runApp(await productionAppEnv(ROOT, app), ["python", "manage.py", "shell", "-c", ISOLATION_PROBE], pg.caMount);
    expect(probe.code, probe.stderr).toBe(0);
    expect(probe.stdout.trim().split("\n")).toEqual([
      "no tenant: 0 rows",
      "goldleaf: GL-NECK-002,GL-RING-001",
      "silverline: SL-BRAC-001",
      "write for another tenant: refused",
      "session setting after the transaction: ''",
    ]);
  }, 10 * 60_000);

  // --- helpers bound to this suite's engine -------------------------------------------------

  const contractProbes = new Map<string, ReturnType<typeof probeImage>>();
  /** The image's contract, probed once as root (accounts, programs, folder owners) in its probe container. */
  function contractProbe(image: LocalImage): ReturnType<typeof probeImage> {
    const { contract } = image;
    return remember(contractProbes, image.name, () => probeImage(probes, image.tag, {
      user: "root", programs: contract.binaries, accounts: contract.accounts?.map((a) => a.name), paths: contract.ownedPaths?.map((p) => p.path),
    }));
  }

  const versionOutputs = new Map<string, Promise<CommandResult>>();
  /** The image's version command, run as its user in its probe container (every capability dropped, no-new-privileges). */
  const versionOutput = (image: LocalImage) => remember(versionOutputs, image.name, () => probes.exec(image.tag, image.contract.version.argv));

  const packageStates = new Map<string, Promise<PackageState>>();
  const stateOf = (image: LocalImage | typeof BASE_IMAGE_TAG) => {
    const tag = image === BASE_IMAGE_TAG ? image : image.tag;
    return remember(packageStates, tag, () => packageState(probes, tag));
  };

  let simulations: Promise<Map<LocalImage, string[]>> | undefined;
  /**
   * For each image built on a shared layer, what installing its own packages (those it marks manual,
   * beyond the base's) on the bare base would add: the simulations, all in the base's probe container.
   */
  function simulationsOnBase(): Promise<Map<LocalImage, string[]>> {
    if (simulations) return simulations;
    simulations = (async () => {
      const images = [...new Set(sharedLayers().flatMap(descendantsOf))];
      const baseManual = (await stateOf(BASE_IMAGE_TAG)).manual;
      const lists = await Promise.all(images.map(async (each) => (await stateOf(each)).manual.filter((name) => !baseManual.includes(name))));
      const added = await simulatedInstalls(probes, BASE_IMAGE_TAG, lists);
      return new Map(images.map((each, i) => [each, added[i]]));
    })();
    simulations.catch(() => undefined);
    return simulations;
  }

  async function simulatedOnBase(image: LocalImage): Promise<string[]> {
    const added = (await simulationsOnBase()).get(image);
    if (!added) throw new Error(`${image.name} is built on no shared layer: nothing was simulated for it`);
    return added;
  }

  let postgresStarted: StartedPostgres | undefined;

  async function ensureNetwork(): Promise<string> {
    network ??= (await runChecked([client, "network", "create", "--label", label, `jewelry-standup-test-${process.pid}`], { timeoutMs: 30_000 })).trim();
    return network;
  }

  async function startPostgres(declared: CapturedResource): Promise<StartedPostgres> {
    if (postgresStarted) return postgresStarted;
    const host = `jewelry-standup-pg-${process.pid}`;
    const tls = join(work, "tls");
    mkdirSync(tls, { recursive: true });
    await makeTls(tls, host);
    const passwords = { superuser: password(), owner: password(), app: password() };
    const initdb = join(work, "initdb.d");
    mkdirSync(initdb, { recursive: true });
    // What AppDatabase declares for the two roles the app uses (database owner; least-privilege app role).
    writeFileSync(join(initdb, "10-roles.sql"), [
      `CREATE ROLE ${DB_ROLES.owner} LOGIN PASSWORD '${passwords.owner}';`,
      `CREATE ROLE ${DB_ROLES.app} LOGIN PASSWORD '${passwords.app}';`,
      `CREATE DATABASE jewelry_shop OWNER ${DB_ROLES.owner} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8';`,
      "\\connect jewelry_shop",
      `GRANT USAGE ON SCHEMA public TO ${DB_ROLES.app};`,
      `ALTER DEFAULT PRIVILEGES FOR ROLE ${DB_ROLES.owner} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${DB_ROLES.app};`,
      `ALTER DEFAULT PRIVILEGES FOR ROLE ${DB_ROLES.owner} IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${DB_ROLES.app};`,
      "",
    ].join("\n"));
    // The declared plain settings (PGDATA, POSTGRES_INITDB_ARGS); the password is a secret, generated here.
    const envs = ((declared.object.envs ?? []) as unknown[]).filter((entry): entry is string => typeof entry === "string" && !entry.startsWith("POSTGRES_PASSWORD="));
    const env = Object.fromEntries(envs.map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]));
    const capAdd = ((declared.object.capabilities as { adds?: string[] } | undefined)?.adds) ?? [];
    const id = await startDetached(client, {
      name: host, image: localImageFor(map, String(declared.object.image)), network: await ensureNetwork(),
      hardened: true, capAdd, env: { ...env, POSTGRES_PASSWORD: passwords.superuser },
      mounts: [`type=bind,source=${tls},target=/etc/standup-tls,readonly`, `type=bind,source=${initdb},target=/docker-entrypoint-initdb.d,readonly`],
      args: ["postgres", "-c", "ssl=on", "-c", "ssl_cert_file=/etc/standup-tls/server.crt", "-c", "ssl_key_file=/etc/standup-tls/server.key"],
    });
    started.push(id);
    const psql = (database: string, statement: string) => exec(client, id,
      ["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "/var/run/postgresql", "-U", "postgres", "-d", database, "-c", statement],
      { user: "postgres", env: { PGPASSWORD: passwords.superuser } });
    // The entrypoint's temporary server answers on the socket too: wait for its "complete" line first.
    await waitUntil("postgres to finish its initialisation and serve", async () =>
      (await runCommand([client, "logs", id], { timeoutMs: 30_000 })).stdout.includes("init process complete")
      && (await psql("postgres", "SELECT 1")).code === 0, 180_000);
    postgresStarted = {
      id, host, passwords, psql, pgdata: env.PGDATA ?? "/var/lib/postgresql/data",
      caMount: [`type=bind,source=${join(tls, "ca.crt")},target=${APP_PATHS.caCert},readonly`],
    };
    return postgresStarted;
  }

  async function runApp(appEnv: ResolvedAppEnv, command: string[], mounts: string[] = []) {
    const secrets = mkdtempSync(join(work, "secrets-"));
    chmodSync(secrets, 0o755);
    for (const [name, value] of Object.entries(appEnv.secrets)) {
      writeFileSync(join(secrets, name), value);
      chmodSync(join(secrets, name), 0o444);
    }
    const [shell, ...loader] = secretsEntrypoint();
    return runOnce(client, {
      image: map.app.tag, network: await ensureNetwork(), hardened: true, env: appEnv.env, entrypoint: shell,
      mounts: [`type=bind,source=${secrets},target=/run/secrets,readonly`, ...mounts],
      args: [...loader, ...command], timeoutMs: 180_000,
    });
  }

  async function makeTls(dir: string, host: string): Promise<void> {
    const openssl = (args: string[]) => runChecked(["openssl", ...args], { timeoutMs: 30_000, cwd: dir });
    await openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=standup test CA", "-days", "1"]);
    await openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", `/CN=${host}`]);
    writeFileSync(join(dir, "san.ext"), `subjectAltName=DNS:${host}\n`);
    await openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "1", "-extfile", "san.ext"]);
    // PostgreSQL reads its key only when the key is its own and private.
    chownSync(join(dir, "server.key"), Number(POSTGRES_UID), Number(POSTGRES_UID));
    chmodSync(join(dir, "server.key"), 0o600);
    chmodSync(join(dir, "ca.crt"), 0o644);
  }
}, BUILD_TIMEOUT_MS);

// Said in the run's output only when the stand-up is skipped on purpose.
if (standupSkipped()) {
  describe("stand-up images", () => {
    it.skip(`skipped on purpose: ${SKIP_STANDUP_ENV}=1 (CI never sets it)`, () => undefined);
  });
}

interface StartedPostgres {
  readonly id: string;
  readonly host: string;
  readonly passwords: { readonly superuser: string; readonly owner: string; readonly app: string };
  readonly pgdata: string;
  readonly psql: (database: string, statement: string) => Promise<CommandResult>;
  /** Mounts the test CA where the app expects the stack's CA. */
  readonly caMount: string[];
}

/** Run as `manage.py shell -c` with the app role: what each tenant's transaction sees and may write. */
const ISOLATION_PROBE = `
from django.db import connection
from inventory.models import Item
from jewelry.tenancy import tenant_transaction
from tenants.models import Tenant
goldleaf = Tenant.objects.get(slug="goldleaf")
silverline = Tenant.objects.get(slug="silverline")
print("no tenant:", Item.objects.count(), "rows")
for tenant in (goldleaf, silverline):
    with tenant_transaction(tenant.id):
        print(f"{tenant.slug}:", ",".join(Item.objects.order_by("sku").values_list("sku", flat=True)))
try:
    with tenant_transaction(goldleaf.id):
        Item.objects.create(tenant=silverline, sku="SL-FORGED", name="forged", quantity=1)
    print("write for another tenant: allowed")
except Exception:
    print("write for another tenant: refused")
with connection.cursor() as cursor:
    cursor.execute("SELECT current_setting('app.current_tenant', true)")
    print(f"session setting after the transaction: {cursor.fetchone()[0]!r}")
`;

function report(map: ImageMap): void {
  const rows = [["image", "build s", "size MB"], [map.base.tag, map.base.buildSeconds.toFixed(1), (map.base.sizeBytes / 1e6).toFixed(0)]];
  for (const image of Object.values(LOCAL_IMAGES)) {
    const built = image.name === "app" ? map.app : image.name === "s3-standin" ? map.s3StandIn : Object.values(map.images).find((i) => i.name === image.name);
    if (built) rows.push([image.tag, built.reused ? "reused" : built.buildSeconds.toFixed(1), (built.sizeBytes / 1e6).toFixed(0)]);
  }
  rows.push(["total (this run)", map.totalSeconds.toFixed(1), ""]);
  process.stdout.write(`stand-up images:\n${rows.map((r) => `  ${r[0].padEnd(48)} ${r[1].padStart(8)} ${r[2].padStart(8)}`).join("\n")}\n`);
}

/** The value `map` holds for `key`, made by `make` the first time (a rejection is the test's to report). */
function remember<V>(map: Map<string, Promise<V>>, key: string, make: () => Promise<V>): Promise<V> {
  let value = map.get(key);
  if (!value) {
    value = make();
    value.catch(() => undefined);
    map.set(key, value);
  }
  return value;
}

const sharedLayers = (): LocalImage[] => Object.values(LOCAL_IMAGES).filter((image) => image.sharesPackages);
/** The images built on `layer` that are not shared layers themselves. */
const descendantsOf = (layer: LocalImage): LocalImage[] => Object.values(LOCAL_IMAGES).filter((image) => !image.sharesPackages && ancestorsOf(image).includes(layer.name));

const emptyAsNull = (values: string[] | null | undefined): string[] | null => (values && values.length > 0 ? values : null);
const strings = (value: unknown): string[] | undefined => (Array.isArray(value) ? value.map(String) : undefined);
const imageNameOf = (tag: string): LocalImage["name"] => Object.values(LOCAL_IMAGES).find((image) => image.tag === tag)!.name;

function declaredContainer(program: Awaited<ReturnType<typeof productionRun>>, name: string): CapturedResource {
  const found = containers(program).find((c) => c.name === name);
  if (!found) throw new Error(`the program declares no container ${name}`);
  return found;
}


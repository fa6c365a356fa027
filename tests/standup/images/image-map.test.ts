// The image map without Docker: every image the program declares has exactly one fate (a local
// stand-in or a documented exclusion), DIFFERENCES.md is what catalog.ts says, and the pure pieces
// of the builder (Dockerfile rendering, build order, input hashes, mmdebstrap's arguments) hold.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { ProgramRun } from "../../../check/run-program";
import { TENANT_SETTING } from "../../../components/postgres/row-level-security";
import { containers, productionRun, ROOT } from "../../program/production-run";
import { BASE_IMAGE_TAG, DEBIAN_SOURCES, DPKG_EXCLUDED_FOLDERS, DPKG_PATH_FILTERS, baseInputs, baseInputsHash, mmdebstrapArgs } from "./base-image";
import { imageInputsHash, withLabels } from "./build-images";
import { BUILD_LOCK_DIR, engineBuildLockDir } from "./build-lock";
import { BuildSlots } from "./build-slots";
import { EXCLUDED_IMAGES, LOCAL_IMAGES, LOCAL_IMAGE_NAMES, buildOrder, buildRank, declaredReferences, renderThinDockerfile } from "./catalog";
import { renderDifferences } from "./differences";
import { chosenDockerSocket } from "./docker-daemon";
import { localImageFor } from "./index";
import { containerPrograms, effectiveArgv, shellCommands } from "./program-commands";

let program: ProgramRun;
beforeAll(async () => {
  program = await productionRun();
});

const stackAppImage = () => /jewelry-shop:appImage: (\S+)/.exec(readFileSync(join(ROOT, "Pulumi.production.yaml"), "utf8"))![1];

describe("the stand-up image map", () => {
  it("gives every image the program declares exactly one fate: one local stand-in or a documented exclusion", () => {
    const replacedBy = new Map<string, string[]>();
    for (const image of Object.values(LOCAL_IMAGES)) {
      for (const reference of image.replaces) replacedBy.set(reference, [...(replacedBy.get(reference) ?? []), image.name]);
    }
    for (const reference of declaredReferences()) {
      const fates = [...(replacedBy.get(reference) ?? []), ...(EXCLUDED_IMAGES[reference] ? ["excluded"] : [])];
      expect(fates, reference).toHaveLength(1);
    }
    // Nothing maps or excludes an image the program no longer declares.
    for (const reference of [...replacedBy.keys(), ...Object.keys(EXCLUDED_IMAGES)]) {
      expect(declaredReferences(), reference).toContain(reference);
    }
  });

  it("covers the image of every container the production stack declares, the app's being replaced by the reference app", () => {
    const appImage = stackAppImage();
    const declared = containers(program).map((c) => ({ name: c.name, image: String(c.object.image) }));
    expect(declared.length).toBeGreaterThan(20);
    for (const { name, image } of declared) {
      const covered = image === appImage || Object.values(LOCAL_IMAGES).some((local) => local.replaces.includes(image))
        || EXCLUDED_IMAGES[image] !== undefined;
      expect(covered, `${name} runs ${image}`).toBe(true);
    }
    // Only Grafana, Loki, promtail and the Celery exporter stay out, each with its reason.
    expect(declared.filter((c) => EXCLUDED_IMAGES[c.image]).map((c) => c.name).sort()).toEqual([
      "monitoring-celery-exporter", "monitoring-grafana", "monitoring-loki", "monitoring-promtail",
    ]);
  });

  it("resolves a declared reference to its local tag and refuses an excluded or unknown one with the reason", () => {
    const map = {
      images: { "postgres:16.6-bookworm": { tag: LOCAL_IMAGES.postgres.tag } },
      excluded: EXCLUDED_IMAGES,
    } as unknown as Parameters<typeof localImageFor>[0];
    expect(localImageFor(map, "postgres:16.6-bookworm")).toBe(LOCAL_IMAGES.postgres.tag);
    const [grafana, reason] = Object.entries(EXCLUDED_IMAGES).find(([reference]) => reference.startsWith("grafana/grafana"))!;
    expect(() => localImageFor(map, grafana)).toThrow(reason);
    expect(() => localImageFor(map, "busybox:latest")).toThrow(/not declared by the program/);
  });

  it("keeps DIFFERENCES.md equal to what catalog.ts renders", () => {
    expect(readFileSync(join(__dirname, "DIFFERENCES.md"), "utf8")).toBe(renderDifferences());
  });

  it("builds every image after its parent, the base first", () => {
    const order = buildOrder().map((image) => image.name);
    expect(order).toHaveLength(Object.keys(LOCAL_IMAGES).length);
    for (const image of Object.values(LOCAL_IMAGES)) {
      if (image.from !== "base") expect(order.indexOf(image.from), image.name).toBeLessThan(order.indexOf(image.name));
    }
  });

  it("renders a thin layer as metadata only, with an explicit empty CMD so the parent's cannot leak", () => {
    const text = renderThinDockerfile("BASE_IMAGE", { user: "nobody", entrypoint: ["/bin/node_exporter"], expose: [9100] });
    expect(text).toBe('ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nUSER nobody\nEXPOSE 9100\nENTRYPOINT ["/bin/node_exporter"]\nCMD []\n');
    expect(text).not.toMatch(/^(RUN|COPY|ADD)/m);
  });

  it("rebuilds an image exactly when its parent or its own inputs change", () => {
    const postgres = LOCAL_IMAGES.postgres;
    expect(imageInputsHash(postgres, "sha256:a")).toBe(imageInputsHash(postgres, "sha256:a"));
    expect(imageInputsHash(postgres, "sha256:a")).not.toBe(imageInputsHash(postgres, "sha256:b"));
    const prometheus = LOCAL_IMAGES.prometheus;
    const changed = { ...prometheus, source: { kind: "thin" as const, layer: { user: "root", entrypoint: ["/bin/prometheus"] } } };
    expect(imageInputsHash(changed, "sha256:a")).not.toBe(imageInputsHash(prometheus, "sha256:a"));
  });

  it("builds in the engine DOCKER_HOST names, with a lock of its own, and refuses a DOCKER_HOST that is no local socket", () => {
    expect(chosenDockerSocket({})).toBeUndefined();
    expect(chosenDockerSocket({ DOCKER_HOST: "unix:///run/docker-private.sock" })).toBe("/run/docker-private.sock");
    expect(() => chosenDockerSocket({ DOCKER_HOST: "tcp://10.0.0.5:2375" })).toThrow(/DOCKER_HOST=tcp:\/\/10\.0\.0\.5:2375 is not supported.*unix:\/\/\/path/);
    expect(engineBuildLockDir({})).toBe(BUILD_LOCK_DIR);
    const privateLock = engineBuildLockDir({ DOCKER_HOST: "unix:///run/docker-private.sock" });
    expect(privateLock).not.toBe(BUILD_LOCK_DIR);
    expect(engineBuildLockDir({ DOCKER_HOST: "unix:///run/other.sock" })).not.toBe(privateLock);
  });

  it("gives a freed build slot to the waiting build of lowest rank, a child queued as its parent ends included", async () => {
    const slots = new BuildSlots(1);
    const started: string[] = [];
    const build = (name: string, rank: number) => slots.run(rank, async () => {
      started.push(name);
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    const parent = build("parent", 0);
    const late = [build("small-a", 9), build("small-b", 9)];
    // The child asks for a slot only once its parent's build has resolved, as buildImages does.
    const child = parent.then(() => build("child", 1));
    await Promise.all([child, ...late]);
    expect(started).toEqual(["parent", "child", "small-a", "small-b"]);
  });

  it("starts first the stand-up's two chains: the backup container's images (pgBackRest on postgres, the S3 stand-in), and the app's", () => {
    const ranked = [...LOCAL_IMAGE_NAMES].sort((a, b) => buildRank(a) - buildRank(b));
    expect(ranked.slice(0, 6)).toEqual(["tls-common", "postgres", "s3-standin", "python-common", "pgbackrest", "app"]);
    // The stand-up creates the backup container before PostgreSQL: its images must not come last.
    expect(buildRank("s3-standin")).toBeLessThan(buildRank("redis"));
    expect(buildRank("prometheus")).toBeGreaterThan(buildRank("prometheus-family"));
    for (const image of Object.values(LOCAL_IMAGES).filter((i) => i.sharesPackages)) expect(image.replaces, image.name).toEqual([]);
  });

  it("makes the base from Debian's main, updates and security suites and keeps their package lists", () => {
    const args = mmdebstrapArgs("/tmp/out.tar");
    for (const source of DEBIAN_SOURCES) expect(args).toContain(source);
    expect(args).toContain("--variant=minbase");
    expect(args).toContain("--skip=cleanup/apt/lists");
    expect(args.filter((arg) => arg.startsWith("--customize-hook=upload "))).toHaveLength(2);
    expect(baseInputsHash()).toMatch(/^[0-9a-f]{64}$/);
    // Two checkouts of one commit (a worktree, CI's clone) must agree, or each rebuilds everything.
    expect(JSON.stringify(baseInputs())).not.toContain(ROOT);
    expect(BASE_IMAGE_TAG).toMatch(/^jewelry-standup\//);
  });

  it("empties exactly the folders dpkg's path filters exclude before dpkg installs the base's packages, and no Python filter runs per package", () => {
    const args = mmdebstrapArgs("/tmp/out.tar");
    const filters = readFileSync(DPKG_PATH_FILTERS[0], "utf8").trim().split("\n");
    expect(filters.filter((line) => line.startsWith("path-exclude="))).toEqual(DPKG_EXCLUDED_FOLDERS.map((folder) => `path-exclude=${folder}/*`));
    expect(filters.filter((line) => !line.startsWith("path-exclude="))).toEqual(["path-include=/usr/share/doc/*/copyright"]);
    const extractHooks = args.filter((arg) => arg.startsWith("--extract-hook="));
    expect(extractHooks[0]).toBe(`--extract-hook=rm -rf ${DPKG_EXCLUDED_FOLDERS.map((folder) => `"$1"${folder}/*`).join(" ")}`);
    expect(extractHooks[1]).toBe(`--extract-hook=upload ${DPKG_PATH_FILTERS[0]} /etc/dpkg/dpkg.cfg.d/99mmdebstrap`);
    // A --dpkgopt path filter would bring mmtarfilter back into the first unpacking.
    expect(args.filter((arg) => arg.startsWith("--dpkgopt="))).toEqual([]);
  });

  it("sets every label of an image in one LABEL instruction at the end of its Dockerfile", () => {
    const labels = { "com.jewelry-shop.test": "standup", "com.jewelry-shop.standup.replaces": "", "com.jewelry-shop.standup.image": "a \"b\"" };
    const rendered = withLabels("FROM x\nCMD [\"bash\"]\n\n", labels);
    expect(rendered).toBe('FROM x\nCMD ["bash"]\nLABEL com.jewelry-shop.test="standup" com.jewelry-shop.standup.replaces="" com.jewelry-shop.standup.image="a \\"b\\""\n');
    expect(withLabels("FROM x", { a: "1" })).toBe('FROM x\nLABEL a="1"\n');
  });

  it("builds the backup images from the program's own Dockerfile, changing only the pgBackRest version", () => {
    const pgbackrest = LOCAL_IMAGES.pgbackrest;
    expect(pgbackrest.source).toMatchObject({ kind: "dockerfile", context: "components/backup/image", fromArg: "POSTGRES_IMAGE" });
    const dockerfile = readFileSync(join(ROOT, "components/backup/image/Dockerfile"), "utf8");
    expect(dockerfile).toMatch(/^ARG POSTGRES_IMAGE=/m);
    expect(dockerfile).toMatch(/^ARG PGBACKREST_VERSION=/m);
  });

  it("gives the reference app the tenant setting the program's row-level security policies read", () => {
    const settings = readFileSync(join(ROOT, "reference-app/config/settings/base.py"), "utf8");
    expect(/^TENANT_SETTING = "([^"]+)"$/m.exec(settings)?.[1]).toBe(TENANT_SETTING);
  });

  it("finds the programs a container starts: through sh -c scripts, \"$@\" wrappers, gosu and healthchecks, not builtins or quoted text", () => {
    expect(shellCommands("redis-cli -p 6379 ping 2>&1 | grep -qE 'PONG|NOAUTH'")).toEqual(["redis-cli", "grep"]);
    expect(shellCommands("pgrep -x cron >/dev/null && (gosu postgres pgbackrest server &) && exec cron -f")).toEqual(["pgrep", "gosu", "pgbackrest", "cron"]);
    expect(shellCommands('kill -0 "$(cat /tmp/celerybeat.pid)"')).toEqual(["cat"]);
    expect(shellCommands("certbot renew || echo 'failed; retrying' && sleep 1")).toEqual(["certbot", "sleep"]);
    const argv = effectiveArgv({ entrypoint: ["docker-entrypoint.sh"], cmd: ["postgres"] }, { command: ["sh", "-c", "crontab -u postgres /x && exec cron -f"] });
    expect(containerPrograms(argv, ["CMD-SHELL", "pg_isready -h /var/run/postgresql"])).toEqual(["docker-entrypoint.sh", "sh", "crontab", "cron", "pg_isready"]);
    const loader = ["/bin/sh", "-c", 'for f in /run/secrets/*; do export "$(basename "$f")=$(cat "$f")"; done; exec "$@"', "jewelry-secrets"];
    expect(containerPrograms(effectiveArgv({ entrypoint: null, cmd: ["gunicorn"] }, { entrypoint: loader, command: ["celery", "-A", "config", "worker"] }), ["CMD", "celery", "inspect"]))
      .toEqual(["/bin/sh", "basename", "cat", "celery"]);
  });
});

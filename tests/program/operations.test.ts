// Checklist sections 5, 6, 8 and 13 on the program: off-site storage, backups and monitoring exist,
// scoped as intended, with every credential a Pulumi secret.
import { beforeAll, describe, expect, it } from "vitest";
import type { ProgramRun } from "../../check/run-program";
import { byName, containers, isSecret, productionRun, uploadsOf } from "./production-run";

let program: ProgramRun;
beforeAll(async () => {
  program = await productionRun();
});

describe("off-site storage and backups", () => {
  it("creates the B2 bucket and an application key scoped to it, the admin credentials secret (6.3, 6.4)", () => {
    const bucket = byName(program, "b2-bucket");
    expect(bucket.type).toBe("pulumi-nodejs:dynamic/b2:Bucket");
    expect(bucket.object.bucketName).toBe("jewelry-shop-backups-b2");
    expect(isSecret(bucket.object.adminApplicationKey)).toBe(true);
    const key = byName(program, "b2-backup-key");
    expect(key.object.capabilities).toEqual(["listBuckets", "listFiles", "readFiles", "writeFiles", "deleteFiles"]);
    expect(key.propertyDependencies.bucketId).toEqual([bucket.urn]);
    expect(isSecret(key.object.adminApplicationKey)).toBe(true);
  });

  it("backs up to a local repository, R2 and B2, each encrypted, with its secrets as secret include files (13.1, 13.4)", () => {
    const backup = byName(program, "backups-container");
    const conf = uploadsOf(backup).find((u) => u.file === "/etc/pgbackrest/pgbackrest.conf")!.content as string;
    expect(conf.match(/^repo\d-type=.*$/gm)).toEqual(["repo1-type=posix", "repo2-type=s3", "repo3-type=s3"]);
    expect(conf.match(/^repo\d-cipher-type=aes-256-cbc$/gm)).toHaveLength(3);
    expect(conf).toContain("repo2-s3-endpoint=fedcba9876543210fedcba9876543210.r2.cloudflarestorage.com");
    expect(conf).toContain("repo3-s3-endpoint=s3.eu-central-003.backblazeb2.com");
    expect(conf).not.toMatch(/cipher-pass|s3-key/);
    const includes = uploadsOf(backup).filter((u) => u.file.startsWith("/etc/pgbackrest/conf.d/"));
    expect(includes.map((u) => u.file)).toEqual(expect.arrayContaining([1, 2, 3].map((n) => `/etc/pgbackrest/conf.d/repo${n}-cipher-pass.conf`)));
    for (const include of includes) expect(isSecret(include.content), include.file).toBe(true);
    expect(backup.object.envs).toEqual(["TZ=UTC"]);
  });

  it("schedules full, differential and incremental backups per repository and the restore drill (13.2, 13.5)", () => {
    const crontab = uploadsOf(byName(program, "backups-container")).find((u) => u.file === "/etc/pgbackrest/crontab")!.content as string;
    for (const repo of [1, 2, 3]) {
      for (const type of ["full", "diff", "incr"]) expect(crontab, `repo${repo} ${type}`).toMatch(new RegExp(`jewelry-backup ${type} ${repo}\\b`));
    }
    expect(crontab).toMatch(/jewelry-restore-drill/);
  });

  it("archives WAL from PostgreSQL through the repository host, holding no repository secret (13.6)", () => {
    const pg = byName(program, "postgres-container");
    const conf = uploadsOf(pg).find((u) => u.file === "/etc/postgresql/postgresql.conf")!.content as string;
    expect(conf).toMatch(/^archive_command = 'pgbackrest --stanza=main archive-push %p'/m);
    const pgHost = uploadsOf(pg).find((u) => u.file.endsWith("pgbackrest.conf"))!.content as string;
    expect(pgHost).toMatch(/^repo1-host=jewelry-backup$/m);
    expect(pgHost).not.toMatch(/cipher-pass|s3-key/);
  });
});

describe("monitoring", () => {
  it("runs Prometheus, Alertmanager, Grafana, Loki, promtail and the exporters, none published (8.4–8.7)", () => {
    const names = containers(program).map((c) => c.name);
    for (const service of ["prometheus", "alertmanager", "grafana", "loki", "promtail", "node-exporter", "postgres-exporter", "redis-exporter", "nginx-exporter", "celery-exporter", "blackbox-exporter"]) {
      expect(names, service).toContain(`monitoring-${service}`);
    }
    for (const c of containers(program).filter((r) => r.name.startsWith("monitoring-"))) expect(c.object.ports ?? [], c.name).toEqual([]);
  });

  it("scrapes the app through nginx's internal status port and keeps Grafana's admin password secret", () => {
    const prometheus = byName(program, "monitoring-prometheus");
    const config = uploadsOf(prometheus).find((u) => /prometheus\.yml$/.test(u.file))!.content as string;
    expect(config).toContain("jewelry-nginx:8080");
    const grafana = byName(program, "monitoring-grafana");
    const secretFiles = uploadsOf(grafana).filter((u) => /password/i.test(u.file));
    expect(secretFiles.length).toBeGreaterThan(0);
    for (const f of secretFiles) expect(isSecret(f.content), f.file).toBe(true);
  });
});

// Pure checks of the pgBackRest config, schedule and restore-drill renderers. The files are run for
// real in tests/servers/pgbackrest.test.ts (repo1 only); here: the three-repository file and guards.
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { renderBackupCrontab, renderBackupWrapper } from "../../components/backup/backup-schedule";
import {
  deriveRepoCipherPass, pgbackrestSecretIncludeFiles, pgbackrestSecretIncludes, renderPgbackrestConf, type PgbackrestRepo,
} from "../../components/backup/pgbackrest-conf";
import { renderPgpass } from "../../components/backup/pgpass";
import { renderRestoreDrillScript } from "../../components/backup/restore-drill";
import { renderStanzaCreateScript } from "../../components/backup/stanza-create";

const retention = { full: 4, diff: 7, archive: 2 };
const REPOS: PgbackrestRepo[] = [
  { type: "posix", name: "local", path: "/var/lib/pgbackrest", retention },
  { type: "r2", name: "r2", path: "/pgbackrest", accountId: "0123456789abcdef0123456789abcdef", bucket: "jewelry-backups", retention },
  { type: "b2", name: "b2", path: "/pgbackrest", region: "us-west-004", bucket: "jewelry-backups-b2", retention },
];
const fernetKey = randomBytes(32).toString("base64url") + "=";

function conf(): string {
  return renderPgbackrestConf({ stanza: "main", repos: REPOS, pg: { dataDir: "/var/lib/postgresql/data" } });
}

describe("renderPgbackrestConf", () => {
  it("encrypts and retains every repository, R2 and B2 through their S3 endpoints", () => {
    const text = conf();
    for (const n of [1, 2, 3]) {
      expect(text).toContain(`repo${n}-cipher-type=aes-256-cbc`);
      expect(text).toContain(`repo${n}-retention-full=4`);
      expect(text).toContain(`repo${n}-retention-diff=7`);
      expect(text).toContain(`repo${n}-retention-archive=2`);
      expect(text).toContain(`repo${n}-bundle=y`);
    }
    expect(text).toContain("repo1-type=posix\nrepo1-path=/var/lib/pgbackrest");
    expect(text).toContain("repo2-s3-endpoint=0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com");
    expect(text).toMatch(/repo2-s3-region=auto\nrepo2-s3-uri-style=path/);
    expect(text).toContain("repo3-s3-endpoint=s3.us-west-004.backblazeb2.com");
    expect(text).toMatch(/compress-type=zst\nstart-fast=y\narchive-async=y\nspool-path=\/var\/spool\/pgbackrest\nprocess-max=2/);
    expect(text).toMatch(/\[main\]\npg1-path=\/var\/lib\/postgresql\/data\npg1-port=5432\npg1-socket-path=\/var\/run\/postgresql\npg1-user=postgres\n$/);
  });

  it("carries no secret option: every secret goes to a conf.d include named for its repository", () => {
    expect(conf()).not.toMatch(/cipher-pass|s3-key/);
    // The names the backup-encryption policy reads at preview, before any secret is known.
    expect(pgbackrestSecretIncludeFiles(REPOS).map((f) => f.file)).toEqual([
      "repo1-cipher-pass.conf",
      "repo2-cipher-pass.conf", "repo2-s3-credentials.conf",
      "repo3-cipher-pass.conf", "repo3-s3-credentials.conf",
    ]);
  });

  it("refuses two repositories with one name and a path with spaces", () => {
    expect(() => renderPgbackrestConf({ stanza: "main", repos: [REPOS[0], { ...REPOS[1], name: "local" }], pg: { dataDir: "/d" } }))
      .toThrow(/unique/);
    expect(() => renderPgbackrestConf({ stanza: "main", repos: [{ ...REPOS[0], path: "/a b" }], pg: { dataDir: "/d" } }))
      .toThrow(/absolute path/);
  });
});

describe("repository cipher passes from BACKUP_ENCRYPTION_KEY", () => {
  it("derives a stable, distinct pass per repository name, never the key itself", () => {
    const local = deriveRepoCipherPass(fernetKey, "local");
    expect(deriveRepoCipherPass(fernetKey, "local")).toBe(local);
    expect(deriveRepoCipherPass(fernetKey, "r2")).not.toBe(local);
    expect(local).not.toContain(fernetKey.slice(0, 20));
    expect(local).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("refuses a key that is not a 32-byte Fernet key", () => {
    expect(() => deriveRepoCipherPass("not-a-key", "local")).toThrow(/Fernet key/);
  });

  it("renders each repository's secrets as a [global] include, and fails when an S3 key is missing", () => {
    const keys = { r2: { accessKeyId: "r2id", secretAccessKey: "r2s/+x" }, b2: { accessKeyId: "b2id", secretAccessKey: "b2s" } };
    const files = new Map(pgbackrestSecretIncludes(REPOS, { backupEncryptionKey: fernetKey, s3Keys: keys }).map((f) => [f.file, f.content]));
    const body = (file: string) => files.get(file)?.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    expect(body("repo1-cipher-pass.conf")).toEqual(["[global]", `repo1-cipher-pass=${deriveRepoCipherPass(fernetKey, "local")}`]);
    expect(body("repo2-cipher-pass.conf")).toEqual(["[global]", `repo2-cipher-pass=${deriveRepoCipherPass(fernetKey, "r2")}`]);
    expect(body("repo2-s3-credentials.conf")).toEqual(["[global]", "repo2-s3-key=r2id", "repo2-s3-key-secret=r2s/+x"]);
    expect(body("repo3-s3-credentials.conf")).toEqual(["[global]", "repo3-s3-key=b2id", "repo3-s3-key-secret=b2s"]);
    expect(() => pgbackrestSecretIncludes(REPOS, { backupEncryptionKey: fernetKey, s3Keys: {} })).toThrow(/no S3 key.*r2/);
    const multiLine = { ...keys, b2: { accessKeyId: "b2id", secretAccessKey: "b2s\nrepo3-cipher-pass=x" } };
    expect(() => pgbackrestSecretIncludes(REPOS, { backupEncryptionKey: fernetKey, s3Keys: multiLine })).toThrow(/one non-empty line/);
  });
});

describe(".pgpass for the backup jobs", () => {
  it("matches any host, port and database for the user, escaping : and \\ in the password", () => {
    expect(renderPgpass([{ user: "postgres", password: "a:b\\c" }])).toBe("*:*:*:postgres:a\\:b\\\\c\n");
    expect(() => renderPgpass([{ user: "postgres", password: "x\ny" }])).toThrow(/one non-empty line/);
  });
});

describe("backup schedule", () => {
  const schedule = {
    repos: [{ repo: 1, full: "0 2 * * 0", diff: "0 2 * * 1-6", incr: "0 */1 * * *" }, { repo: 2, full: "30 3 * * 0", diff: "30 3 * * 1-6" }],
    wrapperPath: "/usr/local/bin/pgbackrest-backup",
    restoreDrill: { schedule: "0 5 * * 3", scriptPath: "/usr/local/bin/restore-drill" },
  };

  it("renders one crontab line per repository and type plus the drill, in UTC", () => {
    expect(renderBackupCrontab(schedule)).toBe([
      "# Generated by the jewelry-shop Pulumi program; do not edit by hand. Run by supercronic.",
      "CRON_TZ=UTC",
      "# repo1",
      "0 2 * * 0 /usr/local/bin/pgbackrest-backup full 1",
      "0 2 * * 1-6 /usr/local/bin/pgbackrest-backup diff 1",
      "0 */1 * * * /usr/local/bin/pgbackrest-backup incr 1",
      "# repo2",
      "30 3 * * 0 /usr/local/bin/pgbackrest-backup full 2",
      "30 3 * * 1-6 /usr/local/bin/pgbackrest-backup diff 2",
      "# restore drill: proves the latest backup restores and answers queries",
      "0 5 * * 3 /usr/local/bin/restore-drill",
      "",
    ].join("\n"));
  });

  it("refuses a 6-field or macro cron expression", () => {
    expect(() => renderBackupCrontab({ ...schedule, repos: [{ repo: 1, full: "0 0 2 * * 0" }] })).toThrow(/5-field/);
    expect(() => renderBackupCrontab({ ...schedule, repos: [{ repo: 1, full: "@weekly" }] })).toThrow(/5-field/);
  });

  it("wraps pgbackrest in flock and writes metrics through a temp file and rename", () => {
    const script = renderBackupWrapper({ stanza: "main", configPath: "/etc/pgbackrest", textfileDir: "/var/lib/node-exporter" });
    expect(script).toContain('"$PGBACKREST" --config-path="$CONFIG_PATH" --stanza="$STANZA" --type="$type" --repo="$repo" backup');
    expect(script).toMatch(/flock -w 21600 "\$LOCK_FILE"/);
    expect(script).toMatch(/tmp=\$\(mktemp "\$TEXTFILE_DIR\/\.backup\.XXXXXX"\)[\s\S]*mv -f "\$tmp"/);
  });

  it("refuses a config FILE as --config-path: pgBackRest would find neither it nor conf.d", () => {
    expect(() => renderBackupWrapper({ stanza: "main", configPath: "/etc/pgbackrest/pgbackrest.conf", textfileDir: "/var/lib/node-exporter" }))
      .toThrow(/directory/);
    expect(() => renderRestoreDrillScript({
      stanza: "main", configPath: "/etc/pgbackrest/pgbackrest.conf", repo: 1, target: "latest", scratchParent: "/var/lib/drill",
      scratchPort: 25432, pgBinDir: "/usr/lib/postgresql/15/bin", textfileDir: "/var/lib/node-exporter",
    })).toThrow(/directory/);
  });
});

describe("restore drill script", () => {
  const args = {
    stanza: "main", configPath: "/etc/pgbackrest", repo: 3, target: "latest" as const, scratchParent: "/var/lib/drill",
    scratchPort: 25432, pgBinDir: "/usr/lib/postgresql/15/bin", textfileDir: "/var/lib/node-exporter",
  };

  it("never archives from the scratch copy and replays to the end for target latest", () => {
    const script = renderRestoreDrillScript(args);
    expect(script).toContain("--type=default --archive-mode=off restore");
    expect(script).not.toContain("--target-action");
    expect(script).toContain("-c archive_mode=off");
  });

  it("starts the copy as no hot standby, so a primary with more connections than the copy's defaults still replays", () => {
    expect(renderRestoreDrillScript(args)).toContain("-c hot_standby=off");
  });

  it("refuses a check table that is not a plain identifier (it is pasted into SQL)", () => {
    expect(() => renderRestoreDrillScript({ ...args, check: { table: "x; DROP TABLE y" } })).toThrow(/identifiers/);
  });
});

describe("renderStanzaCreateScript", () => {
  it("creates the stanza on every repository once the cluster answers, with bounded retries, and is valid sh", () => {
    const script = renderStanzaCreateScript({ stanza: "main", configPath: "/etc/pgbackrest", socketDir: "/var/run/postgresql", attempts: 5, intervalSeconds: 3 });
    expect(script).toContain("pg_isready -q -h '/var/run/postgresql'");
    expect(script).toContain("pgbackrest --config-path='/etc/pgbackrest' --stanza='main' stanza-create");
    // stanza-create takes no --repo: one run covers every repository.
    expect(script).not.toMatch(/--repo/);
    expect(script).toMatch(/-ge 5 \]/);
    expect(script).toContain("sleep 3");
    expect(execFileSync("sh", ["-n", "-c", script]).toString()).toBe("");
  });

  it("refuses a stanza, path or retry bound it cannot render safely", () => {
    const base = { stanza: "main", configPath: "/etc/pgbackrest", socketDir: "/var/run/postgresql" };
    expect(() => renderStanzaCreateScript({ ...base, stanza: "main;rm" })).toThrow(/invalid stanza/);
    expect(() => renderStanzaCreateScript({ ...base, configPath: "/etc/pgbackrest/pgbackrest.conf" })).toThrow(/DIRECTORY|directory/);
    expect(() => renderStanzaCreateScript({ ...base, socketDir: "run/postgresql" })).toThrow(/socketDir/);
    expect(() => renderStanzaCreateScript({ ...base, attempts: 0 })).toThrow(/attempts/);
  });
});

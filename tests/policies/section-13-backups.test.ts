import { describe, expect, it } from "vitest";
import { baselineLater, DRILL, editUpload, findings, mutate, WRAPPER } from "./baseline-later";
import { UNKNOWN } from "./harness";

const PGBACKREST = "/etc/pgbackrest/pgbackrest.conf";
const CRONTAB = "/etc/pgbackrest/crontab";
const POSTGRESQL_CONF = "/etc/postgresql/postgresql.conf";
const messages = async (resources: Parameters<typeof findings>[0], policy: string) => (await findings(resources, policy)).map((f) => `${f.level}: ${f.message.split("\n").pop()}`);

describe("backup-encryption", () => {
  it("accepts aes-256-cbc repositories whose passes arrive in conf.d includes named for them", async () => {
    expect(await findings(baselineLater(), "backup-encryption")).toEqual([]);
  });
  it("refuses an unencrypted repository", async () => {
    const found = await messages(mutate("backup", (p) => editUpload(p, PGBACKREST, (t) => t.replace("repo2-cipher-type=aes-256-cbc", "repo2-cipher-type=none"))), "backup-encryption");
    expect(found).toEqual(["mandatory: repo2 in jewelry-backup is not encrypted (cipher-type none), in every run (11)."]);
  });
  it("refuses a [stanza:command] section that switches one repository's cipher off for backups", async () => {
    const found = await messages(mutate("backup", (p) => editUpload(p, PGBACKREST, (t) => `${t}\n[main:backup]\nrepo3-cipher-type=none\n`)), "backup-encryption");
    // The restore drill and the TLS server still resolve [main] and [global]: only the backup runs are named.
    expect(found).toEqual([expect.stringMatching(/^mandatory: repo3 in jewelry-backup is not encrypted \(cipher-type none\), in \/etc\/pgbackrest\/crontab line 4 \(backup\), .*line 14 \(backup\)\.$/)]);
  });
  it("refuses a crontab environment line that reaches every scheduled backup", async () => {
    const found = await messages(mutate("backup", (p) => editUpload(p, CRONTAB, (t) => t.replace("CRON_TZ=UTC", "CRON_TZ=UTC\nPGBACKREST_REPO1_CIPHER_TYPE=none"))), "backup-encryption");
    // Cron jobs get it; the TLS server, started by the container, does not.
    expect(found).toEqual([expect.stringMatching(/^mandatory: repo1 in jewelry-backup is not encrypted \(cipher-type none\), in \/etc\/pgbackrest\/crontab line 5 \(backup\), .*\(restore\)\.$/)]);
  });
  it("refuses a cipher pass written into pgbackrest.conf, and a short one", async () => {
    const found = await messages(mutate("backup", (p) => editUpload(p, PGBACKREST, (t) => t.replace("repo1-cipher-type=aes-256-cbc", "repo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=hunter2"))), "backup-encryption");
    expect(found).toEqual([
      "mandatory: repo1-cipher-pass is written in jewelry-backup:/etc/pgbackrest/pgbackrest.conf; deliver it in an include file, in every run (11).",
      "mandatory: repo1's cipher pass in jewelry-backup is 7 characters; at least 20 are required, in every run (11).",
    ]);
  });
  it("refuses a repository whose pass never arrives", async () => {
    const found = await messages(mutate("backup", (p) => { p.uploads = p.uploads.filter((u: { file: string }) => !u.file.endsWith("repo3-cipher-pass.conf")); }), "backup-encryption");
    expect(found).toEqual([expect.stringMatching(/^mandatory: repo3's cipher pass never reaches jewelry-backup .*, in every run \(11\)\.$/)]);
  });
  it("cannot decide at preview while an include of another name, unknown, could hold the pass", async () => {
    const found = await findings(mutate("backup", (p) => {
      p.uploads = p.uploads.filter((u: { file: string }) => !u.file.endsWith("repo3-cipher-pass.conf"));
      p.uploads.push({ file: "/etc/pgbackrest/conf.d/secrets.conf", content: UNKNOWN });
    }), "backup-encryption");
    expect(found.map((f) => f.level)).toEqual(["advisory"]);
  });
});

describe("backup-schedule", () => {
  it("accepts weekly full, daily differential and 4-hourly incremental backups for every repository", async () => {
    expect(await findings(baselineLater(), "backup-schedule")).toEqual([]);
  });
  it("refuses full backups scheduled on 31 February (valid syntax, never fires)", async () => {
    const found = await messages(mutate("backup", (p) => editUpload(p, CRONTAB, (t) => t.replace(/^15 2 \* \* 0 /gm, "15 2 31 2 * "))), "backup-schedule");
    expect(found).toHaveLength(3);
    expect(found[0]).toMatch(/repo1 in jewelry-backup gets a full backup never \(or only once\); at least weekly is required \(.*its schedule never fires/);
  });
  it("refuses a repository no line backs up", async () => {
    const found = await messages(mutate("backup", (p) => editUpload(p, CRONTAB, (t) => t.replace(/^.* [a-z]+ 3\n/gm, ""))), "backup-schedule");
    expect(found).toEqual([expect.stringMatching(/repo3 .* full backup never/), expect.stringMatching(/repo3 .* a backup never/)]);
  });
  it("refuses full backups whose command % cuts into a shell syntax error", async () => {
    const found = await messages(mutate("backup", (p) => editUpload(p, CRONTAB, (t) => t.replace(/^(15 2 \* \* 0 .* full \d)$/gm, "$1 > /tmp/full-$(date +%F).log"))), "backup-schedule");
    expect(found).toHaveLength(3);
    expect(found[0]).toMatch(/\/bin\/sh refuses the command .*unterminated \$\(.*cron ends the command at the first unescaped %/);
  });
  it("refuses a crontab that crontab(1) refuses, so nothing is installed", async () => {
    const found = await messages(mutate("backup", (p) => editUpload(p, CRONTAB, (t) => t.replace("CRON_TZ=UTC", "CRON_TZ=UTC\n@every 1h true"))), "backup-schedule");
    expect(found).toHaveLength(6);
    expect(found[0]).toMatch(/crontab refuses it \(line \d+: bad time specifier\)/);
  });
  it("refuses a container whose command starts no cron daemon", async () => {
    const found = await messages(mutate("backup", (p) => { p.command = ["sh", "-c", "crontab -u postgres /etc/pgbackrest/crontab && exec gosu postgres pgbackrest server"]; }), "backup-schedule");
    expect(found[0]).toMatch(/No cron daemon runs in jewelry-backup/);
  });
  it("refuses a cron.d file whose name has a dot (Debian's cron skips it)", async () => {
    const found = await messages(mutate("backup", (p) => {
      p.command = ["sh", "-c", "exec cron -f"];
      p.uploads.push({ file: "/etc/cron.d/backups.cron", content: "15 2 * * * postgres /usr/local/bin/jewelry-backup full 1\n" });
    }), "backup-schedule");
    expect(found[0]).toMatch(/\/etc\/cron\.d\/backups\.cron is not run: Debian cron skips/);
  });
  it("refuses a wrapper called by a name cron's PATH does not find", async () => {
    const found = await messages(mutate("backup", (p) => editUpload(p, CRONTAB, (t) => t.replaceAll(`${WRAPPER} `, "jewelry-backup "))), "backup-schedule");
    expect(found[0]).toMatch(/"jewelry-backup" is not found in the job's PATH \/usr\/bin:\/bin/);
  });
});

describe("backup-retention", () => {
  it("accepts count retention of at least two full backups", async () => {
    expect(await findings(baselineLater(), "backup-retention")).toEqual([]);
  });
  it("refuses a repository without retention-full", async () => {
    const found = await messages(mutate("backup", (p) => editUpload(p, PGBACKREST, (t) => t.replace(/^repo3-retention-full=\d+$/m, ""))), "backup-retention");
    expect(found).toEqual([expect.stringMatching(/repo3 .* forever/)]);
  });
  it("refuses a [stanza] section that lowers one repository's retention under [global]", async () => {
    const found = await messages(mutate("backup", (p) => editUpload(p, PGBACKREST, (t) => t.replace(/^\[main\]$/m, "[main]\nrepo2-retention-full=1"))), "backup-retention");
    expect(found).toEqual(["mandatory: repo2 in jewelry-backup keeps 1 full backups; at least 2 needed."]);
  });
});

describe("backup-locations", () => {
  it("accepts a local repository on a volume plus R2 + B2", async () => {
    expect(await findings(baselineLater(), "backup-locations")).toEqual([]);
  });
  it("refuses two off-site repositories at the same vendor", async () => {
    const found = await messages(mutate("backup", (p) => editUpload(p, PGBACKREST, (t) => t.replace("repo3-s3-endpoint=s3.us-west-004.backblazeb2.com", "repo3-s3-endpoint=other.r2.cloudflarestorage.com"))), "backup-locations");
    expect(found).toEqual([expect.stringMatching(/1 vendor/)]);
  });
  it("refuses a local repository outside every volume", async () => {
    const found = await messages(mutate("backup", (p) => editUpload(p, PGBACKREST, (t) => t.replace("repo1-path=/var/lib/pgbackrest", "repo1-path=/pgbackrest"))), "backup-locations");
    expect(found).toEqual(["mandatory: repo1 in jewelry-backup stores backups at /pgbackrest, which is on no volume: they vanish when the container is replaced."]);
  });
});

describe("wal-archiving", () => {
  it("accepts archive_mode on with pgbackrest archive-push to every repository of the repository host", async () => {
    expect(await findings(baselineLater(), "wal-archiving")).toEqual([]);
  });
  it("refuses a command-line override that turns archiving off", async () => {
    const found = await messages(mutate("postgres", (p) => { p.command = [...(p.command as string[]), "-c", "archive_mode=off"]; }), "wal-archiving");
    expect(found).toEqual(["mandatory: PostgreSQL jewelry-postgres has archive_mode off."]);
  });
  it("refuses an archive_command that stores nothing, or hides failures", async () => {
    const noop = await messages(mutate("postgres", (p) => editUpload(p, POSTGRESQL_CONF, (t) => t.replace(/archive_command = .*/, "archive_command = '/bin/true'"))), "wal-archiving");
    expect(noop).toEqual([expect.stringMatching(/it stores nothing/)]);
    const masked = await messages(mutate("postgres", (p) => editUpload(p, POSTGRESQL_CONF, (t) => t.replace("archive-push %p'", "archive-push %p; exit 0'"))), "wal-archiving");
    expect(masked).toEqual([expect.stringMatching(/ends in "; exit 0", so a failed push reports success/)]);
  });
  it("refuses archive_timeout 0 (a quiet database never ships its last WAL) and over 300 s", async () => {
    expect(await messages(mutate("postgres", (p) => editUpload(p, POSTGRESQL_CONF, (t) => t.replace("archive_timeout = 300s", "archive_timeout = 0"))), "wal-archiving"))
      .toEqual([expect.stringMatching(/archive_timeout 0: a quiet database may never ship/)]);
    expect(await messages(mutate("postgres", (p) => editUpload(p, POSTGRESQL_CONF, (t) => t.replace("archive_timeout = 300s", "archive_timeout = '10min'"))), "wal-archiving"))
      .toEqual([expect.stringMatching(/archive_timeout 10min: .* only every 600 s; at most 300 s/)]);
  });
  it("refuses a PostgreSQL host config that pushes WAL to some repositories only", async () => {
    const found = await messages(mutate("postgres", (p) => editUpload(p, PGBACKREST, (t) => t.replace(/^# repo3:.*\n(?:repo3-.*\n)+/m, ""))), "wal-archiving");
    expect(found).toEqual([expect.stringMatching(/pushes WAL to repo1, repo2 of jewelry-backup only: repo3 get no WAL/)]);
  });
  it("refuses an archive_library, which replaces archive_command (PostgreSQL 16 refuses both; 15 ignores the command)", async () => {
    const both = await messages(mutate("postgres", (p) => editUpload(p, POSTGRESQL_CONF, (t) => t.replace(/^(archive_command = .*)$/m, "$1\narchive_library = 'basic_archive'"))), "wal-archiving");
    expect(both).toEqual([expect.stringMatching(/^mandatory: PostgreSQL jewelry-postgres sets both archive_library 'basic_archive' \(\/etc\/postgresql\/postgresql.conf line \d+\) and archive_command: PostgreSQL 16's archiver refuses to run with both, so no WAL is archived\.$/)]);
    const on15 = await messages(mutate("postgres", (p) => {
      p.image = "postgres:15.10-bookworm";
      p.command = [...(p.command as string[]), "-c", "archive_library=basic_archive"];
    }), "wal-archiving");
    expect(on15).toEqual([expect.stringMatching(/^mandatory: PostgreSQL jewelry-postgres archives WAL through archive_library 'basic_archive' \(command line\), which replaces archive_command \(".*archive-push %p" is ignored\): no WAL reaches the pgBackRest repositories\.$/)]);
  });
  it("refuses WAL pushed for a stanza the repository host does not serve", async () => {
    const found = await messages(mutate("postgres", (p) => editUpload(p, POSTGRESQL_CONF, (t) => t.replace("--stanza=main", "--stanza=prod"))), "wal-archiving");
    expect(found).toEqual([expect.stringMatching(/stanza "prod", which jewelry-backup does not define/)]);
  });
});

describe("restore-drill-scheduled", () => {
  it("accepts a weekly restore drill", async () => {
    expect(await findings(baselineLater(), "restore-drill-scheduled")).toEqual([]);
  });
  it("refuses a crontab without a restore drill", async () => {
    const found = await findings(mutate("backup", (p) => editUpload(p, CRONTAB, (t) => t.replace(/^.*restore-drill$/m, ""))), "restore-drill-scheduled");
    expect(found).toHaveLength(1);
  });
  it("refuses a drill script uploaded without the executable bit", async () => {
    const found = await messages(mutate("backup", (p) => { p.uploads.find((u: { file: string }) => u.file === DRILL).executable = false; }), "restore-drill-scheduled");
    expect(found).toEqual([expect.stringMatching(/jewelry-restore-drill is not executable/)]);
  });
  it("refuses a yearly drill", async () => {
    const found = await messages(mutate("backup", (p) => editUpload(p, CRONTAB, (t) => t.replace(/^45 4 \* \* 3 /m, "45 4 1 1 * "))), "restore-drill-scheduled");
    expect(found).toEqual([expect.stringMatching(/runs every 366 days at worst; at least monthly/)]);
  });
});

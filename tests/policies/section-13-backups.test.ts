import { describe, expect, it } from "vitest";
import { baselineLater, editUpload, findings, mutate, setEnv } from "./baseline-later";
import { UNKNOWN } from "./harness";

const PGBACKREST = "/etc/pgbackrest/pgbackrest.conf";
const CRONTAB = "/etc/crontabs/backup";

describe("backup-encryption", () => {
  it("accepts aes-256-cbc repositories with passes in the environment", async () => {
    expect(await findings(baselineLater(), "backup-encryption")).toEqual([]);
  });
  it("refuses an unencrypted repository", async () => {
    const found = await findings(mutate("backup", (p) => editUpload(p, PGBACKREST, (t) => t.replace("repo2-cipher-type=aes-256-cbc", "repo2-cipher-type=none"))), "backup-encryption");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/repo2 .* not encrypted/);
  });
  it("refuses a cipher pass written into pgbackrest.conf", async () => {
    const found = await findings(mutate("backup", (p) => editUpload(p, PGBACKREST, (t) => t.replace("repo1-cipher-type=aes-256-cbc", "repo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=hunter2"))), "backup-encryption");
    expect(found[0].message).toMatch(/repo1-cipher-pass is written/);
  });
  it("refuses a repository whose pass never arrives", async () => {
    const found = await findings(mutate("backup", (p) => setEnv(p, "PGBACKREST_REPO3_CIPHER_PASS", undefined)), "backup-encryption");
    expect(found[0].level).toBe("mandatory");
    expect(found[0].message).toMatch(/PGBACKREST_REPO3_CIPHER_PASS/);
  });
  it("cannot decide at preview while a generated pass is unknown", async () => {
    const found = await findings(mutate("backup", (p) => { setEnv(p, "PGBACKREST_REPO3_CIPHER_PASS", undefined); (p.envs as string[]).push(UNKNOWN); }), "backup-encryption");
    expect(found.map((f) => f.level)).toEqual(["advisory"]);
  });
});

describe("backup-schedule", () => {
  it("accepts weekly full and daily differential backups", async () => {
    expect(await findings(baselineLater(), "backup-schedule")).toEqual([]);
  });
  it("refuses full backups only", async () => {
    const found = await findings(mutate("backup", (p) => editUpload(p, CRONTAB, (t) => t.replace(/^.* diff \d$/gm, ""))), "backup-schedule");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/differential or incremental/);
  });
});

describe("backup-retention", () => {
  it("accepts count retention of at least two full backups", async () => {
    expect(await findings(baselineLater(), "backup-retention")).toEqual([]);
  });
  it("refuses a repository without retention-full", async () => {
    const found = await findings(mutate("backup", (p) => editUpload(p, PGBACKREST, (t) => t.replace(/^repo3-retention-full=\d+$/m, ""))), "backup-retention");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/repo3 .* forever/);
  });
});

describe("backup-locations", () => {
  it("accepts local + R2 + B2", async () => {
    expect(await findings(baselineLater(), "backup-locations")).toEqual([]);
  });
  it("refuses two off-site repositories at the same vendor", async () => {
    const found = await findings(mutate("backup", (p) => editUpload(p, PGBACKREST, (t) => t.replace("repo3-s3-endpoint=s3.us-west-004.backblazeb2.com", "repo3-s3-endpoint=other.r2.cloudflarestorage.com"))), "backup-locations");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/1 vendor/);
  });
});

describe("wal-archiving", () => {
  it("accepts archive_mode on with pgbackrest archive-push", async () => {
    expect(await findings(baselineLater(), "wal-archiving")).toEqual([]);
  });
  it("refuses a command-line override that turns archiving off", async () => {
    const found = await findings(mutate("postgres", (p) => { p.command = [...(p.command as string[]), "-c", "archive_mode=off"]; }), "wal-archiving");
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/archive_mode off/);
  });
  it("refuses an archive_command that stores nothing", async () => {
    const found = await findings(mutate("postgres", (p) => editUpload(p, "/etc/postgresql/postgresql.conf", (t) => t.replace(/archive_command = .*/, "archive_command = '/bin/true'"))), "wal-archiving");
    expect(found[0].message).toMatch(/no archive_command/);
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
});

describe("backup-encryption at preview", () => {
  it("accepts a pass delivered in a conf.d file named for the repository, content unknown", async () => {
    const found = await findings(mutate("backup", (p) => {
      setEnv(p, "PGBACKREST_REPO3_CIPHER_PASS", undefined);
      (p.envs as string[]).push(UNKNOWN);
      (p.uploads as object[]).push({ file: "/etc/pgbackrest/conf.d/repo3-cipher-pass.conf", content: UNKNOWN });
    }), "backup-encryption");
    expect(found).toEqual([]);
  });
});

// Backups on the running stack: PostgreSQL archives WAL through pgBackRest's TLS server on the
// repository host (the backup container) to every repository: repo1 (the local volume), repo2 (R2)
// and repo3 (B2), the last two served by the run's S3 stand-ins (tests/standup/cloud: real S3 over
// verified TLS, Signature V4 with the repository's own key). A backup and the restore drill run there
// and report to Prometheus.
import { beforeAll, describe, expect, it } from "vitest";
import type { StandUpInfo } from "./standup";
import { BACKUP_WRAPPER, RESTORE_DRILL } from "./verify-run";
import { declaredContainer, eventually, execIn, prometheusValue, psql, standUp, type ExecResult } from "./fixture";

const STANZA = "main";
const REPOS = [1, 2, 3] as const;

interface StanzaInfo {
  readonly status: { readonly code: number; readonly message: string };
  readonly db: readonly { readonly "system-id": number }[];
  readonly repo: readonly { readonly key: number; readonly cipher: string }[];
  readonly archive: readonly { readonly max: string | null }[];
}

describe("backups", () => {
  let info: StandUpInfo;
  let backup: string;
  const asPostgres = (argv: string[], timeoutMs = 300_000) => execIn(backup, argv, { user: "postgres", timeoutMs });
  const stanzaIn = async (repo: number): Promise<StanzaInfo | undefined> => {
    const result = await asPostgres(["pgbackrest", `--stanza=${STANZA}`, `--repo=${repo}`, "--output=json", "info"], 60_000);
    return (JSON.parse(result.output) as StanzaInfo[])[0];
  };

  beforeAll(async () => {
    info = await standUp();
    backup = declaredContainer(info, "jewelry-backup").id;
  });

  it("stands in for R2 (repo2) and B2 (repo3) with S3 servers of the run, named as the cloud endpoints", () => {
    expect(info.cloudStandIns.map((s) => s.repo)).toEqual([2, 3]);
    expect(info.cloudStandIns[0].hosts).toEqual([expect.stringMatching(/^[0-9a-f]{32}\.r2\.cloudflarestorage\.com$/)]);
    expect(info.cloudStandIns[1].hosts).toEqual([
      expect.stringMatching(/^s3\.[a-z]+-[a-z]+-\d{3}\.backblazeb2\.com$/),
      `${info.cloudStandIns[1].bucket}.${info.cloudStandIns[1].hosts[0]}`,
    ]);
    expect(info.substitutions.filter((line) => /S3 stand-in|cloud stand-in CA/.test(line))).toHaveLength(3);
  });

  it("has the stanza in every repository, encrypted, created by the repository host itself (jewelry-stanza-create at its start)", async () => {
    for (const repo of REPOS) {
      // Before the first backup a stanza's status is 2, "no valid backups"; 1 would be "missing stanza path".
      const stanza = await eventually(`stanza main in repo${repo}`, async () => {
        const found = await stanzaIn(repo);
        return found && [0, 2].includes(found.status.code) && found.db.length > 0 ? found : undefined;
      }, 180_000);
      expect(stanza.repo.map((r) => [r.key, r.cipher]), `repo${repo}`).toEqual([[repo, "aes-256-cbc"]]);
    }
  });

  it("archives PostgreSQL's WAL into every repository through the repository host's TLS server", async () => {
    await psql(info, "CREATE TABLE IF NOT EXISTS standup_wal_probe (at timestamptz); INSERT INTO standup_wal_probe VALUES (now())");
    const segment = await psql(info, "SELECT pg_walfile_name(pg_switch_wal())");
    for (const repo of REPOS) {
      const archived = await eventually(`WAL segment ${segment} in repo${repo}`, async () => {
        const max = (await stanzaIn(repo))?.archive?.[0]?.max;
        return max && max >= segment ? max : undefined;
      }, 180_000);
      expect(archived >= segment, `repo${repo}`).toBe(true);
    }
    // The PostgreSQL container holds no repository of its own: its pgbackrest.conf names the repository host over TLS only.
    const conf = await execIn(declaredContainer(info, "jewelry-postgres").id, ["cat", "/etc/pgbackrest/pgbackrest.conf"]);
    expect(conf.output).toMatch(/^repo1-host-type=tls$/m);
    expect(conf.output).not.toMatch(/^repo1-(path|type|s3-)/m);
  });

  it("leaves only encrypted objects in the cloud buckets (pgBackRest's cipher header on every file, archive.info included)", async () => {
    for (const standIn of info.cloudStandIns) {
      const listing = await execIn(standIn.id, [
        "sh", "-c", `find '${standIn.bucketDirectory}/pgbackrest' -name '*._S3rver_object' | while read -r f; do printf '%s %s\\n' "$(head -c 8 "$f")" "$f"; done`,
      ]);
      const objects = listing.output.trim().split("\n").filter(Boolean);
      expect(objects.some((line) => line.endsWith(`/archive/${STANZA}/archive.info._S3rver_object`)), `repo${standIn.repo}: ${listing.output}`).toBe(true);
      expect(objects.some((line) => /\/[0-9A-F]{24}-[0-9a-f]{40}\.zst\._S3rver_object$/.test(line)), `repo${standIn.repo} holds WAL: ${listing.output}`).toBe(true);
      expect(objects.filter((line) => !line.startsWith("Salted__ ")), `repo${standIn.repo}`).toEqual([]);
    }
  });

  // The restore drill needs nothing but the full backup: it starts as soon as the backup succeeded and
  // runs while Prometheus scrapes the backup's metric (node-exporter's job every 15 s), instead of after.
  let drill: Promise<ExecResult> | undefined;

  it("runs a full backup to repo1 and reports its success to Prometheus", async () => {
    const result = await asPostgres([BACKUP_WRAPPER, "full", "1"], 600_000);
    expect(result.exitCode, result.output).toBe(0);
    drill = asPostgres([RESTORE_DRILL], 600_000);
    // Awaited by the next test; a failure must not surface before that as an unhandled rejection.
    drill.catch(() => undefined);
    const query = 'jewelry_backup_last_run_success{repo="repo1",type="full"}';
    expect(await eventually(`${query} = 1 in Prometheus`, async () => ((await prometheusValue(info, query)) === 1 ? 1 : undefined), 120_000)).toBe(1);
  });

  it("runs the restore drill from repo1 and reports its success to Prometheus", async () => {
    const result = await (drill ?? asPostgres([RESTORE_DRILL], 600_000));
    expect(result.exitCode, result.output).toBe(0);
    const query = 'jewelry_restore_drill_success{repo="repo1"}';
    expect(await eventually(`${query} = 1 in Prometheus`, async () => ((await prometheusValue(info, query)) === 1 ? 1 : undefined), 120_000)).toBe(1);
  });
});

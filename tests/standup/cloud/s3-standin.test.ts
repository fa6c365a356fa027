// The S3 stand-ins of the cloud object stores, on their own: the program's pgbackrest.conf and secret
// includes (rendered by components/backup, R2 path-style and B2 host-style) in a container of the
// stand-up's pgBackRest image, on a network of this test, against the stand-ins startS3StandIns
// starts for them. pgBackRest speaks real S3 to them (TLS verified against the run's CA, Signature V4
// with the repository's key): a stanza, WAL through archive_command and a full backup land in every
// repository, encrypted; a wrong key, a wrong CA and an unsigned request are refused.
import { randomBytes } from "node:crypto";
import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  pgbackrestSecretIncludes, renderPgbackrestConf, type PgbackrestRepo,
} from "../../../components/backup/pgbackrest-conf";
import { DOCKER_SOCKET } from "../docker/docker-engine";
import { demultiplex } from "../docker/run-container";
import { execIn } from "../fixture";
import { applyUploads } from "../docker/uploads";
import type { Upload } from "../docker/container-spec";
import { standupSkipped, startStandupImages, STANDUP_LABEL } from "../images";
import { LOCAL_IMAGES } from "../images/catalog";
import { s3RepositoriesOf, startS3StandIns, type CloudStandIn } from "./s3-standins";

const TEST_LABEL = "com.jewelry-shop.test.s3-standin";
const STANZA = "main";
const PG = { dataDir: "/var/lib/postgresql/standin-test/data", socketPath: "/var/lib/postgresql/standin-test" };
const retention = { full: 2, diff: 2 };
const REPOS: PgbackrestRepo[] = [
  { name: "local", type: "posix", path: "/var/lib/pgbackrest", retention },
  { name: "r2", type: "r2", path: "/pgbackrest", accountId: randomBytes(16).toString("hex"), bucket: "jewelry-test-r2", retention },
  { name: "b2", type: "b2", path: "/pgbackrest", region: "eu-central-003", bucket: "jewelry-test-b2", retention },
];
const key = () => randomBytes(15).toString("base64url");

describe.skipIf(standupSkipped())("S3 stand-ins of the cloud object stores", () => {
  const docker = new Dockerode({ socketPath: DOCKER_SOCKET });
  const testId = `s3-standin-${randomBytes(4).toString("hex")}`;
  const labels = { [STANDUP_LABEL.key]: STANDUP_LABEL.value, [TEST_LABEL]: testId };
  let standIns: CloudStandIn[] = [];
  let pgbackrest: Dockerode.Container;

  const exec = (container: Dockerode.Container, argv: string[], env: string[] = [], user = "postgres") => execIn(container.id, argv, { user, env, timeoutMs: 240_000 });
  const pgbr = (args: string[], env: string[] = []) => exec(pgbackrest, ["pgbackrest", `--stanza=${STANZA}`, ...args], env);
  const ok = async (argv: string[]) => {
    const result = await exec(pgbackrest, argv);
    expect(result.exitCode, `${argv.join(" ")}: ${result.output}`).toBe(0);
    return result.output;
  };

  // The two images this file runs, followed as they are built (ready-images.ts): on a fresh machine the
  // whole build outlasted this hook's 600 s while these two were ready after about half of it.
  let buildSettled: Promise<unknown> = Promise.resolve();

  beforeAll(async () => {
    const images = await startStandupImages();
    // A failed build is the image-build test's to report; the images this file needs reject on their own.
    buildSettled = images.all.catch(() => undefined);
    await Promise.all([images.ready("s3-standin"), images.ready("pgbackrest")]);
    const network = `${testId}-egress`;
    await docker.createNetwork({ Name: network, Driver: "bridge", Labels: labels, CheckDuplicate: true });
    const conf = renderPgbackrestConf({ stanza: STANZA, repos: REPOS, pg: PG });
    const secrets = pgbackrestSecretIncludes(REPOS, {
      backupEncryptionKey: randomBytes(32).toString("base64url"),
      s3Keys: { r2: { accessKeyId: key(), secretAccessKey: key() }, b2: { accessKeyId: key(), secretAccessKey: key() } },
    });
    const postgresOwned = { mode: 0o600, uid: 999, gid: 999 };
    const uploads: Upload[] = [
      { file: "/etc/pgbackrest/pgbackrest.conf", content: Buffer.from(conf), mode: 0o644, uid: 0, gid: 0 },
      ...secrets.map((s) => ({ file: `/etc/pgbackrest/conf.d/${s.file}`, content: Buffer.from(s.content), ...postgresOwned })),
    ];
    const plan = { name: `${testId}-pgbackrest`, networks: [{ name: network, aliases: [] }], uploads };
    const started = await startS3StandIns(docker, plan, { image: LOCAL_IMAGES["s3-standin"].tag, runId: testId, labels });
    standIns = started!.standIns;
    pgbackrest = await docker.createContainer({
      name: plan.name, Image: LOCAL_IMAGES.pgbackrest.tag, Entrypoint: ["sleep", "infinity"], Labels: labels,
      HostConfig: { NetworkMode: network, Init: true },
    });
    await applyUploads(pgbackrest, plan.name, [...uploads, started!.trust]);
    await pgbackrest.start();
    await ok(["install", "-d", "-m", "0700", PG.dataDir]);
    await ok(["initdb", "-D", PG.dataDir, "-A", "trust", "-U", "postgres"]);
    await ok([
      "pg_ctl", "-D", PG.dataDir, "-w", "-l", `${PG.socketPath}/server.log`, "start", "-o",
      `-c listen_addresses='' -k ${PG.socketPath} -c archive_mode=on -c wal_level=replica -c archive_command='pgbackrest --stanza=${STANZA} archive-push %p'`,
    ]);
  }, 600_000);

  afterAll(async () => {
    const filters = JSON.stringify({ label: [`${TEST_LABEL}=${testId}`] });
    // With their anonymous volumes: the pgBackRest image's VOLUME gets one, unlabelled.
    for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true, v: true });
    for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove();
    // This process may hold the build lock: it ends only after the build, never in the middle of it.
    await buildSettled;
  }, 1_200_000);

  it("stands in for exactly the S3 repositories of the configuration: R2 path-style, B2 host-style with its bucket's host name", () => {
    expect(standIns.map((s) => [s.repo, s.hosts])).toEqual([
      [2, [`${(REPOS[1] as { accountId: string }).accountId}.r2.cloudflarestorage.com`]],
      [3, ["s3.eu-central-003.backblazeb2.com", "jewelry-test-b2.s3.eu-central-003.backblazeb2.com"]],
    ]);
  });

  it("creates the stanza in every repository and archives WAL to each over verified TLS", async () => {
    const created = await pgbr(["stanza-create"]);
    expect(created.exitCode, created.output).toBe(0);
    const checked = await pgbr(["check"]);
    expect(checked.exitCode, checked.output).toBe(0);
    for (const repo of [1, 2, 3]) {
      const info = await pgbr([`--repo=${repo}`, "--output=json", "info"]);
      const [stanza] = JSON.parse(info.output) as { status: { code: number }; archive: { max: string | null }[] }[];
      expect(stanza.status.code, `repo${repo}: ${info.output}`).not.toBe(1);
      expect(stanza.archive[0]?.max, `repo${repo}: ${info.output}`).toMatch(/^[0-9A-F]{24}$/);
    }
  }, 300_000);

  it("takes a full backup to B2's stand-in; every object in each bucket carries pgBackRest's cipher header", async () => {
    const backup = await pgbr(["--repo=3", "--type=full", "backup"]);
    expect(backup.exitCode, backup.output).toBe(0);
    for (const standIn of standIns) {
      const listing = await exec(docker.getContainer(standIn.id), [
        "sh", "-c", `find '${standIn.bucketDirectory}/pgbackrest' -name '*._S3rver_object' | while read -r f; do printf '%s %s\\n' "$(head -c 8 "$f")" "$f"; done`,
      ], [], "s3-standin");
      const objects = listing.output.trim().split("\n").filter(Boolean);
      expect(objects.some((line) => line.endsWith(`/archive/${STANZA}/archive.info._S3rver_object`)), `repo${standIn.repo}: ${listing.output}`).toBe(true);
      if (standIn.repo === 3) expect(objects.some((line) => /\/backup\.manifest\._S3rver_object$/.test(line)), listing.output).toBe(true);
      expect(objects.filter((line) => !line.startsWith("Salted__ ")), `repo${standIn.repo}`).toEqual([]);
    }
  }, 300_000);

  it("refuses a request signed with another key, and pgBackRest refuses a stand-in its CA did not sign", async () => {
    const wrongKey = await pgbr(["--repo=2", "repo-ls"], [`PGBACKREST_REPO2_S3_KEY_SECRET=${key()}`]);
    expect(wrongKey.exitCode).not.toBe(0);
    expect(wrongKey.output).toMatch(/403 \(Forbidden\)/);
    const logs = demultiplex((await docker.getContainer(standIns[0].id).logs({ stdout: true, stderr: true, tail: 20 })) as unknown as Buffer);
    expect(logs).toMatch(/refused HEAD \/jewelry-test-r2\/pgbackrest: SignatureDoesNotMatch/);
    // The public roots alone (Debian's bundle, without the run's CA): the stand-in's certificate must not verify.
    const wrongCa = await pgbr(["--repo=3", "repo-ls"], ["PGBACKREST_REPO3_STORAGE_CA_FILE=/etc/ssl/certs/ca-certificates.crt", "PGBACKREST_IO_TIMEOUT=5"]);
    expect(wrongCa.exitCode).not.toBe(0);
    expect(wrongCa.output).toMatch(/unable to verify certificate presented by 'jewelry-test-b2\.s3\.eu-central-003\.backblazeb2\.com:443'/);
  }, 120_000);

  it("refuses an unsigned request (s3rver alone would serve it)", async () => {
    const r2 = standIns[0];
    // From inside the stand-in (the pgBackRest image has no HTTP client): the request pgBackRest would make, without its signature.
    const request = `require("https").get({ host: "127.0.0.1", port: 443, servername: ${JSON.stringify(r2.hosts[0])}, headers: { host: ${JSON.stringify(r2.hosts[0])} }, ` +
      `path: "/${r2.bucket}/pgbackrest/archive/${STANZA}/archive.info", rejectUnauthorized: false }, (r) => console.log(r.statusCode))`;
    const unsigned = await exec(docker.getContainer(r2.id), ["node", "-e", request], [], "s3-standin");
    expect(unsigned.output.trim()).toBe("403");
  });

  it("reads its stores from the configuration's own lines, not from defaults", () => {
    expect(() => s3RepositoriesOf([{ file: "/etc/pgbackrest/pgbackrest.conf", content: Buffer.from("repo2-type=s3\nrepo2-s3-bucket=b\n"), mode: 0o644, uid: 0, gid: 0 }]))
      .toThrow(/repo2-s3-endpoint/);
  });
});

// Faults injected into the running stand-up, each caught by `npm run verify` with its checklist id and
// nothing else, each restored afterwards (runs in the fault project, after the other stand-up tests).
// The rate-limit check is left out of these runs: each of its bursts ends in a 429 that fail2ban
// counts, and ten verifies in a few minutes would reach its ban threshold; verify.test.ts proves it.
// The DNS fault is proved against dnsmasq serving the declared zone (tests/verify/dns-check.test.ts).
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHECKS } from "../../verify/checks";
import { HttpProbe } from "../../verify/probes/http";
import { runDeclaredHealthcheck } from "../../verify/probes/docker-host";
import { PublicAddresses } from "../../verify/probes/public-address";
import { declaredContainer, docker, eventually, execIn, psql, running, standUp, standUpSkipped, workerReady } from "./fixture";
import type { StandUpInfo } from "./standup";
import {
  createStandUpCa, editContainerFile, editNginxConf, failingIds, failures, installCertificate, primaryDomain, runFirstBackups, STANDUP_SKIPS, standUpIntent, verifyStandUp,
  type StandUpCa,
} from "./verify-run";

const FAULT_LABEL = { "com.jewelry-shop.test": "verify-faults" };
// Left out of the fault runs: the checks that spend the login zone's 10 requests a minute (admin and
// csrf ask /admin/login/ twice a run, the rate-limit burst fills it), which ten runs back to back
// would outrun: verify would then wait for the zone to drain. verify.test.ts proves them.
const LOGIN_ZONE_CHECKS = new Set(["rate-limit", "admin", "csrf"]);
const CHECKED = CHECKS.map((c) => c.name).filter((n) => !LOGIN_ZONE_CHECKS.has(n) && !STANDUP_SKIPS.has(n));

describe.skipIf(standUpSkipped())("verify catches each fault injected into the stand-up, by its checklist id alone", () => {
  let info: StandUpInfo;
  let ca: StandUpCa;
  let http: HttpProbe;
  let domain: string;
  const caught = async (now?: () => Date) => {
    const report = await verifyStandUp(info, ca, { only: CHECKED, now });
    return { ids: failingIds(report), detail: failures(report) };
  };
  /** A response header of the live edge (undefined when absent). */
  const servedHeader = async (name: string) => (await http.request({ scheme: "https", host: domain, port: 443, path: "/" })).headers.get(name)?.[0];
  /** Whether the edge completes a TLS 1.1 handshake (a client at OpenSSL security level 0, as a legacy client). */
  const servesTls11 = () => new Promise<boolean>((resolve) => {
    // s_client holds the connection open while its stdin is: closed at once, it ends after the handshake.
    const client = execFile("openssl", ["s_client", "-brief", "-connect", "127.0.0.1:443", "-servername", domain, "-tls1_1", "-cipher", "ALL:@SECLEVEL=0"],
      { timeout: 15_000 }, (error) => resolve(error === null));
    client.stdin?.end();
  });

  beforeAll(async () => {
    info = await standUp();
    domain = primaryDomain(info);
    http = new HttpProbe(new PublicAddresses([{ host: "*", port: 0, address: "127.0.0.1" }]));
    ca = createStandUpCa();
    // Side by side: they touch different containers (nginx, the repository host).
    await Promise.all([installCertificate(info, ca, standUpIntent(info).edge.names), runFirstBackups(info)]);
    // The baseline: nothing fails before a fault is injected.
    const before = await caught();
    expect(before.ids, before.detail).toEqual([]);
  }, 900_000);
  afterAll(async () => {
    http?.close();
    if (info && ca) await installCertificate(info, ca, undefined);
    if (ca) rmSync(ca.dir, { recursive: true, force: true });
  });

  it("a stopped container: P.1", async () => {
    const beat = docker.getContainer(declaredContainer(info, "jewelry-beat").id);
    await beat.stop({ t: 10 });
    try {
      const found = await caught();
      expect(found.ids, found.detail).toEqual(["P.1"]);
      expect(found.detail).toMatch(/jewelry-beat/);
    } finally {
      await beat.start();
      await running(info, "jewelry-beat");
    }
  });

  it("a paused container (its processes frozen while Docker still reports it running): P.1", async () => {
    const beat = docker.getContainer(declaredContainer(info, "jewelry-beat").id);
    await beat.pause();
    try {
      const found = await caught();
      expect(found.ids, found.detail).toEqual(["P.1"]);
      expect(found.detail).toMatch(/jewelry-beat: paused/);
    } finally {
      await beat.unpause();
      // Docker marks a paused container unhealthy and keeps that verdict until its next probe, one
      // interval (60 s) on: the declared healthcheck is asked now, as verify asks it (the next runs
      // then judge beat through that path).
      await eventually("jewelry-beat's declared healthcheck passing after the unpause",
        async () => ((await runDeclaredHealthcheck(docker, await beat.inspect())).exitCode === 0 ? true : undefined), 60_000);
    }
  });

  it("a security header removed from the served nginx.conf: 10.4", async () => {
    const restore = await editNginxConf(info, (conf) => conf.replace(/^\s*add_header Referrer-Policy .*\n/gm, ""), async () => (await servedHeader("referrer-policy")) === undefined);
    try {
      const found = await caught();
      expect(found.ids, found.detail).toEqual(["10.4"]);
      expect(found.detail).toMatch(/referrer-policy/i);
    } finally {
      await restore();
    }
  });

  it("TLS 1.1 enabled (with the legacy suite and security level it needs to complete): 9.3", async () => {
    const restore = await editNginxConf(info, (conf) => conf
      .replace(/ssl_protocols TLSv1\.2 TLSv1\.3;/, "ssl_protocols TLSv1.1 TLSv1.2 TLSv1.3;")
      .replace(/(ssl_ciphers [^;]+);/, "$1:ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0;"), servesTls11);
    try {
      const found = await caught();
      expect(found.ids, found.detail).toEqual(["9.3"]);
      expect(found.detail).toMatch(/TLSv1\.1/);
    } finally {
      await restore();
    }
  });

  it("a certificate for the wrong names: 9.2 and P.14 (names, and the host not covered)", async () => {
    await installCertificate(info, ca, ["shop.example.net"]);
    try {
      const found = await caught();
      expect(found.ids, found.detail).toEqual(["9.2", "P.14"]);
      expect(found.detail).toMatch(/does not cover/);
    } finally {
      await installCertificate(info, ca, standUpIntent(info).edge.names);
    }
  });

  it("a certificate certbot failed to renew (10 days left, inside the declared renewal window): 9.6", async () => {
    await installCertificate(info, ca, standUpIntent(info).edge.names, 10);
    try {
      const found = await caught();
      expect(found.ids, found.detail).toEqual(["9.6"]);
      expect(found.detail).toMatch(/\b(9|10) days left/);
    } finally {
      await installCertificate(info, ca, standUpIntent(info).edge.names);
    }
  });

  it("a stale backup (the stand-up judged as of 31 hours from now: the daily differential has not run): 3.5 and P.11", async () => {
    // A backup cannot be aged in place (pgBackRest's encrypted backup.info holds its times), so the
    // clock moves instead: 31 h is past the daily schedule and its 6 h grace, inside the weekly full's
    // and the weekly drill's, and the certificate's 90 days.
    const later = new Date(Date.now() + 31 * 3600_000);
    const found = await caught(() => later);
    expect(found.ids, found.detail).toEqual(["3.5", "P.11"]);
    expect(found.detail).toMatch(/repo1 diff/);
  });

  it("row-level security disabled on one tenant table: 3.4", async () => {
    const { database } = standUpIntent(info).app!;
    const table = database.tenantTables[0]!;
    await psql(info, `ALTER TABLE ${table.schema}.${table.table} DISABLE ROW LEVEL SECURITY`, database.name);
    try {
      const found = await caught();
      expect(found.ids, found.detail).toEqual(["3.4"]);
      expect(found.detail).toContain(table.table);
    } finally {
      await psql(info, `ALTER TABLE ${table.schema}.${table.table} ENABLE ROW LEVEL SECURITY`, database.name);
    }
  });

  it("a Redis user with nopass: 4.2", async () => {
    // Redis reads its users only at start: redis.conf names no aclfile (so no ACL LOAD), and no user
    // may run ACL SETUSER. So the users file is edited and Redis restarted, as an operator deploying it.
    const redis = declaredContainer(info, "jewelry-redis").id;
    const restoreFile = await editContainerFile(redis, "/usr/local/etc/redis/users.acl", (acl) => acl.replace(/^(user jewelry .*?)>\S+/m, "$1nopass"));
    const restart = async () => {
      // Debian's Celery 5.2.6 may stop consuming and answering remote control after its broker restarts
      // (celery/celery#8030; kombu fixed it in 5.4), and Docker does not restart an unhealthy container:
      // the worker is stopped while Redis restarts, so it only ever meets a running broker.
      const worker = docker.getContainer(declaredContainer(info, "jewelry-worker").id);
      await worker.stop({ t: 30 });
      const stoppedAt = Math.floor(Date.now() / 1000);
      try {
        await docker.getContainer(redis).restart({ t: 10 });
        await running(info, "jewelry-redis");
      } finally {
        await worker.start();
      }
      await workerReady(info, stoppedAt);
      await eventually("the app's /health/ answering 200 again", async () => ((await http.request({ scheme: "https", host: domain, port: 443, path: "/health/" })).status === 200 ? true : undefined), 120_000);
      // Docker reports the restarted worker "starting" until its first probe, one interval on, so verify
      // runs the declared healthcheck itself: the restore waits until that passes (a loaded machine
      // took longer than its 20 s timeout while the worker was not yet answering).
      await eventually("jewelry-worker's declared healthcheck passing after the restart",
        async () => ((await runDeclaredHealthcheck(docker, await worker.inspect())).exitCode === 0 ? true : undefined), 120_000);
    };
    try {
      await restart();
      const found = await caught();
      expect(found.ids, found.detail).toEqual(["4.2"]);
      expect(found.detail).toMatch(/user jewelry/);
    } finally {
      restoreFile();
      await restart();
    }
  });

  it("a port published on 0.0.0.0 (Redis's, by a container the program does not declare): 10.1", async () => {
    const image = info.containers["jewelry-redis"]!.image;
    const stray = await docker.createContainer({
      Image: image, Labels: FAULT_LABEL, Entrypoint: ["redis-server"], Cmd: ["--port", "6379", "--save", "", "--appendonly", "no"],
      ExposedPorts: { "6379/tcp": {} }, HostConfig: { PortBindings: { "6379/tcp": [{ HostIp: "0.0.0.0", HostPort: "6379" }] } },
    });
    try {
      await stray.start();
      await eventually("the stray Redis answering on 0.0.0.0:6379", async () => ((await execIn(stray.id, ["redis-cli", "-p", "6379", "ping"])).output.includes("PONG") ? true : undefined), 30_000);
      const found = await caught();
      expect(found.ids, found.detail).toEqual(["10.1"]);
      expect(found.detail).toMatch(/6379/);
    } finally {
      await stray.remove({ force: true, v: true });
    }
  });

  it("leaves the stand-up as it found it: nothing fails after every fault is restored", async () => {
    const after = await caught();
    expect(after.ids, after.detail).toEqual([]);
  });
});

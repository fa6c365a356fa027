// The parts of the data-tier models that no Debian server can prove: how the official postgres image
// and edoburu/pgbouncer start from a container's inputs, and the shell following that finds what a
// cron line really runs. (The config readers themselves are proven against real servers in tests/servers/*-model.test.ts.)
import { describe, expect, it } from "vitest";
import { cronModel } from "../../policies/lib/cron/daemon";
import { jobRuns, shellSyntaxProblem } from "../../policies/lib/cron/job-runs";
import { edoburuGeneratedIni } from "../../policies/lib/pgbouncer/server";
import { imageLaunch, initdbOptions, initdbPgHbaConf } from "../../policies/lib/postgres/official-image";
import { loadPgbouncerConfig } from "../../policies/lib/pgbouncer/config";
import { filesView } from "../../policies/lib/server-files";

describe("the official postgres image's start", () => {
  it("follows the program's sh -c wrapper to docker-entrypoint.sh and the server's arguments", () => {
    const launch = imageLaunch(["sh", "-c", 'chown postgres:postgres /var/spool/pgbackrest && exec docker-entrypoint.sh "$@"', "--"], ["postgres", "-c", "config_file=/etc/postgresql/postgresql.conf"]);
    expect(launch).toMatchObject({ viaEntrypoint: true, serverArgv: ["-c", "config_file=/etc/postgresql/postgresql.conf"] });
  });
  it("prepends postgres when the command starts with an option, and drops the image's CMD when the entrypoint is replaced", () => {
    expect(imageLaunch(undefined, ["-c", "ssl=off"]).serverArgv).toEqual(["-c", "ssl=off"]);
    expect(imageLaunch(undefined, undefined).serverArgv).toEqual([]);
    expect(imageLaunch(["docker-entrypoint.sh"], undefined).serverArgv).toBeUndefined();
    expect(imageLaunch(undefined, ["bash"]).serverArgv).toBeUndefined();
  });
  it("reads POSTGRES_INITDB_ARGS as initdb does (default trust) and appends the entrypoint's host line", () => {
    expect(initdbOptions(undefined)).toMatchObject({ authLocal: "trust", authHost: "trust" });
    const options = initdbOptions("--auth-host=scram-sha-256 -A md5 --data-checksums -c ssl=on");
    expect(options).toMatchObject({ authLocal: "md5", authHost: "scram-sha-256", settings: [["ssl", "on"]] });
    expect(initdbPgHbaConf(options, "trust").trim().split("\n").pop()).toBe("host all all all trust");
  });
});

describe("edoburu/pgbouncer's generated ini", () => {
  it("defaults to session pooling and md5 when the env says nothing, and forces DB_USER as the server role", () => {
    const config = loadPgbouncerConfig(filesView(new Map([["/etc/pgbouncer/pgbouncer.ini", edoburuGeneratedIni(new Map([["DB_HOST", "db"], ["DB_USER", "app"]]))]])), "/etc/pgbouncer/pgbouncer.ini");
    expect([config.get("pool_mode"), config.get("auth_type"), config.databases[0]?.name, config.databases[0]?.params.get("user")]).toEqual(["session", "md5", "*", "app"]);
  });
});

describe("what a cron job really runs", () => {
  const wrapper = `#!/bin/sh
STANZA='main'
PGBACKREST='pgbackrest'
type="\${1:-}"
repo="\${2:-}"
flock -w 60 /run/lock/x \\
  "$PGBACKREST" --config-path=/etc/pgbackrest --stanza="$STANZA" --type="$type" --repo="$repo" backup || status=$?
`;
  const model = (crontab: string, executable = true) => cronModel({
    argv: ["sh", "-c", "crontab -u postgres /etc/cron/tab && exec cron -f"], env: new Map([["PGBACKREST_REPO1_CIPHER_TYPE", "none"]]), user: "",
    uploads: [{ file: "/etc/cron/tab", content: crontab }, { file: "/usr/local/bin/backup", content: wrapper, executable }],
  });
  const uploads = new Map([["/usr/local/bin/backup", { file: "/usr/local/bin/backup", content: wrapper, executable: true }]]);
  it("follows the wrapper to pgbackrest with the line's arguments, in cron's environment (not the container's)", () => {
    const cron = model("0 2 * * 0 /usr/local/bin/backup full 2\n");
    expect(cron.jobs).toHaveLength(1);
    const runs = jobRuns(cron.jobs[0]!, uploads);
    expect(runs.runs.map((r) => r.args)).toEqual([["--config-path=/etc/pgbackrest", "--stanza=main", "--type=full", "--repo=2", "backup"]]);
    expect(runs.runs[0]!.env.get("PGBACKREST_REPO1_CIPHER_TYPE")).toBeUndefined();
    expect(runs.runs[0]!.env.get("PATH")).toBe("/usr/bin:/bin");
  });
  it("finds no run when the wrapper is called by a bare name outside cron's PATH, or is not executable", () => {
    expect(jobRuns(model("0 2 * * 0 backup full 2\n").jobs[0]!, uploads).problems).toEqual([expect.stringMatching(/"backup" is not found in the job's PATH/)]);
    const notExecutable = new Map([["/usr/local/bin/backup", { file: "/usr/local/bin/backup", content: wrapper, executable: false }]]);
    expect(jobRuns(model("0 2 * * 0 /usr/local/bin/backup full 2\n").jobs[0]!, notExecutable).problems).toEqual([expect.stringMatching(/is not executable/)]);
  });
  it("installs nothing from a crontab that crontab(1) refuses, and schedules nothing without a cron daemon", () => {
    expect(model("0 2 * * 0 /usr/local/bin/backup full 2").jobs).toEqual([]);
    expect(cronModel({ argv: ["pgbackrest", "server"], env: new Map(), user: "", uploads: [{ file: "/etc/crontab", content: "0 2 * * * root true\n" }] }).ignored)
      .toEqual([{ file: "/etc/crontab", reason: "no cron daemon runs in this container" }]);
  });
  it("spots the shell syntax error a % leaves behind", () => {
    expect(shellSyntaxProblem("backup full 1 > /tmp/x-$(date +")).toBe("an unterminated $(");
    expect(shellSyntaxProblem("backup full 1 > /tmp/x-$(date +F)")).toBeUndefined();
  });
});

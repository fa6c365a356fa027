// Differential test of the pack's PostgreSQL model (policies/lib/postgres) against PostgreSQL 15:
// for the stack's own postgresql.conf/pg_hba.conf and for mutated variants, the model's answer must
// equal what the server reports (pg_file_settings, pg_settings, pg_hba_file_rules), which pg_hba
// line really answers a connection, and whether the server starts at all. Verified on Debian's 15;
// the stack runs 16, whose pg_hba include directives and line continuations are modelled from its
// documentation and not exercised here (15 refuses them, as the last case shows).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderPgHbaConf } from "../../components/postgres/pg-hba";
import { renderPostgresqlConf } from "../../components/postgres/postgresql-conf";
import { filesView } from "../../policies/lib/server-files";
import { answeringRecord, loadHba, type HbaConnection } from "../../policies/lib/postgres/hba";
import { GUCS, settingText } from "../../policies/lib/postgres/gucs";
import { formatIp } from "../../policies/lib/ip";
import { resolvePostgresSettings } from "../../policies/lib/postgres/settings";
import { createModelFixture, type ModelFixture, type ProbeOutcome, type StartedVariant, type Variant } from "./postgres-model-fixture";

let fixture: ModelFixture;
beforeAll(async () => {
  fixture = await createModelFixture();
}, 60_000);
afterAll(async () => {
  await fixture?.stop();
});

const stackConf = renderPostgresqlConf({
  listenAddresses: ["127.0.0.1"], maxConnections: 30, memoryMiB: 512, cpus: 2,
  tls: { certFile: "@CERT@", keyFile: "@KEY@" }, hbaFile: "@DIR@/pg_hba.conf",
  archive: { command: "test ! -f @DIR@/%f && cp %p @DIR@/%f" },
});
const stackHba = renderPgHbaConf({ allowedCidrs: ["127.0.0.1/32"] });
const tls = "ssl = on\nssl_cert_file = '@CERT@'\nssl_key_file = '@KEY@'\nlisten_addresses = '127.0.0.1'\n";

function modelOf(started: StartedVariant) {
  const view = filesView(new Map(started.files));
  const settings = resolvePostgresSettings(view, { argv: started.argv });
  const hba = loadHba(view, settings.hbaFile, { majorVersion: 15, ssl: settings.get("ssl").value === true });
  return { settings, hba, errors: [...settings.errors, ...hba.errors] };
}

/** Starts the variant and checks that the model agrees with the server on everything it reports. */
async function expectAgreement(name: string, variant: Variant): Promise<StartedVariant> {
  const started = await fixture.start(name, variant);
  const model = modelOf(started);
  expect({ starts: started.running !== undefined }, `${model.errors.join("; ")}\n${started.log}`).toEqual({ starts: model.errors.length === 0 });
  if (!started.running) return started;
  const fileSettings = await started.running.query("SELECT sourcefile, sourceline, name, setting, applied FROM pg_file_settings ORDER BY seqno");
  expect(fileSettings).toEqual(model.settings.fileSettings.map((s) => [s.file, String(s.line), s.name, s.value, s.applied ? "t" : "f"]));
  // Where the server derives a path itself (data_directory, hba_file's default …) only the value is compared.
  const names = Object.keys(GUCS).filter((n) => !["reserved_connections", "data_directory", "hba_file", "ident_file"].includes(n)).sort();
  const actual = await started.running.query(`SELECT name, setting, source FROM pg_settings WHERE name IN (${names.map((n) => `'${n}'`).join(",")}) ORDER BY name`);
  const archiving = model.settings.get("archive_mode").value !== "off";
  expect(actual).toEqual(names.map((n) => {
    const s = model.settings.get(n);
    // PostgreSQL 15 shows archive_command as "(disabled)" while archive_mode is off.
    return [n, n === "archive_command" && !archiving ? "(disabled)" : settingText(s.value!), s.source];
  }));
  expect((await started.running.query("SHOW hba_file"))[0]?.[0]).toBe(model.settings.hbaFile);
  const rules = await started.running.query("SELECT line_number, type, array_to_string(database, ' '), array_to_string(user_name, ' '), coalesce(address, ''), auth_method FROM pg_hba_file_rules ORDER BY line_number");
  expect(rules).toEqual(model.hba.records.map((r) => [
    String(r.line), r.type, r.databases.map((t) => t.text).join(" "), r.users.map((t) => t.text).join(" "),
    r.address?.kind === "cidr" ? formatIp({ family: r.address.cidr.family, value: r.address.cidr.base }) : r.address?.kind === "all" ? "all" : r.address?.kind === "dynamic" ? r.address.text : "",
    r.method,
  ]));
  return started;
}

describe("postgresql.conf: the model resolves settings as PostgreSQL 15 does", () => {
  it("the stack's own postgresql.conf and pg_hba.conf", async () => {
    await expectAgreement("stack", { files: { "postgresql.conf": stackConf, "pg_hba.conf": stackHba } });
  });

  it("a repeated setting: the last one wins, earlier ones are not applied", async () => {
    await expectAgreement("repeated", { files: { "postgresql.conf": `${tls}ssl = off\narchive_mode = on\nssl = on\narchive_mode = off # later\n`, "pg_hba.conf": stackHba } });
  });

  it("include (relative to the including file), include_if_exists of a missing file, include_dir (only *.conf, not dot files, byte order)", async () => {
    await expectAgreement("includes", {
      files: {
        "postgresql.conf": `${tls}include 'sub/first.conf'\ninclude_if_exists 'missing.conf'\ninclude_dir 'conf.d'\narchive_timeout = 60\n`,
        "sub/first.conf": "include 'second.conf'\npassword_encryption = md5\n",
        "sub/second.conf": "archive_timeout = 30\n",
        "conf.d/b.conf": "password_encryption = 'scram-sha-256'\n",
        "conf.d/a.conf": "ssl_min_protocol_version = 'TLSv1'\n",
        "conf.d/C.conf": "archive_mode = always\n",
        "conf.d/.hidden.conf": "archive_mode = off\n",
        "conf.d/notes.txt": "archive_mode = off\n",
        "pg_hba.conf": stackHba,
      },
    });
  });

  it("command-line settings (-c and --name=value) override every file", async () => {
    await expectAgreement("argv", {
      files: { "postgresql.conf": `${tls}archive_mode = on\npassword_encryption = scram-sha-256\n`, "pg_hba.conf": stackHba },
      argv: ["-c", "archive_mode=off", "--password-encryption=md5", "-cstatement_timeout=5s"],
    });
  });

  it("postgresql.auto.conf (ALTER SYSTEM) overrides postgresql.conf", async () => {
    await expectAgreement("auto-conf", {
      files: { "postgresql.conf": `${tls}archive_timeout = 300\n`, "pg_hba.conf": stackHba },
      autoConf: "archive_timeout = '1h'\nssl_min_protocol_version = 'TLSv1.1'\n",
    });
  });

  it("units, hex and octal integers, boolean prefixes and enum spellings", async () => {
    await expectAgreement("values", {
      files: {
        "postgresql.conf": `${tls}archive_timeout = 5min\nstatement_timeout = '1h'\nidle_in_transaction_session_timeout = 90s\nmax_connections = 0x28\n` +
          "superuser_reserved_connections = 010\nlog_connections = of\nlog_disconnections = 'YE'\nfsync = t\nwal_level = hot_standby\n" +
          "archive_mode = yes\npassword_encryption = 'SCRAM-SHA-256'\nlog_min_duration_statement = 1500ms\n",
        "pg_hba.conf": stackHba,
      },
    });
  });

  it("refuses to start on an unquoted path (a value token cannot start with /)", async () => {
    await expectAgreement("unquoted-path", { files: { "postgresql.conf": `${tls}archive_command = /usr/bin/pgbackrest --stanza=main archive-push %p\n`, "pg_hba.conf": stackHba } });
  });

  it("refuses to start on a real number with a unit (1.5s) and on a trailing second value", async () => {
    await expectAgreement("real-unit", { files: { "postgresql.conf": `${tls}archive_timeout = 1.5s\n`, "pg_hba.conf": stackHba } });
    await expectAgreement("two-values", { files: { "postgresql.conf": `${tls}ssl = on off\n`, "pg_hba.conf": stackHba } });
  });

  it("refuses to start on a missing include and on a value the setting rejects", async () => {
    await expectAgreement("missing-include", { files: { "postgresql.conf": `${tls}include 'nowhere.conf'\n`, "pg_hba.conf": stackHba } });
    await expectAgreement("bad-enum", { files: { "postgresql.conf": `${tls}password_encryption = on\n`, "pg_hba.conf": stackHba } });
  });
});

describe("pg_hba.conf: the model answers each connection with the record PostgreSQL 15 uses", () => {
  const password = "probe-password-1";
  const roles: Array<{ name: string; memberOf: string[] }> = [
    { name: "app_user", memberOf: [] }, { name: "ops_user", memberOf: ["ops"] }, { name: "ops", memberOf: ["admins"] },
    { name: "admins", memberOf: [] }, { name: "dave", memberOf: [] },
  ];
  const isMember = (user: string, role: string) => {
    const reach = [user];
    for (let i = 0; i < reach.length; i++) for (const parent of roles.find((r) => r.name === reach[i])?.memberOf ?? []) if (!reach.includes(parent)) reach.push(parent);
    return reach.includes(role);
  };
  const probes: Array<{ user: string; database: string; transport: "local" | "tls" | "plain" }> = [];
  for (const user of ["postgres", "app_user", "ops_user", "dave"]) {
    for (const database of ["postgres", "dave"]) for (const transport of ["local", "tls", "plain"] as const) probes.push({ user, database, transport });
  }

  async function expectSameAnswers(started: StartedVariant): Promise<void> {
    const model = modelOf(started);
    for (const p of probes) {
      const connection: HbaConnection = { transport: p.transport === "local" ? "local" : "tcp", tls: p.transport === "tls", address: "127.0.0.1", database: p.database, user: p.user };
      const verdict = answeringRecord(model.hba, connection, isMember);
      const expected: ProbeOutcome["kind"] = verdict.kind === "none" ? "no-entry" : verdict.record.method === "reject" ? "rejected" : verdict.record.method === "trust" ? "trusted" : "authenticated";
      const actual = await started.running!.connect({ ...p, password: p.user === "postgres" ? "fixture-superuser-password" : password });
      const line = verdict.kind === "record" ? verdict.record.line : undefined;
      expect({ probe: p, kind: actual.kind, line: actual.kind === "authenticated" ? actual.line : undefined })
        .toEqual({ probe: p, kind: expected, line: expected === "authenticated" ? line : undefined });
    }
  }

  const hbaVariant = (name: string, hba: string, extra: Record<string, string> = {}) =>
    expectAgreement(name, { files: { "postgresql.conf": `${tls}hba_file = '@DIR@/pg_hba.conf'\n`, "pg_hba.conf": hba, ...extra } });

  it("the stack's pg_hba.conf: SCRAM over the socket and TLS, plain TCP rejected", async () => {
    const started = await expectAgreement("hba-roles", { files: { "postgresql.conf": `${tls}hba_file = '@DIR@/pg_hba.conf'\n`, "pg_hba.conf": stackHba } });
    const statements = [
      ...roles.map((r) => `CREATE ROLE ${r.name} LOGIN PASSWORD '${password}'`),
      ...roles.flatMap((r) => r.memberOf.map((g) => `GRANT ${g} TO ${r.name}`)),
      "CREATE DATABASE dave",
    ];
    for (const statement of statements) await started.running!.query(statement);
    // Membership as PostgreSQL computes it (pg_has_role MEMBER) equals the model's closure, every pair in one query.
    const names = roles.map((r) => `'${r.name}'`).join(",");
    const members = await started.running!.query(`SELECT u, g, pg_has_role(u, g, 'MEMBER') FROM unnest(ARRAY[${names}]) u, unnest(ARRAY[${names}]) g ORDER BY u, g`);
    expect(members).toEqual(roles.map((r) => r.name).sort().flatMap((u) => roles.map((g) => g.name).sort().map((g) => [u, g, isMember(u, g) ? "t" : "f"])));
    // pg_hba.conf is read at start-up and roles at each connection: the server that made the roles answers the probes.
    await expectSameAnswers(started);
  });

  it("first match: an md5 line before the reject answers plain TCP; +group (indirect membership), sameuser, @file and quoted names", async () => {
    await expectSameAnswers(await hbaVariant("hba-first-match", [
      "local all postgres scram-sha-256",
      "host all +admins 127.0.0.1/32 trust",
      "host sameuser all 127.0.0.1 255.255.255.255 password",
      "hostnossl all @users.txt 127.0.0.0/8 md5",
      'host "postgres" "app_user" 127.0.0.1/32 scram-sha-256',
      "hostnossl all all all reject",
      "hostssl all all 0.0.0.0/0 scram-sha-256",
      "local all all md5",
      "",
    ].join("\n"), { "users.txt": "dave, nobody # comment\napp_user\n" }));
  });

  it("refuses to start on records PostgreSQL rejects (peer over TCP, a missing @file, include before 16) and joins backslash continuations", async () => {
    await hbaVariant("hba-peer-tcp", "local all all scram-sha-256\nhost all all 127.0.0.1/32 peer\n");
    await hbaVariant("hba-missing-file", "local all all scram-sha-256\nhost all @nobody.txt 127.0.0.1/32 md5\n");
    await hbaVariant("hba-continuation", "local all all scram-sha-256\nhost all all \\\n  127.0.0.1/32 md5\n");
    await hbaVariant("hba-include-15", "local all all scram-sha-256\ninclude extra.conf\n", { "extra.conf": "host all all 127.0.0.1/32 trust\n" });
  });

  it("keeps hostssl records that cannot match when ssl is off", async () => {
    await expectAgreement("hba-ssl-off", { files: { "postgresql.conf": `listen_addresses = '127.0.0.1'\nhba_file = '@DIR@/pg_hba.conf'\n`, "pg_hba.conf": stackHba } });
  });
});


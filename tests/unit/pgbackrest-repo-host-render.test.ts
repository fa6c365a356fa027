// Pure checks of the repository-host renderers: the PostgreSQL host's pgbackrest.conf and the TLS
// server lines of the repository host's. Run for real in tests/servers/pgbackrest-repo-host.test.ts.
import { describe, expect, it } from "vitest";
import { renderPgbackrestConf } from "../../components/backup/pgbackrest-conf";
import { pgbackrestArchivePushCommand, renderPgHostPgbackrestConf } from "../../components/backup/pgbackrest-pg-host-conf";

const tlsFiles = { certFile: "/etc/pgbackrest/tls/pgbackrest.crt", keyFile: "/etc/pgbackrest/tls/pgbackrest.key", caFile: "/etc/pgbackrest/tls/ca.crt" };
const pgHost = () => renderPgHostPgbackrestConf({
  stanza: "main",
  repositoryHost: { host: "jewelry-backup", port: 8432, repos: [1, 2, 3], ...tlsFiles },
  pg: { dataDir: "/var/lib/postgresql/data/pgdata" },
});

describe("the PostgreSQL host's pgbackrest.conf", () => {
  it("points every repository at the repository host over TLS with a client certificate", () => {
    const text = pgHost();
    for (const n of [1, 2, 3]) {
      expect(text).toContain([
        `repo${n}-host=jewelry-backup`, `repo${n}-host-type=tls`, `repo${n}-host-port=8432`,
        `repo${n}-host-cert-file=${tlsFiles.certFile}`, `repo${n}-host-key-file=${tlsFiles.keyFile}`, `repo${n}-host-ca-file=${tlsFiles.caFile}`,
      ].join("\n"));
    }
    expect(text).toMatch(/^archive-async=y\nspool-path=\/var\/spool\/pgbackrest$/m);
    expect(text).toMatch(/\[main\]\npg1-path=\/var\/lib\/postgresql\/data\/pgdata\n/);
  });

  it("holds no repository storage, cipher or bucket option", () => {
    expect(pgHost()).not.toMatch(/cipher|s3-|repo\d-path|repo\d-type|retention|tls-server/);
  });

  it("refuses an unknown repository number and a repository listed twice", () => {
    const bad = (repos: number[]) => () => renderPgHostPgbackrestConf({
      stanza: "main", repositoryHost: { host: "jewelry-backup", repos, ...tlsFiles }, pg: { dataDir: "/d" },
    });
    expect(bad([5])).toThrow(/1-4/);
    expect(bad([1, 1])).toThrow(/twice/);
    expect(bad([])).toThrow(/at least one/);
  });

  it("renders the archive_command PostgreSQL runs", () => {
    expect(pgbackrestArchivePushCommand("main")).toBe("pgbackrest --stanza=main archive-push %p");
    expect(pgbackrestArchivePushCommand("main", "/etc/pgb")).toBe("pgbackrest --config-path=/etc/pgb --stanza=main archive-push %p");
    expect(() => pgbackrestArchivePushCommand("main; rm -rf /")).toThrow(/stanza/);
  });
});

describe("the repository host's TLS server", () => {
  const conf = (authorizedClients: Record<string, string[]>, address = "172.30.2.250") => renderPgbackrestConf({
    stanza: "main",
    repos: [{ type: "posix", name: "local", path: "/var/lib/pgbackrest", retention: { full: 4, diff: 7 } }],
    pg: { dataDir: "/var/lib/postgresql/data/pgdata" },
    tlsServer: { address, port: 8432, ...tlsFiles, authorizedClients },
  });

  it("listens on one address and lets in only the named client for its stanza", () => {
    expect(conf({ "jewelry-postgres": ["main"] })).toContain([
      "tls-server-address=172.30.2.250", "tls-server-port=8432", `tls-server-cert-file=${tlsFiles.certFile}`,
      `tls-server-key-file=${tlsFiles.keyFile}`, `tls-server-ca-file=${tlsFiles.caFile}`, "tls-server-auth=jewelry-postgres=main",
    ].join("\n"));
  });

  it("refuses a wildcard stanza, no client, and a host name for the address", () => {
    expect(() => conf({ "jewelry-postgres": ["*"] })).toThrow(/stanza/);
    expect(() => conf({})).toThrow(/at least one client/);
    expect(() => conf({ "jewelry-postgres": ["main"] }, "0.0.0.0/0")).toThrow(/IPv4/);
  });
});

// Differential test of the pack's pgBackRest model (policies/lib/pgbackrest) against pgBackRest 2.45:
// for the stack's own repository-host config and mutated variants, the options the model resolves
// for a command must equal those pgBackRest prints in its "command begin" line (every option it
// resolved, secrets redacted), and the model must know when pgBackRest refuses the options. The
// stack runs 2.54; section and include precedence are the same in both.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgbackrestSecretIncludes, renderPgbackrestConf, type PgbackrestRepo } from "../../components/backup/pgbackrest-conf";
import { loadPgbackrestFiles, readPgbackrestArgv, resolvePgbackrestOptions } from "../../policies/lib/pgbackrest/config";
import { filesView } from "../../policies/lib/server-files";
import { removeDir, workDir, writeOwned } from "./fixtures";
import { runAsPostgres } from "./pgbackrest-fixture";

let base: string;
beforeAll(() => {
  base = workDir("pgbackrest-model", "postgres");
});
afterAll(() => removeDir(base));

/** Options the begin line lists, without those that describe the run itself. */
function beginLineOptions(output: string): Map<string, string> | undefined {
  const line = output.split("\n").find((l) => / command begin /.test(l));
  if (!line) return undefined;
  const options = new Map<string, string>();
  for (const m of line.slice(line.indexOf(":", line.indexOf("command begin")) + 1).matchAll(/--([a-z0-9-]+)(?:=(\S+))?/g)) {
    if (!["exec-id", "log-level-console", "config-path", "config", "config-include-path"].includes(m[1]!)) options.set(m[1]!, m[2] ?? "y");
  }
  return options;
}

interface Variant {
  /** Files relative to the variant folder (its config path). */
  readonly files: Readonly<Record<string, string>>;
  /** The command line after `pgbackrest` (the variant's --config-path is added). */
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

async function expectAgreement(name: string, variant: Variant): Promise<void> {
  const dir = join(base, name);
  mkdirSync(join(dir, "conf.d"), { recursive: true });
  const written = new Map<string, string>();
  for (const [relative, content] of Object.entries(variant.files)) {
    const file = join(dir, relative);
    writeOwned(file, content.replaceAll("@DIR@", dir), "postgres", 0o600);
    written.set(file, readFileSync(file, "utf8"));
  }
  execFileSync("chown", ["-R", "postgres:postgres", dir]);
  const args = [`--config-path=${dir}`, "--log-level-console=info", `--lock-path=${dir}`, `--log-path=${dir}`, ...variant.args.map((a) => a.replaceAll("@DIR@", dir))];
  const env = new Map(Object.entries(variant.env ?? {}));
  const { command, options } = readPgbackrestArgv(args);
  const loaded = loadPgbackrestFiles(filesView(written), options, env);
  const resolved = resolvePgbackrestOptions(loaded, { command: command!, options, env }, options.get("stanza"));
  const result = await runAsPostgres(["pgbackrest", ...args], { env: Object.fromEntries(env), cwd: dir });
  const actual = beginLineOptions(result.output);
  if (resolved.errors.length > 0) {
    expect({ begun: actual !== undefined, output: result.output.split("\n")[0] }).toEqual({ begun: false, output: expect.stringContaining(resolved.errors[0]!) });
    return;
  }
  expect(actual, result.output).toBeDefined();
  const predicted = new Map([...resolved.all].filter(([k]) => !["log-level-console", "config-path", "lock-path", "log-path"].includes(k))
    .map(([k, v]) => [k, /cipher-pass|key-secret|s3-key$/.test(k) ? "<redacted>" : v.value] as [string, string]));
  for (const k of ["lock-path", "log-path"]) actual!.delete(k);
  // Options that are not valid for this command are dropped by pgBackRest: compare those it lists.
  expect(Object.fromEntries([...actual!].sort())).toEqual(Object.fromEntries([...predicted].filter(([k]) => actual!.has(k)).sort()));
  expect([...predicted.keys()].filter((k) => !actual!.has(k) && /^repo\d+-(cipher|retention|type|path|s3-bucket)/.test(k))).toEqual([]);
}

const retention = { full: 4, diff: 7 };
const repos: PgbackrestRepo[] = [
  { name: "local", type: "posix", path: "/var/lib/pgbackrest", retention },
  { name: "r2", type: "r2", path: "/pgbackrest", accountId: "0123456789abcdef0123456789abcdef", bucket: "jewelry-backups", retention },
  { name: "b2", type: "b2", path: "/pgbackrest", region: "us-west-004", bucket: "jewelry-backups-b2", retention },
];
const stackConf = renderPgbackrestConf({ stanza: "main", repos, pg: { dataDir: "/var/lib/postgresql/data/pgdata" } });
const includes = Object.fromEntries(pgbackrestSecretIncludes(repos, {
  backupEncryptionKey: Buffer.alloc(32, 7).toString("base64url"),
  s3Keys: { r2: { accessKeyId: "r2-id", secretAccessKey: "r2-secret" }, b2: { accessKeyId: "b2-id", secretAccessKey: "b2-secret" } },
}).map((i) => [`conf.d/${i.file}`, i.content]));

// `expire` resolves every repository, cipher and retention option; run against repo1 at a missing
// path it fails at once, after the begin line, without reaching the (unreachable) buckets.
const expire = ["--repo=1", "--repo1-path=@DIR@/no-repo", "--stanza=main", "expire"];

describe("pgbackrest.conf: the model resolves options as pgBackRest 2.45 does", () => {
  it("the stack's repository-host config with its conf.d secret includes", async () => {
    await expectAgreement("stack", { files: { "pgbackrest.conf": stackConf, ...includes }, args: expire });
  });
  it("[stanza] beats [global] and [global:command] beats [global]", async () => {
    await expectAgreement("sections", {
      files: { "pgbackrest.conf": `${stackConf}\n[main]\nrepo1-retention-full=1\n\n[global:expire]\nrepo2-retention-full=9\n`, ...includes },
      args: expire,
    });
  });
  it("[stanza:command] beats [stanza]", async () => {
    await expectAgreement("stanza-command", {
      files: { "pgbackrest.conf": `${stackConf}\n[main:expire]\nrepo3-cipher-type=none\n`, ...includes }, args: expire,
    });
  });
  it("an include file in conf.d sets options of its section", async () => {
    await expectAgreement("include-section", {
      files: { "pgbackrest.conf": stackConf, ...includes, "conf.d/zz-override.conf": "[main]\nrepo2-retention-full=2\n" }, args: expire,
    });
  });
  it("an option set twice in the deciding section (main file and include) is refused", async () => {
    await expectAgreement("duplicate", {
      files: { "pgbackrest.conf": stackConf, ...includes, "conf.d/zz-dup.conf": "[global]\nrepo1-retention-full=9\n" }, args: expire,
    });
  });
  it("a PGBACKREST_* variable beats every file", async () => {
    await expectAgreement("env", {
      files: { "pgbackrest.conf": stackConf, ...includes }, args: expire, env: { PGBACKREST_REPO2_CIPHER_TYPE: "none", PGBACKREST_REPO1_RETENTION_FULL: "3" },
    });
  });
  it("the command line beats the environment and the files", async () => {
    await expectAgreement("command-line", {
      files: { "pgbackrest.conf": stackConf, ...includes }, args: ["--repo1-retention-full=6", ...expire], env: { PGBACKREST_REPO1_RETENTION_FULL: "3" },
    });
  });
  it("only *.conf files of the include path are read", async () => {
    await expectAgreement("include-names", {
      files: { "pgbackrest.conf": stackConf, ...includes, "conf.d/notes.txt": "[global]\nrepo1-retention-full=1\n" }, args: expire,
    });
  });
  it("an unencrypted repository: no cipher type, no pass required", async () => {
    await expectAgreement("unencrypted", {
      files: { "pgbackrest.conf": stackConf.replace("repo2-cipher-type=aes-256-cbc\n", ""), ...includes }, args: expire,
    });
  });
  it("a stanza section of another name does not apply", async () => {
    await expectAgreement("other-stanza", {
      files: { "pgbackrest.conf": `${stackConf}\n[prod]\nrepo1-retention-full=1\n`, ...includes }, args: expire,
    });
  });
  it("a --config file outside the config path, which then reads the default include path of the config path", async () => {
    await expectAgreement("config-file", {
      files: { "pgbackrest.conf": stackConf, "other.conf": stackConf.replace("repo1-retention-full=4", "repo1-retention-full=8"), ...includes },
      args: ["--config=@DIR@/other.conf", ...expire],
    });
  });
});

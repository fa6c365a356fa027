// The app's secrets loader, run for real with /bin/sh over a temporary secrets folder: it must hand
// the command exactly the file contents as env vars and exactly its own argv.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SECRETS_DIR, secretFilePath, secretsEntrypoint, secretsLoaderScript, withSecretsLoaded } from "../../components/app/secret-files";

const SECRETS: Record<string, string> = {
  DJANGO_SECRET_KEY: `k$y with spaces 'single' "double" \`tick\` $(echo no) \${HOME} a=b==c \\ back`,
  DATABASE_URL: "postgres://jewelry_app:p%40ss=w$rd@jewelry-pgbouncer:6432/jewelry_shop?sslmode=verify-full&x=1",
  MULTILINE: "line one\nline two",
  EMPTY: "",
};

/** Prints the env vars and argv the exec'd command received, as JSON. */
const REPORTER = [process.execPath, "-e", "process.stdout.write(JSON.stringify({ env: process.env, argv: process.argv.slice(1) }))"];
const ODD_ARGS = ["arg with  spaces", "$HOME", "*", "", "--opt=a=b", "'quoted'", "\"dq\""];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "jewelry-secrets-"));
  for (const [name, value] of Object.entries(SECRETS)) writeFileSync(join(dir, name), value);
  // Editors and `echo` leave a trailing newline: the variable must not carry it.
  writeFileSync(join(dir, "REDIS_PASSWORD"), "redis-pass\n");
  mkdirSync(join(dir, "not-a-file"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runLoader(argv: readonly string[], env: Record<string, string> = {}): { env: Record<string, string>; argv: string[] } {
  const [shell, ...args] = secretsEntrypoint(dir);
  const out = execFileSync(shell, [...args, ...argv], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, encoding: "utf8" });
  return JSON.parse(out) as { env: Record<string, string>; argv: string[] };
}

describe("the secrets loader", () => {
  it("exports every file as the variable of its name, byte for byte (spaces, quotes, $, =, backslashes, newlines)", () => {
    const seen = runLoader(REPORTER);
    for (const [name, value] of Object.entries(SECRETS)) expect(seen.env[name], name).toBe(value);
    expect(seen.env.REDIS_PASSWORD).toBe("redis-pass");
    expect(seen.env).not.toHaveProperty("not-a-file");
  });

  it("passes the command's argv through unchanged and execs it (no shell word splitting or globbing)", () => {
    const seen = runLoader([...REPORTER, ...ODD_ARGS]);
    expect(seen.argv).toEqual(ODD_ARGS);
  });

  it("keeps plain env settings, and a secret file wins over an env entry of the same name", () => {
    const seen = runLoader(REPORTER, { DEBUG: "False", DJANGO_SECRET_KEY: "from-env" });
    expect(seen.env.DEBUG).toBe("False");
    expect(seen.env.DJANGO_SECRET_KEY).toBe(SECRETS.DJANGO_SECRET_KEY);
  });

  it("runs the command with nothing exported when the folder is empty or missing", () => {
    const empty = mkdtempSync(join(tmpdir(), "jewelry-secrets-empty-"));
    try {
      for (const folder of [empty, join(empty, "missing")]) {
        const [shell, ...args] = secretsEntrypoint(folder);
        const out = execFileSync(shell, [...args, ...REPORTER, "x"], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, encoding: "utf8" });
        expect(JSON.parse(out).argv).toEqual(["x"]);
      }
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("fails with the command's exit status (exec replaces the shell)", () => {
    const [shell, ...args] = secretsEntrypoint(dir);
    expect(() => execFileSync(shell, [...args, "/bin/sh", "-c", "exit 7"], { stdio: "ignore" })).toThrow(/status 7|code 7|failed/);
  });
});

describe("secret file names", () => {
  it("puts each credential at /run/secrets/<NAME> and refuses names the shell cannot export", () => {
    expect(secretFilePath("STRIPE_SECRET_KEY")).toBe(`${SECRETS_DIR}/STRIPE_SECRET_KEY`);
    for (const bad of ["grafana-admin", "1KEY", "A B", "../etc/passwd", ""]) expect(() => secretFilePath(bad), bad).toThrow(/not an environment variable name/);
  });

  it("refuses a secrets folder the unquoted glob would misread", () => {
    for (const bad of ["relative", "/run/se crets", "/run/$HOME", "/run/../etc", "/run/*"]) expect(() => secretsLoaderScript(bad), bad).toThrow(/absolute path/);
  });

  it("prefixes a healthcheck's argv with the same loader", () => {
    expect(withSecretsLoaded(["celery", "inspect"])).toEqual([...secretsEntrypoint(), "celery", "inspect"]);
  });
});

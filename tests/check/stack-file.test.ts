// The check reads Pulumi.<stack>.yaml as the Pulumi CLI does (Go's yaml.v3, Pulumi's key and value
// rules) and refuses, before anything runs, what would stop `pulumi preview`.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UserInputError } from "../../check/errors";
import { configValueText, isGoMap, parseGoYaml } from "../../check/go-yaml";
import { normalizeKeys, readStackConfig } from "../../check/stack-config";

const fixture = path.join(__dirname, "fixtures/go-yaml");
const measured = JSON.parse(fs.readFileSync(path.join(fixture, "measured.json"), "utf8")) as { config: Record<string, unknown> };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "stack-file-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** What the check reads from a stack file's text, as the CLI stores it (value, secure, object). */
function asCli(text: string): Record<string, unknown> {
  const doc = parseGoYaml(text);
  const problems: string[] = [];
  const values = normalizeKeys(isGoMap(doc) && isGoMap(doc.config) ? doc.config : {}, "jewelry-shop", "stack.yaml", problems);
  expect(problems).toEqual([]);
  return Object.fromEntries([...values].map(([key, value]) => [key, configValueText(value)]));
}

/** A project folder holding one stack file with `body` as its text. */
function stackFolder(name: string, body: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: jewelry-shop\nruntime: nodejs\n");
  fs.writeFileSync(path.join(dir, "Pulumi.production.yaml"), body);
  return dir;
}

const refusal = (dir: string): string => {
  try {
    readStackConfig(dir, "production");
  } catch (err) {
    expect(err).toBeInstanceOf(UserInputError);
    return (err as Error).message;
  }
  throw new Error("expected the stack file to be refused");
};

const goYamlMissing = (): string | undefined =>
  spawnSync("go", ["version"]).status !== 0 ? "no `go` on PATH"
  : fs.existsSync("/usr/share/gocode/src/gopkg.in/yaml.v3") ? undefined : "no yaml.v3 in /usr/share/gocode";

describe("reading values as the Pulumi CLI does", () => {
  it("gives every value the text Go's yaml.v3 and Pulumi's config code give it (measured)", () => {
    expect(asCli(fs.readFileSync(path.join(fixture, "stack.yaml"), "utf8"))).toEqual(measured.config);
  });

  it("matches a fresh measurement with the real yaml.v3", () => {
    const missing = goYamlMissing();
    if (missing) throw new Error(`${missing}: \`npm test\` installs golang-go and golang-gopkg-yaml.v3-dev (scripts/ensure-deps.mjs --servers)`);
    const run = spawnSync("go", ["run", "main.go", "jewelry-shop"], {
      cwd: fixture, input: fs.readFileSync(path.join(fixture, "stack.yaml")), encoding: "utf8",
      env: { ...process.env, GOPATH: "/usr/share/gocode", GO111MODULE: "off", GOFLAGS: "", GOCACHE: path.join(tmp, "gocache") },
    });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual(measured);
  });

  it("hands an unquoted date on as Go prints a timestamp, so the pack refuses it as pulumi preview does", () => {
    const config = readStackConfig(stackFolder("date", "config:\n  jewelry-shop:policyExemptions:\n    - policy: non-root-user\n      expires: 2027-06-30\n"), "production").config;
    expect(JSON.parse(config["jewelry-shop:policyExemptions"])).toEqual([{ policy: "non-root-user", expires: "2027-06-30 00:00:00 +0000 UTC" }]);
  });
});

describe("stack file keys", () => {
  it("gives a key without a namespace the project's, as the CLI's stackConfigNamespacedWithProject does", () => {
    const c = readStackConfig(stackFolder("bare", "config:\n  environment: staging\n  jewelry-shop:config:domain: shop.example.org\n"), "production");
    expect(c.config).toEqual({ "jewelry-shop:environment": "staging", "jewelry-shop:domain": "shop.example.org" });
    expect(c.environment).toBe("staging");
  });

  it("refuses one key spelt twice, which the CLI would resolve at random", () => {
    expect(refusal(stackFolder("twice", "config:\n  environment: staging\n  jewelry-shop:environment: production\n")))
      .toContain("jewelry-shop:environment is set twice, as `environment` and `jewelry-shop:environment`; the Pulumi CLI keeps one of them at random");
  });

  it("refuses a key ParseKey refuses, with the CLI's words", () => {
    expect(refusal(stackFolder("colons", "config:\n  jewelry-shop:a:b: x\n")))
      .toContain("could not parse jewelry-shop:a:b as a configuration key (configuration keys should be of the form `<namespace>:<name>`)");
  });

  it("refuses a value the CLI cannot load", () => {
    expect(refusal(stackFolder("nan", "config:\n  jewelry-shop:ratio: .nan\n"))).toContain("jewelry-shop:ratio: the Pulumi CLI cannot load this value (json: unsupported value: NaN)");
  });
});

describe("secure values", () => {
  const salt = "encryptionsalt: v1:zpc4W1XcW1I=:v1:lRQMwillRcAqdEO/:/T1+tV5aJmsSCcbOxkLQcNSVjD2oRQ==\n";
  it("refuses a secure value that is no ciphertext of the stack's provider, naming the key and the command", () => {
    const message = refusal(stackFolder("todo", `${salt}config:\n  jewelry-shop:stripeSecretKey:\n    secure: TODO\n  jewelry-shop:email:\n    password:\n      secure: v1:short:x\n`));
    expect(message).toContain('jewelry-shop:stripeSecretKey: "secure: TODO" is not a ciphertext of this stack\'s secrets provider (passphrase: v1:<base64 nonce>:<base64 ciphertext>)');
    expect(message).toContain("pulumi config set --secret jewelry-shop:stripeSecretKey <value>");
    expect(message).toContain("pulumi config set --secret --path jewelry-shop:email.password <value>");
  });

  it("accepts the shipped stack's ciphertexts, and base64 for a Pulumi Cloud stack", () => {
    expect(readStackConfig(path.resolve(__dirname, "../.."), "production").undecryptableKeys).toContain("cloudflare:apiToken");
    expect(readStackConfig(stackFolder("cloud", "config:\n  jewelry-shop:token:\n    secure: AAABAL5mZ2Ju\n"), "production").secretKeys).toEqual(["jewelry-shop:token"]);
    expect(refusal(stackFolder("cloud-bad", "config:\n  jewelry-shop:token:\n    secure: v1:J3cEjK0Iu1Z3kDoS:Uh0pN8d4Tz3cM0xh8j0n1A==\n"))).toContain("(Pulumi Cloud: standard base64)");
  });
});

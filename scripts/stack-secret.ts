// Seals secrets into Pulumi.<stack>.yaml as `pulumi config set --secret <key>` does for a stack with
// the passphrase secrets provider, for making a stack file without the Pulumi CLI:
//
//   PULUMI_CONFIG_PASSPHRASE=… npx tsx scripts/stack-secret.ts [--root DIR] <stack> <key>... < values
//
// The values come from stdin, one line per key in order (never from the command line, which other
// users can see). The first use writes the stack's own `encryptionsalt`, as `pulumi stack init
// --secrets-provider passphrase` does; the CLI later opens the file with the same passphrase. The
// format is Pulumi's (pkg/secrets/passphrase/manager.go, sdk/go/common/resource/config/crypt.go):
// salt state "v1:<base64 8-byte salt>:<sealed 'pulumi'>", values "v1:<base64 12-byte nonce>:<base64
// AES-256-GCM ciphertext and tag>", the key PBKDF2-SHA256 of the passphrase, 1,000,000 iterations.
import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isMap, isScalar, parseDocument } from "yaml";

const repoRoot = join(__dirname, "..");
const usage = "usage: PULUMI_CONFIG_PASSPHRASE=… npx tsx scripts/stack-secret.ts [--root DIR] <stack> <key>... < values (one line each)";

function fail(message: string): never {
  process.stderr.write(`stack-secret: ${message}\n`);
  process.exit(2);
}

export function passphraseKey(passphrase: string, salt: Buffer): Buffer {
  return pbkdf2Sync(Buffer.from(passphrase, "utf8"), salt, 1_000_000, 32, "sha256");
}

export function seal(key: Buffer, plaintext: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `v1:${nonce.toString("base64")}:${sealed.toString("base64")}`;
}

/** The plaintext, or undefined when the key does not open the value (wrong passphrase). */
export function open(key: Buffer, value: string): string | undefined {
  const [version, nonce, sealed] = value.split(":");
  if (version !== "v1" || nonce === undefined || sealed === undefined) return undefined;
  const bytes = Buffer.from(sealed, "base64");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64"));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString("utf8");
  } catch {
    return undefined;
  }
}

export type StackKey = { key: Buffer; saltState: string; error?: undefined } | { error: string };

/** The key of an existing salt state, or a new salt state and its key. */
export function stackKey(passphrase: string, saltState: string | undefined): StackKey {
  if (saltState === undefined) {
    const salt = randomBytes(8);
    const key = passphraseKey(passphrase, salt);
    return { key, saltState: `v1:${salt.toString("base64")}:${seal(key, "pulumi")}` };
  }
  const [version, salt] = saltState.split(":");
  if (version !== "v1" || salt === undefined) return { error: "its encryptionsalt is not a passphrase salt state (v1:<salt>:…)" };
  const key = passphraseKey(passphrase, Buffer.from(salt, "base64"));
  const check = saltState.slice(saltState.indexOf(":", saltState.indexOf(":") + 1) + 1);
  if (open(key, check) !== "pulumi") return { error: "the passphrase does not open its encryptionsalt (a different passphrase sealed it)" };
  return { key, saltState };
}

async function main() {
  const args = process.argv.slice(2);
  const root = args[0] === "--root" ? args.splice(0, 2)[1] : repoRoot;
  const [stack, ...rawKeys] = args;
  if (!root || !stack || rawKeys.length === 0) fail(usage);
  const file = join(root, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) fail(`no ${file}: create the stack file first (README.md, "A staging stack")`);
  const passphrase = process.env.PULUMI_CONFIG_PASSPHRASE ??
    (process.env.PULUMI_CONFIG_PASSPHRASE_FILE ? readFileSync(process.env.PULUMI_CONFIG_PASSPHRASE_FILE, "utf8").trimEnd() : undefined);
  if (!passphrase) fail("set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE), as the Pulumi CLI reads it");
  // A bare key belongs to the project, as `pulumi config set` reads it.
  const project = String(parseDocument(readFileSync(join(root, "Pulumi.yaml"), "utf8")).get("name"));
  const keys = rawKeys.map((k) => (k.includes(":") ? k : `${project}:${k}`));

  const doc = parseDocument(readFileSync(file, "utf8"));
  for (const other of ["secretsprovider", "encryptedkey"]) {
    if (doc.has(other)) fail(`${file} has \`${other}\`: it uses another secrets provider; use \`pulumi config set --secret\``);
  }
  const saltState = doc.get("encryptionsalt");
  const opened = stackKey(passphrase, typeof saltState === "string" ? saltState : undefined);
  if (opened.error !== undefined) fail(`${file}: ${opened.error}`);
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  const values = input.split(/\r?\n/);
  if (values.at(-1) === "") values.pop();
  if (values.length !== keys.length || values.some((v) => v === "")) {
    fail(`expected ${keys.length} non-empty line(s) on stdin, one per key (${keys.join(", ")}), got ${values.length}`);
  }

  // Where `pulumi stack init` puts it: first in the file.
  if (saltState === undefined) {
    doc.set("encryptionsalt", opened.saltState);
    const items = isMap(doc.contents) ? doc.contents.items : [];
    items.unshift(...items.splice(items.findIndex((pair) => isScalar(pair.key) && pair.key.value === "encryptionsalt"), 1));
  }
  keys.forEach((key, i) => doc.setIn(["config", key], doc.createNode({ secure: seal(opened.key, values[i]) })));
  writeFileSync(file, String(doc));
  process.stderr.write(`stack-secret: sealed ${keys.join(", ")} in ${file}\n`);
}

if (require.main === module) void main();

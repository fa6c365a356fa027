// What a TLS endpoint really serves, from Debian's sslscan (its XML report): the protocols that
// complete a handshake and the cipher suites accepted under each. And what a declared nginx cipher
// string means, expanded by OpenSSL's own `openssl ciphers` rather than by a table of ours.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface ServedTls {
  /** "TLSv1.2", "TLSv1.3" … */
  readonly protocols: readonly string[];
  /** Protocol -> OpenSSL cipher names accepted. */
  readonly ciphers: ReadonlyMap<string, readonly string[]>;
}

const attributes = (tag: string): Record<string, string> =>
  Object.fromEntries([...tag.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));

/** Reads sslscan's XML report (flat elements, one per protocol and per accepted cipher). */
export function parseSslscanXml(xml: string): ServedTls {
  const protocols: string[] = [];
  for (const [tag] of xml.matchAll(/<protocol\b[^>]*>/g)) {
    const a = attributes(tag);
    if (a.enabled === "1") protocols.push(a.type === "tls" ? `TLSv${a.version}` : `SSLv${a.version}`);
  }
  const ciphers = new Map<string, string[]>();
  for (const [tag] of xml.matchAll(/<cipher\b[^>]*>/g)) {
    const a = attributes(tag);
    if (a.status !== "accepted" && a.status !== "preferred") continue;
    const version = a.sslversion!;
    ciphers.set(version, [...(ciphers.get(version) ?? []), a.cipher!]);
  }
  return { protocols, ciphers };
}

export async function sslscan(address: string, port: number, sni: string, timeoutMs = 120_000): Promise<ServedTls> {
  const target = address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
  try {
    const { stdout } = await run("sslscan", ["--no-colour", "--no-fallback", "--no-renegotiation", "--no-compression", "--no-heartbleed", "--no-groups", "--no-check-certificate", `--sni-name=${sni}`, "--xml=-", target], { timeout: timeoutMs, maxBuffer: 8 * 1024 * 1024 });
    const xml = stdout.slice(stdout.indexOf("<?xml"));
    if (!xml.includes("<ssltest")) throw new Error(`sslscan gave no report for ${target}`);
    return parseSslscanXml(xml);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new Error("sslscan is not installed: apt-get install sslscan (Debian), or --skip tls");
    throw err;
  }
}

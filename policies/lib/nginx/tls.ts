// The TLS a client really gets on a listen socket, as nginx 1.22 with OpenSSL 3.0 decides it (proven
// with openssl s_client in tests/servers/nginx-model.test.ts): the protocol versions come from the
// socket's default server (OpenSSL picks the version before nginx's SNI callback switches servers);
// the TLS 1.2 cipher suites, the certificate and ssl_reject_handshake come from the server the SNI
// name selects. ssl_conf_command runs after ssl_protocols and ssl_ciphers and can undo them.
import { expandCipherString } from "./openssl-ciphers";
import { versionAtLeast } from "./load";
import { inForce, serverFor, valueOf, type ListenSocket, type NginxModel, type NginxServer } from "./model";

export const TLS_VERSIONS = ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] as const;
const OPENSSL_DEFAULT_TLS13 = ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"];
/**
 * The security level OpenSSL applies when the cipher string sets none: Debian's /etc/ssl/openssl.cnf
 * (bookworm, the base of the official nginx image and of this test machine) says DEFAULT:@SECLEVEL=2.
 */
export const PLATFORM_SECURITY_LEVEL = 2;
/** nginx's ssl_ciphers default. */
export const NGINX_DEFAULT_CIPHERS = "HIGH:!aNULL:!MD5";

/** Mozilla Server Side TLS 5.7, "intermediate". */
export const MOZILLA_INTERMEDIATE = {
  protocols: ["TLSv1.2", "TLSv1.3"],
  tls12Ciphers: [
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305", "DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384",
    "DHE-RSA-CHACHA20-POLY1305",
  ],
  tls13Suites: OPENSSL_DEFAULT_TLS13,
  dhBits: 2048,
} as const;

export interface TlsHandshake {
  readonly socket: ListenSocket;
  /** The SNI name sent; undefined for a client that sends none. */
  readonly sni: string | undefined;
  /** The server whose certificate and ciphers answer. */
  readonly server: NginxServer;
  /** ssl_reject_handshake on: the handshake fails, nothing is served. */
  readonly rejected: boolean;
  /** Versions nginx enables (ssl_protocols, ssl_conf_command): what the configuration allows. */
  readonly protocols: readonly string[];
  /**
   * Versions a client can really complete: OpenSSL 3.0 refuses TLS 1.0/1.1 at security level 1 and
   * above (their handshakes sign with SHA-1/MD5), and Debian's build has no SSLv3.
   */
  readonly negotiable: readonly string[];
  /** OpenSSL's security level for the handshake: @SECLEVEL in ssl_ciphers, else the platform's. */
  readonly securityLevel: number;
  readonly tls12Ciphers: readonly string[];
  readonly tls13Suites: readonly string[];
  readonly certificates: readonly string[];
  /** The DH group size for DHE suites, when ssl_dhparam names a readable file. */
  readonly dhBits?: number;
  /** Settings the pack cannot evaluate (they make the verdict on this handshake uncertain). */
  readonly unmodelled: readonly string[];
}

const confCommands = (server: NginxServer) => inForce(server.chain, "ssl_conf_command").map((d) => ({ name: d.args[0] ?? "", value: d.args[1] ?? "" }));

/** The protocol versions the socket's default server enables: ssl_protocols, then ssl_conf_command. */
export function socketProtocols(model: NginxModel, socket: ListenSocket): { protocols: string[]; unmodelled: string[] } {
  const server = socket.defaultServer;
  const lines = inForce(server.chain, "ssl_protocols");
  // nginx 1.23.4 changed the default from "TLSv1 TLSv1.1 TLSv1.2" (seen on 1.22: no TLS 1.3) to "TLSv1.2 TLSv1.3".
  const fallback = versionAtLeast(model.input.version, "1.23.4") ? ["TLSv1.2", "TLSv1.3"] : ["TLSv1", "TLSv1.1", "TLSv1.2"];
  const enabled = new Set<string>(lines.length > 0 ? lines.flatMap((d) => d.args) : fallback);
  const unmodelled: string[] = [];
  const index = (v: string) => TLS_VERSIONS.indexOf(v as (typeof TLS_VERSIONS)[number]);
  for (const { name, value } of confCommands(server)) {
    if (name === "Protocol") {
      for (const item of value.split(",").map((v) => v.trim())) {
        const off = item.startsWith("-");
        const version = item.replace(/^[-+]/, "");
        const versions = version === "ALL" ? [...TLS_VERSIONS] : [version];
        for (const v of versions) off ? enabled.delete(v) : enabled.add(v);
      }
    } else if (name === "MinProtocol" || name === "MaxProtocol") {
      const bound = index(value);
      if (bound < 0) continue;
      for (const v of [...enabled]) if (name === "MinProtocol" ? index(v) < bound : index(v) > bound) enabled.delete(v);
    } else if (name === "Options" && /NoTLS|NoSSL/i.test(value)) unmodelled.push(`ssl_conf_command ${name} ${value}`);
  }
  return { protocols: TLS_VERSIONS.filter((v) => enabled.has(v)), unmodelled };
}

function serverCiphers(server: NginxServer): { tls12: string[]; tls13: string[]; unmodelled: string[]; securityLevel: number } {
  let cipherString = valueOf(server.chain, "ssl_ciphers", NGINX_DEFAULT_CIPHERS)!;
  let tls13 = OPENSSL_DEFAULT_TLS13;
  for (const { name, value } of confCommands(server)) {
    if (name === "CipherString") cipherString = value;
    if (name === "Ciphersuites") tls13 = value.split(":").filter((s) => s !== "");
  }
  const expanded = expandCipherString(cipherString);
  return {
    tls12: [...expanded.enabled], tls13: [...tls13], unmodelled: expanded.unmodelled.map((w) => `cipher string word ${w}`),
    securityLevel: expanded.securityLevel ?? PLATFORM_SECURITY_LEVEL,
  };
}

/** Bits of the prime in a PEM "DH PARAMETERS" block (DER: SEQUENCE { INTEGER p, INTEGER g }). */
export function dhPrimeBits(pem: string): number | undefined {
  const body = /-----BEGIN DH PARAMETERS-----([\s\S]*?)-----END DH PARAMETERS-----/.exec(pem)?.[1];
  if (!body) return undefined;
  const der = Buffer.from(body.replace(/\s+/g, ""), "base64");
  let pos = 0;
  const readLength = () => {
    const first = der[pos++]!;
    if (first < 0x80) return first;
    let length = 0;
    for (let i = 0; i < (first & 0x7f); i++) length = (length << 8) | der[pos++]!;
    return length;
  };
  if (der[pos++] !== 0x30) return undefined;
  readLength();
  if (der[pos++] !== 0x02) return undefined;
  let length = readLength();
  while (length > 0 && der[pos] === 0) { pos++; length--; }
  return length * 8 - Math.clz32(der[pos] ?? 0) + 24;
}

/** The handshake a client sending `sni` gets on a TLS socket. */
export function handshake(model: NginxModel, socket: ListenSocket, sni: string | undefined): TlsHandshake {
  const server = sni === undefined ? socket.defaultServer : serverFor(socket, sni);
  const { protocols, unmodelled: protocolUnknowns } = socketProtocols(model, socket);
  const ciphers = serverCiphers(server);
  // The version is chosen under the default server's context, before SNI switches servers.
  const securityLevel = serverCiphers(socket.defaultServer).securityLevel;
  const negotiable = protocols.filter((p) => p === "TLSv1.2" || p === "TLSv1.3" || (p !== "SSLv3" && securityLevel === 0));
  const dhparam = valueOf(server.chain, "ssl_dhparam");
  const dhFile = dhparam ? model.input.files.get(dhparam.startsWith("/") ? dhparam : `${model.input.prefix}${dhparam}`) : undefined;
  return {
    socket, sni, server,
    rejected: valueOf(server.chain, "ssl_reject_handshake") === "on",
    protocols, negotiable, securityLevel,
    tls12Ciphers: protocols.some((p) => p !== "TLSv1.3") ? ciphers.tls12 : [],
    tls13Suites: protocols.includes("TLSv1.3") ? ciphers.tls13 : [],
    certificates: inForce(server.chain, "ssl_certificate").map((d) => d.args[0] ?? ""),
    dhBits: dhFile?.content === undefined ? undefined : dhPrimeBits(dhFile.content),
    unmodelled: [...protocolUnknowns, ...ciphers.unmodelled],
  };
}

/** Why a handshake falls short of Mozilla's intermediate profile (empty when it does not). */
export function intermediateProfileGaps(h: TlsHandshake): string[] {
  const gaps: string[] = [];
  const legacy = h.protocols.filter((p) => !(MOZILLA_INTERMEDIATE.protocols as readonly string[]).includes(p));
  if (legacy.length > 0) gaps.push(`protocols ${legacy.join(", ")} are enabled (only TLSv1.2 and TLSv1.3 are allowed)`);
  if (h.protocols.length === 0) gaps.push("no protocol version is enabled");
  const weak = h.tls12Ciphers.filter((c) => !(MOZILLA_INTERMEDIATE.tls12Ciphers as readonly string[]).includes(c));
  if (weak.length > 0) gaps.push(`cipher suites outside Mozilla's intermediate list are enabled: ${weak.slice(0, 6).join(", ")}${weak.length > 6 ? ` and ${weak.length - 6} more` : ""}`);
  if (h.protocols.includes("TLSv1.2") && h.tls12Ciphers.length === 0) gaps.push("ssl_ciphers enables no TLS 1.2 suite (nginx fails to start)");
  const weak13 = h.tls13Suites.filter((c) => !(MOZILLA_INTERMEDIATE.tls13Suites as readonly string[]).includes(c));
  if (weak13.length > 0) gaps.push(`TLS 1.3 suites outside the profile: ${weak13.join(", ")}`);
  const dhe = h.tls12Ciphers.some((c) => c.startsWith("DHE-"));
  if (dhe && h.dhBits !== undefined && h.dhBits < MOZILLA_INTERMEDIATE.dhBits) gaps.push(`ssl_dhparam is a ${h.dhBits}-bit group (at least ${MOZILLA_INTERMEDIATE.dhBits} bits for DHE)`);
  if (h.certificates.length === 0) gaps.push("no ssl_certificate");
  for (const u of h.unmodelled) gaps.push(`${u} cannot be judged by the pack`);
  return gaps;
}

// The certificate a TLS endpoint presents for a name, with Node's own TLS: the chain as served, whether
// it verifies against the trust store (the system's CAs, plus --ca-file for a private CA), its names,
// issuer and expiry.
import { X509Certificate } from "node:crypto";
import * as tls from "node:tls";

export interface ServedCertificate {
  readonly subjectAltNames: readonly string[];
  readonly issuer: string;
  /** Organisation of the issuing CA (the intermediate that signed the leaf). */
  readonly issuerOrganization: string;
  readonly validFrom: Date;
  readonly validTo: Date;
  /** undefined when the chain verifies to a trusted root; else OpenSSL's reason. */
  readonly authorizationError?: string;
  readonly keyType: string;
  readonly fingerprint256: string;
}

export async function servedCertificate(address: string, port: number, servername: string, extraCa: readonly string[], timeoutMs = 15_000): Promise<ServedCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: address,
      port,
      servername,
      rejectUnauthorized: false,
      ca: extraCa.length > 0 ? [...tls.rootCertificates, ...extraCa] : undefined,
    });
    const timer = setTimeout(() => socket.destroy(new Error(`TLS handshake with ${servername} at ${address}:${port}: no answer in ${timeoutMs} ms`)), timeoutMs);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      const peer = socket.getPeerX509Certificate();
      const authorizationError = socket.authorized ? undefined : String(socket.authorizationError ?? "not trusted");
      socket.end();
      if (!peer) return reject(new Error(`${servername} at ${address}:${port} presented no certificate`));
      resolve(describe(peer, authorizationError));
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function describe(cert: X509Certificate, authorizationError: string | undefined): ServedCertificate {
  const names = (cert.subjectAltName ?? "").split(",").map((s) => s.trim()).filter((s) => s.startsWith("DNS:")).map((s) => s.slice(4).toLowerCase());
  const issuerOrganization = /^O=(.*)$/m.exec(cert.issuer)?.[1] ?? "";
  return {
    subjectAltNames: names,
    issuer: cert.issuer.replace(/\n/g, ", "),
    issuerOrganization,
    validFrom: new Date(cert.validFrom),
    validTo: new Date(cert.validTo),
    authorizationError,
    keyType: cert.publicKey.asymmetricKeyType ?? "unknown",
    fingerprint256: cert.fingerprint256,
  };
}

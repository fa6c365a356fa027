// Real outputs for @pulumi/tls resources: keys from node:crypto, certificate requests and
// certificates from openssl (Debian's), with the subject, SANs, validity, CA flag and key usages
// the inputs ask for, as terraform-provider-tls would issue them.
import { execFileSync } from "node:child_process";
import { createPrivateKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { knownInputs, type Inputs } from "./inputs";

const CURVES: Record<string, string> = { P224: "secp224r1", P256: "prime256v1", P384: "secp384r1", P521: "secp521r1" };

export function privateKeyState(type: string, inputs: Inputs): Record<string, unknown> {
  const args = knownInputs(type, inputs, ["algorithm", "ecdsaCurve", "rsaBits"]);
  const pair =
    args.algorithm === "ECDSA" ? generateKeyPairSync("ec", { namedCurve: CURVES[String(args.ecdsaCurve ?? "P224")] })
    : args.algorithm === "RSA" ? generateKeyPairSync("rsa", { modulusLength: Number(args.rsaBits ?? 2048) })
    : args.algorithm === "ED25519" ? generateKeyPairSync("ed25519")
    : undefined;
  if (!pair) throw new Error(`${type}: algorithm ${String(args.algorithm)} is not one the stand-up generates`);
  // The provider's private_key_pem: SEC1 for ECDSA, PKCS#1 for RSA, PKCS#8 for ED25519.
  const traditional = args.algorithm === "ECDSA" ? "sec1" : args.algorithm === "RSA" ? "pkcs1" : "pkcs8";
  return {
    ...inputs,
    privateKeyPem: pair.privateKey.export({ type: traditional, format: "pem" }),
    privateKeyPemPkcs8: pair.privateKey.export({ type: "pkcs8", format: "pem" }),
    publicKeyPem: pair.publicKey.export({ type: "spki", format: "pem" }),
  };
}

const KEY_USAGES: Record<string, string> = {
  digital_signature: "digitalSignature", content_commitment: "nonRepudiation", key_encipherment: "keyEncipherment",
  data_encipherment: "dataEncipherment", key_agreement: "keyAgreement", cert_signing: "keyCertSign", crl_signing: "cRLSign",
  encipher_only: "encipherOnly", decipher_only: "decipherOnly",
};
const EXTENDED_KEY_USAGES: Record<string, string> = {
  any_extended: "anyExtendedKeyUsage", server_auth: "serverAuth", client_auth: "clientAuth", code_signing: "codeSigning",
  email_protection: "emailProtection", timestamping: "timeStamping", ocsp_signing: "OCSPSigning",
  ipsec_end_system: "ipsecEndSystem", ipsec_tunnel: "ipsecTunnel", ipsec_user: "ipsecUser",
};
const SUBJECT_FIELDS: Record<string, string> = {
  commonName: "CN", organization: "O", organizationalUnit: "OU", locality: "L", province: "ST", country: "C", postalCode: "postalCode",
};

interface Subject { readonly [field: string]: unknown }

function subjectSection(type: string, subject: Subject): string {
  knownInputs(`${type} subject`, subject, Object.keys(SUBJECT_FIELDS));
  return Object.entries(subject).filter(([, v]) => v !== undefined).map(([k, v]) => `${SUBJECT_FIELDS[k]} = ${String(v)}`).join("\n");
}

function usageLines(type: string, uses: readonly string[], isCa: boolean): string[] {
  const unknown = uses.filter((u) => !KEY_USAGES[u] && !EXTENDED_KEY_USAGES[u]);
  if (unknown.length > 0) throw new Error(`${type}: allowedUses ${unknown.join(", ")} not known to the stand-up`);
  const ku = uses.filter((u) => KEY_USAGES[u]).map((u) => KEY_USAGES[u]);
  const eku = uses.filter((u) => EXTENDED_KEY_USAGES[u]).map((u) => EXTENDED_KEY_USAGES[u]);
  return [
    `basicConstraints = critical,CA:${isCa ? "TRUE" : "FALSE"}`,
    "subjectKeyIdentifier = hash",
    ...(ku.length ? [`keyUsage = critical,${ku.join(",")}`] : []),
    ...(eku.length ? [`extendedKeyUsage = ${eku.join(",")}`] : []),
  ];
}

function sanLine(dnsNames: unknown, ipAddresses: unknown): string[] {
  const names = [...((dnsNames as string[] | undefined) ?? []).map((n) => `DNS:${n}`), ...((ipAddresses as string[] | undefined) ?? []).map((a) => `IP:${a}`)];
  return names.length ? [`subjectAltName = ${names.join(",")}`] : [];
}

/** Runs openssl in a private temp folder holding `files`; returns the content of `out`. */
function openssl(files: Record<string, string>, args: (dir: string) => string[], out: string): string {
  const dir = mkdtempSync(join(tmpdir(), "standup-tls-"));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o600 });
    execFileSync("openssl", args(dir), { stdio: ["ignore", "ignore", "pipe"] });
    return readFileSync(join(dir, out), "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const days = (hours: unknown): string => String(Math.max(1, Math.ceil(Number(hours) / 24)));
const validity = (hours: unknown) => {
  const start = new Date();
  return { validityStartTime: start.toISOString(), validityEndTime: new Date(start.getTime() + Number(hours) * 3_600_000).toISOString() };
};
/** openssl reads any PEM private key; the provider accepts the same. */
const keyPem = (pem: unknown): string => createPrivateKey(String(pem)).export({ type: "pkcs8", format: "pem" }).toString();

export function selfSignedCertState(type: string, inputs: Inputs): Record<string, unknown> {
  const args = knownInputs(type, inputs, [
    "privateKeyPem", "subject", "dnsNames", "ipAddresses", "isCaCertificate", "validityPeriodHours", "earlyRenewalHours", "allowedUses",
  ]);
  const config = [
    "[req]", "distinguished_name = dn", "prompt = no", "[dn]", subjectSection(type, (args.subject ?? {}) as Subject),
    "[ext]", ...usageLines(type, (args.allowedUses as string[]) ?? [], args.isCaCertificate === true), ...sanLine(args.dnsNames, args.ipAddresses),
  ].join("\n");
  const certPem = openssl({ "key.pem": keyPem(args.privateKeyPem), "req.cnf": config }, (d) => [
    "req", "-x509", "-new", "-sha256", "-key", join(d, "key.pem"), "-config", join(d, "req.cnf"), "-extensions", "ext",
    "-days", days(args.validityPeriodHours), "-set_serial", `0x${randomBytes(16).toString("hex")}`, "-out", join(d, "cert.pem"),
  ], "cert.pem");
  return { ...inputs, certPem, readyForRenewal: false, ...validity(args.validityPeriodHours) };
}

export function certRequestState(type: string, inputs: Inputs): Record<string, unknown> {
  const args = knownInputs(type, inputs, ["privateKeyPem", "subject", "dnsNames", "ipAddresses"]);
  const config = [
    "[req]", "distinguished_name = dn", "prompt = no", "[dn]", subjectSection(type, (args.subject ?? {}) as Subject),
    "[ext]", ...sanLine(args.dnsNames, args.ipAddresses),
  ].join("\n");
  const certRequestPem = openssl({ "key.pem": keyPem(args.privateKeyPem), "req.cnf": config }, (d) => [
    "req", "-new", "-sha256", "-key", join(d, "key.pem"), "-config", join(d, "req.cnf"), "-reqexts", "ext", "-out", join(d, "req.pem"),
  ], "req.pem");
  return { ...inputs, certRequestPem };
}

export function locallySignedCertState(type: string, inputs: Inputs): Record<string, unknown> {
  const args = knownInputs(type, inputs, [
    "certRequestPem", "caPrivateKeyPem", "caCertPem", "isCaCertificate", "validityPeriodHours", "earlyRenewalHours", "allowedUses",
  ]);
  // The subject and SANs come from the request, as the provider copies them.
  const config = ["[ext]", ...usageLines(type, (args.allowedUses as string[]) ?? [], args.isCaCertificate === true), "authorityKeyIdentifier = keyid"].join("\n");
  const certPem = openssl(
    { "req.pem": String(args.certRequestPem), "ca.pem": String(args.caCertPem), "ca.key": keyPem(args.caPrivateKeyPem), "ext.cnf": config },
    (d) => [
      "x509", "-req", "-sha256", "-in", join(d, "req.pem"), "-CA", join(d, "ca.pem"), "-CAkey", join(d, "ca.key"),
      "-set_serial", `0x${randomBytes(16).toString("hex")}`, "-days", days(args.validityPeriodHours),
      "-copy_extensions", "copyall", "-extfile", join(d, "ext.cnf"), "-extensions", "ext", "-out", join(d, "cert.pem"),
    ],
    "cert.pem",
  );
  return { ...inputs, certPem, readyForRenewal: false, ...validity(args.validityPeriodHours) };
}

// OpenSSL 3.0's TLS 1.2-and-older cipher suites and its cipher-string language (ciphers(1)), as a pure
// function: what `ssl_ciphers` really enables. The table is `openssl ciphers -v ALL:COMPLEMENTOFALL`
// of OpenSSL 3.0 (Debian bookworm, the nginx image's base), with membership of DEFAULT (D) and FIPS (F);
// tests/servers/openssl-ciphers.test.ts proves every alias and many strings against the real `openssl ciphers`.

export interface CipherSuite {
  readonly name: string;
  /** The oldest protocol the suite runs on: SSLv3, TLSv1 or TLSv1.2. */
  readonly protocol: string;
  /** Key exchange: RSA, DH, ECDH, PSK, DHEPSK, ECDHEPSK, RSAPSK, SRP. */
  readonly kx: string;
  /** Authentication: RSA, ECDSA, DSS, PSK, SRP, None. */
  readonly au: string;
  /** Cipher family (AES, AESGCM, AESCCM, AESCCM8, ARIAGCM, CHACHA20/POLY1305, Camellia, None) and bits. */
  readonly enc: string;
  readonly bits: number;
  /** AEAD, SHA1, SHA256, SHA384, MD5. */
  readonly mac: string;
  readonly inDefault: boolean;
  readonly fips: boolean;
}

const TABLE = `
ECDHE-ECDSA-AES256-GCM-SHA384 TLSv1.2 ECDH ECDSA AESGCM(256) AEAD DF
ECDHE-RSA-AES256-GCM-SHA384 TLSv1.2 ECDH RSA AESGCM(256) AEAD DF
DHE-DSS-AES256-GCM-SHA384 TLSv1.2 DH DSS AESGCM(256) AEAD F
DHE-RSA-AES256-GCM-SHA384 TLSv1.2 DH RSA AESGCM(256) AEAD DF
ECDHE-ECDSA-CHACHA20-POLY1305 TLSv1.2 ECDH ECDSA CHACHA20/POLY1305(256) AEAD D
ECDHE-RSA-CHACHA20-POLY1305 TLSv1.2 ECDH RSA CHACHA20/POLY1305(256) AEAD D
DHE-RSA-CHACHA20-POLY1305 TLSv1.2 DH RSA CHACHA20/POLY1305(256) AEAD D
ECDHE-ECDSA-AES256-CCM8 TLSv1.2 ECDH ECDSA AESCCM8(256) AEAD -
ECDHE-ECDSA-AES256-CCM TLSv1.2 ECDH ECDSA AESCCM(256) AEAD -
DHE-RSA-AES256-CCM8 TLSv1.2 DH RSA AESCCM8(256) AEAD -
DHE-RSA-AES256-CCM TLSv1.2 DH RSA AESCCM(256) AEAD -
ECDHE-ECDSA-ARIA256-GCM-SHA384 TLSv1.2 ECDH ECDSA ARIAGCM(256) AEAD -
ECDHE-ARIA256-GCM-SHA384 TLSv1.2 ECDH RSA ARIAGCM(256) AEAD -
DHE-DSS-ARIA256-GCM-SHA384 TLSv1.2 DH DSS ARIAGCM(256) AEAD -
DHE-RSA-ARIA256-GCM-SHA384 TLSv1.2 DH RSA ARIAGCM(256) AEAD -
ADH-AES256-GCM-SHA384 TLSv1.2 DH None AESGCM(256) AEAD F
ECDHE-ECDSA-AES128-GCM-SHA256 TLSv1.2 ECDH ECDSA AESGCM(128) AEAD DF
ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 ECDH RSA AESGCM(128) AEAD DF
DHE-DSS-AES128-GCM-SHA256 TLSv1.2 DH DSS AESGCM(128) AEAD F
DHE-RSA-AES128-GCM-SHA256 TLSv1.2 DH RSA AESGCM(128) AEAD DF
ECDHE-ECDSA-AES128-CCM8 TLSv1.2 ECDH ECDSA AESCCM8(128) AEAD -
ECDHE-ECDSA-AES128-CCM TLSv1.2 ECDH ECDSA AESCCM(128) AEAD -
DHE-RSA-AES128-CCM8 TLSv1.2 DH RSA AESCCM8(128) AEAD -
DHE-RSA-AES128-CCM TLSv1.2 DH RSA AESCCM(128) AEAD -
ECDHE-ECDSA-ARIA128-GCM-SHA256 TLSv1.2 ECDH ECDSA ARIAGCM(128) AEAD -
ECDHE-ARIA128-GCM-SHA256 TLSv1.2 ECDH RSA ARIAGCM(128) AEAD -
DHE-DSS-ARIA128-GCM-SHA256 TLSv1.2 DH DSS ARIAGCM(128) AEAD -
DHE-RSA-ARIA128-GCM-SHA256 TLSv1.2 DH RSA ARIAGCM(128) AEAD -
ADH-AES128-GCM-SHA256 TLSv1.2 DH None AESGCM(128) AEAD F
ECDHE-ECDSA-AES256-SHA384 TLSv1.2 ECDH ECDSA AES(256) SHA384 DF
ECDHE-RSA-AES256-SHA384 TLSv1.2 ECDH RSA AES(256) SHA384 DF
DHE-RSA-AES256-SHA256 TLSv1.2 DH RSA AES(256) SHA256 DF
DHE-DSS-AES256-SHA256 TLSv1.2 DH DSS AES(256) SHA256 F
ECDHE-ECDSA-CAMELLIA256-SHA384 TLSv1.2 ECDH ECDSA Camellia(256) SHA384 -
ECDHE-RSA-CAMELLIA256-SHA384 TLSv1.2 ECDH RSA Camellia(256) SHA384 -
DHE-RSA-CAMELLIA256-SHA256 TLSv1.2 DH RSA Camellia(256) SHA256 -
DHE-DSS-CAMELLIA256-SHA256 TLSv1.2 DH DSS Camellia(256) SHA256 -
ADH-AES256-SHA256 TLSv1.2 DH None AES(256) SHA256 F
ADH-CAMELLIA256-SHA256 TLSv1.2 DH None Camellia(256) SHA256 -
ECDHE-ECDSA-AES128-SHA256 TLSv1.2 ECDH ECDSA AES(128) SHA256 DF
ECDHE-RSA-AES128-SHA256 TLSv1.2 ECDH RSA AES(128) SHA256 DF
DHE-RSA-AES128-SHA256 TLSv1.2 DH RSA AES(128) SHA256 DF
DHE-DSS-AES128-SHA256 TLSv1.2 DH DSS AES(128) SHA256 F
ECDHE-ECDSA-CAMELLIA128-SHA256 TLSv1.2 ECDH ECDSA Camellia(128) SHA256 -
ECDHE-RSA-CAMELLIA128-SHA256 TLSv1.2 ECDH RSA Camellia(128) SHA256 -
DHE-RSA-CAMELLIA128-SHA256 TLSv1.2 DH RSA Camellia(128) SHA256 -
DHE-DSS-CAMELLIA128-SHA256 TLSv1.2 DH DSS Camellia(128) SHA256 -
ADH-AES128-SHA256 TLSv1.2 DH None AES(128) SHA256 F
ADH-CAMELLIA128-SHA256 TLSv1.2 DH None Camellia(128) SHA256 -
ECDHE-ECDSA-AES256-SHA TLSv1 ECDH ECDSA AES(256) SHA1 DF
ECDHE-RSA-AES256-SHA TLSv1 ECDH RSA AES(256) SHA1 DF
DHE-RSA-AES256-SHA SSLv3 DH RSA AES(256) SHA1 DF
DHE-DSS-AES256-SHA SSLv3 DH DSS AES(256) SHA1 F
DHE-RSA-CAMELLIA256-SHA SSLv3 DH RSA Camellia(256) SHA1 -
DHE-DSS-CAMELLIA256-SHA SSLv3 DH DSS Camellia(256) SHA1 -
AECDH-AES256-SHA TLSv1 ECDH None AES(256) SHA1 F
ADH-AES256-SHA SSLv3 DH None AES(256) SHA1 F
ADH-CAMELLIA256-SHA SSLv3 DH None Camellia(256) SHA1 -
ECDHE-ECDSA-AES128-SHA TLSv1 ECDH ECDSA AES(128) SHA1 DF
ECDHE-RSA-AES128-SHA TLSv1 ECDH RSA AES(128) SHA1 DF
DHE-RSA-AES128-SHA SSLv3 DH RSA AES(128) SHA1 DF
DHE-DSS-AES128-SHA SSLv3 DH DSS AES(128) SHA1 F
DHE-RSA-CAMELLIA128-SHA SSLv3 DH RSA Camellia(128) SHA1 -
DHE-DSS-CAMELLIA128-SHA SSLv3 DH DSS Camellia(128) SHA1 -
AECDH-AES128-SHA TLSv1 ECDH None AES(128) SHA1 F
ADH-AES128-SHA SSLv3 DH None AES(128) SHA1 F
ADH-CAMELLIA128-SHA SSLv3 DH None Camellia(128) SHA1 -
RSA-PSK-AES256-GCM-SHA384 TLSv1.2 RSAPSK RSA AESGCM(256) AEAD DF
DHE-PSK-AES256-GCM-SHA384 TLSv1.2 DHEPSK PSK AESGCM(256) AEAD DF
RSA-PSK-CHACHA20-POLY1305 TLSv1.2 RSAPSK RSA CHACHA20/POLY1305(256) AEAD D
DHE-PSK-CHACHA20-POLY1305 TLSv1.2 DHEPSK PSK CHACHA20/POLY1305(256) AEAD D
ECDHE-PSK-CHACHA20-POLY1305 TLSv1.2 ECDHEPSK PSK CHACHA20/POLY1305(256) AEAD D
DHE-PSK-AES256-CCM8 TLSv1.2 DHEPSK PSK AESCCM8(256) AEAD -
DHE-PSK-AES256-CCM TLSv1.2 DHEPSK PSK AESCCM(256) AEAD -
RSA-PSK-ARIA256-GCM-SHA384 TLSv1.2 RSAPSK RSA ARIAGCM(256) AEAD -
DHE-PSK-ARIA256-GCM-SHA384 TLSv1.2 DHEPSK PSK ARIAGCM(256) AEAD -
AES256-GCM-SHA384 TLSv1.2 RSA RSA AESGCM(256) AEAD DF
AES256-CCM8 TLSv1.2 RSA RSA AESCCM8(256) AEAD -
AES256-CCM TLSv1.2 RSA RSA AESCCM(256) AEAD -
ARIA256-GCM-SHA384 TLSv1.2 RSA RSA ARIAGCM(256) AEAD -
PSK-AES256-GCM-SHA384 TLSv1.2 PSK PSK AESGCM(256) AEAD DF
PSK-CHACHA20-POLY1305 TLSv1.2 PSK PSK CHACHA20/POLY1305(256) AEAD D
PSK-AES256-CCM8 TLSv1.2 PSK PSK AESCCM8(256) AEAD -
PSK-AES256-CCM TLSv1.2 PSK PSK AESCCM(256) AEAD -
PSK-ARIA256-GCM-SHA384 TLSv1.2 PSK PSK ARIAGCM(256) AEAD -
RSA-PSK-AES128-GCM-SHA256 TLSv1.2 RSAPSK RSA AESGCM(128) AEAD DF
DHE-PSK-AES128-GCM-SHA256 TLSv1.2 DHEPSK PSK AESGCM(128) AEAD DF
DHE-PSK-AES128-CCM8 TLSv1.2 DHEPSK PSK AESCCM8(128) AEAD -
DHE-PSK-AES128-CCM TLSv1.2 DHEPSK PSK AESCCM(128) AEAD -
RSA-PSK-ARIA128-GCM-SHA256 TLSv1.2 RSAPSK RSA ARIAGCM(128) AEAD -
DHE-PSK-ARIA128-GCM-SHA256 TLSv1.2 DHEPSK PSK ARIAGCM(128) AEAD -
AES128-GCM-SHA256 TLSv1.2 RSA RSA AESGCM(128) AEAD DF
AES128-CCM8 TLSv1.2 RSA RSA AESCCM8(128) AEAD -
AES128-CCM TLSv1.2 RSA RSA AESCCM(128) AEAD -
ARIA128-GCM-SHA256 TLSv1.2 RSA RSA ARIAGCM(128) AEAD -
PSK-AES128-GCM-SHA256 TLSv1.2 PSK PSK AESGCM(128) AEAD DF
PSK-AES128-CCM8 TLSv1.2 PSK PSK AESCCM8(128) AEAD -
PSK-AES128-CCM TLSv1.2 PSK PSK AESCCM(128) AEAD -
PSK-ARIA128-GCM-SHA256 TLSv1.2 PSK PSK ARIAGCM(128) AEAD -
AES256-SHA256 TLSv1.2 RSA RSA AES(256) SHA256 DF
CAMELLIA256-SHA256 TLSv1.2 RSA RSA Camellia(256) SHA256 -
AES128-SHA256 TLSv1.2 RSA RSA AES(128) SHA256 DF
CAMELLIA128-SHA256 TLSv1.2 RSA RSA Camellia(128) SHA256 -
ECDHE-PSK-AES256-CBC-SHA384 TLSv1 ECDHEPSK PSK AES(256) SHA384 DF
ECDHE-PSK-AES256-CBC-SHA TLSv1 ECDHEPSK PSK AES(256) SHA1 DF
SRP-DSS-AES-256-CBC-SHA SSLv3 SRP DSS AES(256) SHA1 -
SRP-RSA-AES-256-CBC-SHA SSLv3 SRP RSA AES(256) SHA1 D
SRP-AES-256-CBC-SHA SSLv3 SRP SRP AES(256) SHA1 D
RSA-PSK-AES256-CBC-SHA384 TLSv1 RSAPSK RSA AES(256) SHA384 DF
DHE-PSK-AES256-CBC-SHA384 TLSv1 DHEPSK PSK AES(256) SHA384 DF
RSA-PSK-AES256-CBC-SHA SSLv3 RSAPSK RSA AES(256) SHA1 DF
DHE-PSK-AES256-CBC-SHA SSLv3 DHEPSK PSK AES(256) SHA1 DF
ECDHE-PSK-CAMELLIA256-SHA384 TLSv1 ECDHEPSK PSK Camellia(256) SHA384 -
RSA-PSK-CAMELLIA256-SHA384 TLSv1 RSAPSK RSA Camellia(256) SHA384 -
DHE-PSK-CAMELLIA256-SHA384 TLSv1 DHEPSK PSK Camellia(256) SHA384 -
AES256-SHA SSLv3 RSA RSA AES(256) SHA1 DF
CAMELLIA256-SHA SSLv3 RSA RSA Camellia(256) SHA1 -
PSK-AES256-CBC-SHA384 TLSv1 PSK PSK AES(256) SHA384 DF
PSK-AES256-CBC-SHA SSLv3 PSK PSK AES(256) SHA1 DF
PSK-CAMELLIA256-SHA384 TLSv1 PSK PSK Camellia(256) SHA384 -
ECDHE-PSK-AES128-CBC-SHA256 TLSv1 ECDHEPSK PSK AES(128) SHA256 DF
ECDHE-PSK-AES128-CBC-SHA TLSv1 ECDHEPSK PSK AES(128) SHA1 DF
SRP-DSS-AES-128-CBC-SHA SSLv3 SRP DSS AES(128) SHA1 -
SRP-RSA-AES-128-CBC-SHA SSLv3 SRP RSA AES(128) SHA1 D
SRP-AES-128-CBC-SHA SSLv3 SRP SRP AES(128) SHA1 D
RSA-PSK-AES128-CBC-SHA256 TLSv1 RSAPSK RSA AES(128) SHA256 DF
DHE-PSK-AES128-CBC-SHA256 TLSv1 DHEPSK PSK AES(128) SHA256 DF
RSA-PSK-AES128-CBC-SHA SSLv3 RSAPSK RSA AES(128) SHA1 DF
DHE-PSK-AES128-CBC-SHA SSLv3 DHEPSK PSK AES(128) SHA1 DF
ECDHE-PSK-CAMELLIA128-SHA256 TLSv1 ECDHEPSK PSK Camellia(128) SHA256 -
RSA-PSK-CAMELLIA128-SHA256 TLSv1 RSAPSK RSA Camellia(128) SHA256 -
DHE-PSK-CAMELLIA128-SHA256 TLSv1 DHEPSK PSK Camellia(128) SHA256 -
AES128-SHA SSLv3 RSA RSA AES(128) SHA1 DF
CAMELLIA128-SHA SSLv3 RSA RSA Camellia(128) SHA1 -
PSK-AES128-CBC-SHA256 TLSv1 PSK PSK AES(128) SHA256 DF
PSK-AES128-CBC-SHA SSLv3 PSK PSK AES(128) SHA1 DF
PSK-CAMELLIA128-SHA256 TLSv1 PSK PSK Camellia(128) SHA256 -
ECDHE-ECDSA-NULL-SHA TLSv1 ECDH ECDSA None SHA1 -
ECDHE-RSA-NULL-SHA TLSv1 ECDH RSA None SHA1 -
AECDH-NULL-SHA TLSv1 ECDH None None SHA1 -
NULL-SHA256 TLSv1.2 RSA RSA None SHA256 -
ECDHE-PSK-NULL-SHA384 TLSv1 ECDHEPSK PSK None SHA384 -
ECDHE-PSK-NULL-SHA256 TLSv1 ECDHEPSK PSK None SHA256 -
ECDHE-PSK-NULL-SHA TLSv1 ECDHEPSK PSK None SHA1 -
RSA-PSK-NULL-SHA384 TLSv1 RSAPSK RSA None SHA384 -
RSA-PSK-NULL-SHA256 TLSv1 RSAPSK RSA None SHA256 -
DHE-PSK-NULL-SHA384 TLSv1 DHEPSK PSK None SHA384 -
DHE-PSK-NULL-SHA256 TLSv1 DHEPSK PSK None SHA256 -
RSA-PSK-NULL-SHA SSLv3 RSAPSK RSA None SHA1 -
DHE-PSK-NULL-SHA SSLv3 DHEPSK PSK None SHA1 -
NULL-SHA SSLv3 RSA RSA None SHA1 -
NULL-MD5 SSLv3 RSA RSA None MD5 -
PSK-NULL-SHA384 TLSv1 PSK PSK None SHA384 -
PSK-NULL-SHA256 TLSv1 PSK PSK None SHA256 -
PSK-NULL-SHA SSLv3 PSK PSK None SHA1 -
`;

export const CIPHER_SUITES: readonly CipherSuite[] = TABLE.trim().split("\n").map((line) => {
  const [name = "", protocol = "", kx = "", au = "", encBits = "", mac = "", flags = ""] = line.split(" ");
  const [, enc = "", bits = "0"] = /^([^(]+)(?:\((\d+)\))?$/.exec(encBits) ?? [];
  return { name, protocol, kx, au, enc, bits: Number(bits), mac, inDefault: flags.includes("D"), fips: flags.includes("F") };
});

type Predicate = (c: CipherSuite) => boolean;
const isAes = (c: CipherSuite) => c.enc.startsWith("AES");
const anonymous = (c: CipherSuite) => c.au === "None";

/** Aliases as OpenSSL 3.0 defines them; the ones that match nothing in this build stay, matching nothing. */
const ALIASES: Readonly<Record<string, Predicate>> = {
  ALL: (c) => c.enc !== "None",
  COMPLEMENTOFALL: (c) => c.enc === "None",
  COMPLEMENTOFDEFAULT: (c) => c.enc !== "None" && !c.inDefault,
  HIGH: (c) => c.enc !== "None",
  MEDIUM: () => false, LOW: () => false, EXP: () => false, EXPORT: () => false,
  "3DES": () => false, DES: () => false, RC4: () => false, RC2: () => false, IDEA: () => false, SEED: () => false,
  eNULL: (c) => c.enc === "None", NULL: (c) => c.enc === "None", aNULL: anonymous,
  kRSA: (c) => c.kx === "RSA", RSA: (c) => c.kx === "RSA", aRSA: (c) => c.au === "RSA",
  kDHE: (c) => c.kx === "DH", kEDH: (c) => c.kx === "DH", DH: (c) => c.kx === "DH",
  DHE: (c) => c.kx === "DH" && !anonymous(c), EDH: (c) => c.kx === "DH" && !anonymous(c), ADH: (c) => c.kx === "DH" && anonymous(c),
  kECDHE: (c) => c.kx === "ECDH", kEECDH: (c) => c.kx === "ECDH", ECDH: (c) => c.kx === "ECDH",
  ECDHE: (c) => c.kx === "ECDH" && !anonymous(c), EECDH: (c) => c.kx === "ECDH" && !anonymous(c), AECDH: (c) => c.kx === "ECDH" && anonymous(c),
  aDSS: (c) => c.au === "DSS", DSS: (c) => c.au === "DSS", aECDSA: (c) => c.au === "ECDSA", ECDSA: (c) => c.au === "ECDSA",
  kDH: () => false, kDHr: () => false, kDHd: () => false, aDH: () => false, eFZA: () => false,
  PSK: (c) => c.kx.endsWith("PSK"), kPSK: (c) => c.kx === "PSK", aPSK: (c) => c.au === "PSK",
  kECDHEPSK: (c) => c.kx === "ECDHEPSK", kDHEPSK: (c) => c.kx === "DHEPSK", kRSAPSK: (c) => c.kx === "RSAPSK",
  SRP: (c) => c.kx === "SRP", kSRP: (c) => c.kx === "SRP", aSRP: (c) => c.au === "SRP",
  GOST: () => false, kGOST: () => false, aGOST: () => false, aGOST01: () => false, GOST89MAC: () => false, GOST94: () => false,
  MD5: (c) => c.mac === "MD5", SHA1: (c) => c.mac === "SHA1", SHA: (c) => c.mac === "SHA1", SHA256: (c) => c.mac === "SHA256", SHA384: (c) => c.mac === "SHA384",
  AES: isAes, AES128: (c) => isAes(c) && c.bits === 128, AES256: (c) => isAes(c) && c.bits === 256,
  AESGCM: (c) => c.enc === "AESGCM", AESCCM: (c) => c.enc === "AESCCM" || c.enc === "AESCCM8", AESCCM8: (c) => c.enc === "AESCCM8",
  CHACHA20: (c) => c.enc.startsWith("CHACHA20"),
  CAMELLIA: (c) => c.enc === "Camellia", CAMELLIA128: (c) => c.enc === "Camellia" && c.bits === 128, CAMELLIA256: (c) => c.enc === "Camellia" && c.bits === 256,
  ARIA: (c) => c.enc === "ARIAGCM", ARIAGCM: (c) => c.enc === "ARIAGCM", ARIA128: (c) => c.enc === "ARIAGCM" && c.bits === 128, ARIA256: (c) => c.enc === "ARIAGCM" && c.bits === 256,
  CBC: (c) => c.mac !== "AEAD" && c.enc !== "None",
  FIPS: (c) => c.fips,
  "TLSv1.2": (c) => c.protocol === "TLSv1.2", TLSv1: (c) => c.protocol === "TLSv1", "TLSv1.0": (c) => c.protocol === "TLSv1", SSLv3: (c) => c.protocol === "SSLv3",
};

/** Aliases OpenSSL knows that also change the security settings: the pack does not model them. */
const UNMODELLED = new Set(["SUITEB128", "SUITEB128ONLY", "SUITEB192", "SUITEB128C2"]);

export interface ExpandedCiphers {
  /** Suite names enabled for TLS 1.2 and older, in no particular order. */
  readonly enabled: readonly string[];
  /** Words that are neither a suite nor an alias (OpenSSL skips them). */
  readonly ignored: readonly string[];
  /** Words the pack cannot expand: the verdict on this string cannot be trusted. */
  readonly unmodelled: readonly string[];
  /** `@SECLEVEL=n`, when the string sets it. */
  readonly securityLevel?: number;
}

const expansions = new Map<string, ExpandedCiphers>();

/** The suites a cipher string enables (ssl_cipher_process_rulestr): ADD, `-` DEL, `!` KILL, `+` reorder only. */
export function expandCipherString(text: string): ExpandedCiphers {
  const cached = expansions.get(text);
  if (cached) return cached;
  const expanded = expand(text);
  expansions.set(text, expanded);
  return expanded;
}

function expand(text: string): ExpandedCiphers {
  const active = new Set<string>();
  const killed = new Set<string>();
  const ignored: string[] = [];
  const unmodelled: string[] = [];
  let securityLevel: number | undefined;
  let rest = text;
  if (rest.startsWith("DEFAULT")) {
    for (const c of CIPHER_SUITES) if (c.inDefault) active.add(c.name);
    rest = rest.slice("DEFAULT".length);
  }
  for (const rule of rest.split(/[:\s,;]+/).filter((r) => r !== "")) {
    const op = "-+!@".includes(rule[0]!) ? rule[0]! : "";
    const item = op ? rule.slice(1) : rule;
    if (op === "@") {
      const level = /^SECLEVEL=(\d)$/.exec(item);
      if (level) securityLevel = Number(level[1]);
      continue;
    }
    const parts = item.split("+");
    if (parts.some((p) => UNMODELLED.has(p))) {
      unmodelled.push(rule);
      continue;
    }
    const predicates = parts.map((p): Predicate | undefined => ALIASES[p] ?? (CIPHER_SUITES.some((c) => c.name === p) ? (c) => c.name === p : undefined));
    if (predicates.some((p) => p === undefined)) {
      ignored.push(rule);
      continue;
    }
    const matching = CIPHER_SUITES.filter((c) => predicates.every((p) => p!(c))).map((c) => c.name);
    for (const name of matching) {
      if (op === "") { if (!killed.has(name)) active.add(name); }
      else if (op === "-") active.delete(name);
      else if (op === "!") { active.delete(name); killed.add(name); }
    }
  }
  return { enabled: [...active], ignored, unmodelled, securityLevel };
}

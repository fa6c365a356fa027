// The pack's OpenSSL cipher-string expansion (policies/lib/nginx/openssl-ciphers.ts) against the real
// `openssl ciphers` of this machine (OpenSSL 3.0, as in the nginx image's Debian base): the suite table,
// every alias, and the strings people put in ssl_ciphers.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CIPHER_SUITES, expandCipherString } from "../../policies/lib/nginx/openssl-ciphers";
import { MOZILLA_INTERMEDIATE, NGINX_DEFAULT_CIPHERS } from "../../policies/lib/nginx/tls";
import { MOZILLA_INTERMEDIATE_TLS12_CIPHERS } from "../../components/nginx/nginx-conf";

/** TLS 1.2-and-older suites `openssl ciphers` enables for a string ([] when OpenSSL finds none). */
function openssl(cipherString: string): string[] {
  try {
    return execFileSync("openssl", ["ciphers", cipherString], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
      .trim().split(":").filter((c) => c !== "" && !c.startsWith("TLS_")).sort();
  } catch {
    return [];
  }
}

const ALIASES = [
  "ALL", "COMPLEMENTOFALL", "COMPLEMENTOFDEFAULT", "HIGH", "MEDIUM", "LOW", "DEFAULT", "eNULL", "NULL", "aNULL", "kRSA", "RSA", "aRSA",
  "kDHE", "kEDH", "DH", "DHE", "EDH", "ADH", "kECDHE", "kEECDH", "ECDH", "ECDHE", "EECDH", "AECDH", "aDSS", "DSS", "aECDSA", "ECDSA",
  "PSK", "kPSK", "aPSK", "kECDHEPSK", "kDHEPSK", "kRSAPSK", "SRP", "kSRP", "aSRP", "MD5", "SHA1", "SHA", "SHA256", "SHA384", "AES", "AES128",
  "AES256", "AESGCM", "AESCCM", "AESCCM8", "CHACHA20", "CAMELLIA", "CAMELLIA128", "CAMELLIA256", "ARIA", "ARIAGCM", "ARIA128", "ARIA256",
  "CBC", "FIPS", "TLSv1.2", "TLSv1", "TLSv1.0", "SSLv3", "3DES", "RC4", "DES", "SEED", "IDEA",
];

const STRINGS = [
  NGINX_DEFAULT_CIPHERS, MOZILLA_INTERMEDIATE.tls12Ciphers.join(":"), "ECDHE+AESGCM:!aNULL", "DEFAULT:!SHA1", "ALL:-SHA1:SHA1+ECDHE",
  "EECDH+AESGCM:EDH+AESGCM", "HIGH:-AES:AES256", "AES128+ECDHE+SHA256", "eNULL:DEFAULT", "ALL:!ADH:+HIGH", "FOO:HIGH", "HIGH+FOO",
  "ECDHE-RSA-AES128-SHA:HIGH:!CBC", "DEFAULT:@SECLEVEL=0", "kEECDH+ECDSA+AES128:kEECDH+ECDSA:kEECDH:-RC4:-3DES:-aNULL",
  "HIGH:!aNULL:!MD5:!kRSA", "ECDHE:!SHA1:!SHA256:!SHA384", "HIGH,!aNULL;!MD5 !CBC", "!aNULL:HIGH", "HIGH:-ECDHE:ECDHE", "HIGH:-ECDHE",
];

describe("the OpenSSL cipher table", () => {
  it("lists exactly the suites `openssl ciphers ALL:COMPLEMENTOFALL` knows", () => {
    expect(CIPHER_SUITES.map((c) => c.name).sort()).toEqual(openssl("ALL:COMPLEMENTOFALL"));
  });
  it("names Mozilla's intermediate list as the renderer does", () => {
    expect([...MOZILLA_INTERMEDIATE.tls12Ciphers].sort()).toEqual([...MOZILLA_INTERMEDIATE_TLS12_CIPHERS].sort());
  });
});

describe("expandCipherString equals `openssl ciphers`", () => {
  it.each(ALIASES)("alias %s", (alias) => {
    expect(expandCipherString(alias).enabled.slice().sort()).toEqual(openssl(alias));
  });
  it.each(STRINGS)("string %s", (text) => {
    expect(expandCipherString(text).enabled.slice().sort()).toEqual(openssl(text));
  });
});

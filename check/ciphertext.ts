// The shape of a `secure:` value the stack's secrets provider can decrypt. The check cannot decrypt,
// but it can refuse what no provider could: `secure: TODO` stops `pulumi preview` before the program.
// Passphrase and cloud KMS stacks seal values with Pulumi's symmetric crypter
// (sdk/go/common/resource/config/crypt.go symmetricCrypter.DecryptValue: "v1:<nonce>:<ciphertext>",
// both standard base64, a 12-byte AES-GCM nonce); Pulumi Cloud stacks with base64 of the service's
// ciphertext (pkg/secrets/service/manager.go serviceCrypter.DecryptValue).
import { isGoMap, secureCiphertext, type GoValue } from "./go-yaml";

export interface CiphertextRule {
  /** The provider in words, for messages. */
  readonly provider: string;
  /** What a valid value looks like. */
  readonly shape: string;
  accepts(ciphertext: string): boolean;
}

/** Go's base64.StdEncoding: padded, standard alphabet. */
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const base64Bytes = (text: string) => (STD_BASE64.test(text) ? Buffer.from(text, "base64").length : -1);
const GCM_NONCE_BYTES = 12;
const GCM_TAG_BYTES = 16;

const symmetric = (provider: string): CiphertextRule => ({
  provider,
  shape: "v1:<base64 nonce>:<base64 ciphertext>",
  accepts: (ciphertext) => {
    const parts = ciphertext.split(":");
    return parts.length === 3 && parts[0] === "v1" && base64Bytes(parts[1]) === GCM_NONCE_BYTES && base64Bytes(parts[2]) >= GCM_TAG_BYTES;
  },
});

/** The rule for a stack file: from its `secretsprovider`, `encryptionsalt` and `encryptedkey`. */
export function ciphertextRule(stackFile: GoValue): CiphertextRule {
  const fields = isGoMap(stackFile) ? stackFile : {};
  const provider = typeof fields.secretsprovider === "string" ? fields.secretsprovider : undefined;
  if (fields.encryptionsalt !== undefined || provider === "passphrase") return symmetric("passphrase");
  if (provider?.includes("://")) return symmetric(provider.split("://")[0]);
  return {
    provider: "Pulumi Cloud",
    shape: "standard base64",
    accepts: (ciphertext) => ciphertext !== "" && STD_BASE64.test(ciphertext),
  };
}

/** One message per `secure:` leaf of `value` that the rule refuses. */
export function ciphertextProblems(key: string, value: GoValue, rule: CiphertextRule, at = ""): string[] {
  const ciphertext = secureCiphertext(value);
  if (ciphertext !== undefined) {
    if (rule.accepts(ciphertext)) return [];
    return [
      `${key}${at}: "secure: ${ciphertext}" is not a ciphertext of this stack's secrets provider (${rule.provider}: ${rule.shape}), ` +
        `so \`pulumi preview\` cannot decrypt it; set the value with: pulumi config set --secret${at ? " --path" : ""} ${key}${at} <value>`,
    ];
  }
  if (Array.isArray(value)) return value.flatMap((item, i) => ciphertextProblems(key, item, rule, `${at}[${i}]`));
  if (isGoMap(value)) return Object.entries(value).flatMap(([k, v]) => ciphertextProblems(key, v, rule, `${at}.${k}`));
  return [];
}

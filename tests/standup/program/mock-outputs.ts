// The mocks' newResource for a stand-up: real outputs for what the containers consume (random
// secrets, TLS keys and certificates), stand-in outputs for the cloud resources that have no
// counterpart on this machine, and the inputs as state for everything the stand-up itself creates
// (Docker, PostgreSQL objects). A type not listed fails the run with its name.
import { randomBytes, randomInt } from "node:crypto";
import type { MockResourceArgs, MockResourceResult } from "../../../check/run-program";
import type { JsonObject } from "../../../check/json";
import { plain } from "./inputs";
import { randomBytesState, randomPasswordState } from "./random-outputs";
import { certRequestState, locallySignedCertState, privateKeyState, selfSignedCertState } from "./tls-outputs";

export type ResourceState = Record<string, unknown>;
type StateOf = (type: string, inputs: Record<string, unknown>) => ResourceState;
const hex = (length: number) => randomBytes(length / 2).toString("hex");
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const alnum = (length: number) => Array.from({ length }, () => ALNUM[randomInt(ALNUM.length)]).join("");
const inputsOnly: StateOf = (_type, inputs) => inputs;

/**
 * Stand-ins for cloud resources (no cloud is reachable). Each gets outputs of the provider's shape,
 * unusable outside the run: the containers receive them (e.g. R2/B2 S3 keys in pgBackRest's
 * repository includes) but a stand-up never reaches R2, B2 or Cloudflare's API.
 */
export const CLOUD_STANDINS: Readonly<Record<string, { readonly state: StateOf; readonly why: string }>> = {
  "cloudflare:index/dnsRecord:DnsRecord": { state: inputsOnly, why: "DNS records live at Cloudflare; the stand-up resolves nothing through them" },
  "cloudflare:index/r2Bucket:R2Bucket": { state: inputsOnly, why: "the R2 bucket's outputs are its inputs (name, location)" },
  "cloudflare:index/apiToken:ApiToken": {
    state: (_t, inputs) => ({ ...inputs, value: alnum(40), status: "active" }),
    why: "an R2 token: a random 40-character value, its id a random 32-hex id (S3 key id = token id)",
  },
  "pulumi-nodejs:dynamic/b2:Bucket": {
    state: (_t, inputs) => ({ ...inputs, bucketId: hex(24), accountId: hex(12) }),
    why: "a B2 bucket: a random 24-hex bucket id",
  },
  "pulumi-nodejs:dynamic/b2:ApplicationKey": {
    state: (_t, inputs) => ({ ...inputs, applicationKeyId: `003${hex(22)}`, applicationKey: alnum(31), accountId: hex(12) }),
    why: "a B2 application key: a random key id and key of B2's lengths",
  },
};

const STATES: Readonly<Record<string, StateOf>> = {
  "random:index/randomPassword:RandomPassword": randomPasswordState,
  "random:index/randomString:RandomString": randomPasswordState,
  "random:index/randomBytes:RandomBytes": randomBytesState,
  "tls:index/privateKey:PrivateKey": privateKeyState,
  "tls:index/selfSignedCert:SelfSignedCert": selfSignedCertState,
  "tls:index/certRequest:CertRequest": certRequestState,
  "tls:index/locallySignedCert:LocallySignedCert": locallySignedCertState,
  ...Object.fromEntries(Object.entries(CLOUD_STANDINS).map(([type, standin]) => [type, standin.state])),
};

/** Resources the stand-up creates for real: their state at this point is their inputs. */
const CREATED_BY_STANDUP = [/^docker:/, /^postgresql:/, /^pulumi:providers:/, /^pulumi-nodejs:dynamic\/jewelry-shop:TenantIsolation$/];

export function newResource(args: MockResourceArgs): MockResourceResult {
  // Secret inputs arrive wrapped; the generators need the values.
  const inputs = plain(args.inputs as JsonObject) as Record<string, unknown>;
  // Components (the root stack too) reach the mocks without being custom: they have no outputs of their own.
  const createdHere = args.custom === false || CREATED_BY_STANDUP.some((re) => re.test(args.type));
  const stateOf = STATES[args.type] ?? (createdHere ? inputsOnly : undefined);
  if (!stateOf) throw new Error(`the stand-up's mocks have no outputs for ${args.type} (${args.name}): add them in tests/standup/program/mock-outputs.ts`);
  const id = args.type.startsWith("cloudflare:") ? hex(32) : `${args.name}-${hex(8)}`;
  return { id, state: stateOf(args.type, inputs) };
}

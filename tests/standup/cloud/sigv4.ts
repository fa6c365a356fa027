// AWS Signature Version 4 as S3 checks it for a header-signed request (Authorization:
// AWS4-HMAC-SHA256): the credential scope (key, day, region, service s3), the clock, and the
// signature over the canonical request built from the signed headers. The payload is taken by its
// declared hash (x-amz-content-sha256), which the signature covers; the body itself is not hashed.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { S3StandInConfig } from "./s3-standin-config";

const MAX_CLOCK_SKEW_MS = 15 * 60_000;

const rfc3986 = (value: string): string => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");
const hmac = (key: Buffer | string, text: string): Buffer => createHmac("sha256", key).update(text, "utf8").digest();

function canonicalQuery(query: string): string {
  if (query === "") return "";
  return query
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const at = pair.indexOf("=");
      const [key, value] = at < 0 ? [pair, ""] : [pair.slice(0, at), pair.slice(at + 1)];
      return [rfc3986(decodeURIComponent(key)), rfc3986(decodeURIComponent(value))] as const;
    })
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join("&");
}

/** Why the request's Signature V4 does not hold for `store`, or undefined when it does. */
export function signatureProblem(
  request: { method: string; url: string; headers: Readonly<Record<string, string | string[] | undefined>> },
  store: Pick<S3StandInConfig, "region" | "accessKeyId" | "secretAccessKey">,
  now = Date.now(),
): string | undefined {
  const header = (name: string): string | undefined => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(",") : value;
  };
  const authorization = header("authorization");
  if (!authorization) return "AccessDenied: the request is not signed";
  const match = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(authorization.trim());
  if (!match) return "AuthorizationHeaderMalformed: not an AWS4-HMAC-SHA256 authorization";
  const [, accessKeyId, day, region, service, signedHeaderList, signature] = match;
  if (accessKeyId !== store.accessKeyId) return "InvalidAccessKeyId: the access key is not this store's";
  if (region !== store.region) return `AuthorizationHeaderMalformed: region ${region} is wrong; expecting ${store.region}`;
  if (service !== "s3") return `AuthorizationHeaderMalformed: service ${service} is not s3`;
  const amzDate = header("x-amz-date") ?? "";
  const parsed = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!parsed) return "AccessDenied: no valid x-amz-date";
  if (!amzDate.startsWith(day)) return "SignatureDoesNotMatch: the credential's date is not the request's";
  const at = Date.UTC(+parsed[1], +parsed[2] - 1, +parsed[3], +parsed[4], +parsed[5], +parsed[6]);
  if (Math.abs(now - at) > MAX_CLOCK_SKEW_MS) return "RequestTimeTooSkewed: more than 15 minutes from the server's time";
  const signedHeaders = signedHeaderList.split(";");
  for (const required of ["host", "x-amz-date", "x-amz-content-sha256"]) {
    if (!signedHeaders.includes(required)) return `AccessDenied: ${required} is not signed`;
  }
  const payloadHash = header("x-amz-content-sha256") ?? "";
  const [path, query = ""] = request.url.split("?", 2);
  const canonicalRequest = [
    request.method,
    path,
    canonicalQuery(query),
    ...signedHeaders.map((name) => `${name}:${(header(name) ?? "").trim().replace(/\s+/g, " ")}`),
    "",
    signedHeaderList,
    payloadHash,
  ].join("\n");
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${store.secretAccessKey}`, day), region), service), "aws4_request");
  const expected = hmac(key, stringToSign);
  if (!timingSafeEqual(expected, Buffer.from(signature, "hex"))) return "SignatureDoesNotMatch: the signature does not match the request and key";
  return undefined;
}

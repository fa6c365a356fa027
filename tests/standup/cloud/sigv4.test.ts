// The stand-in's Signature V4 check against AWS's own published example (S3 API reference,
// "Signature Calculations for the Authorization Header", Example: GET Object) and the ways a
// request can fail it.
import { describe, expect, it } from "vitest";
import { signatureProblem } from "./sigv4";

const STORE = { region: "us-east-1", accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
const AT = Date.UTC(2013, 4, 24, 0, 0, 0);
const SIGNATURE = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
const request = (overrides: { url?: string; headers?: Record<string, string>; signature?: string; credential?: string } = {}) => ({
  method: "GET",
  url: overrides.url ?? "/test.txt",
  headers: {
    host: "examplebucket.s3.amazonaws.com",
    range: "bytes=0-9",
    "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "x-amz-date": "20130524T000000Z",
    authorization:
      `AWS4-HMAC-SHA256 Credential=${overrides.credential ?? "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"},` +
      `SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=${overrides.signature ?? SIGNATURE}`,
    ...overrides.headers,
  },
});

describe("Signature V4 check of the S3 stand-in", () => {
  it("accepts AWS's published example request signed with its key", () => {
    expect(signatureProblem(request(), STORE, AT)).toBeUndefined();
  });

  it("refuses the same request once a signed header, the path or the query changes", () => {
    expect(signatureProblem(request({ headers: { range: "bytes=0-10" } }), STORE, AT)).toMatch(/^SignatureDoesNotMatch/);
    expect(signatureProblem(request({ url: "/other.txt" }), STORE, AT)).toMatch(/^SignatureDoesNotMatch/);
    expect(signatureProblem(request({ url: "/test.txt?acl" }), STORE, AT)).toMatch(/^SignatureDoesNotMatch/);
  });

  it("refuses another key, another region, an unsigned request and a stale one", () => {
    expect(signatureProblem(request(), { ...STORE, secretAccessKey: "another" }, AT)).toMatch(/^SignatureDoesNotMatch/);
    expect(signatureProblem(request({ credential: "AKIDOTHER/20130524/us-east-1/s3/aws4_request" }), STORE, AT)).toMatch(/^InvalidAccessKeyId/);
    expect(signatureProblem(request(), { ...STORE, region: "eu-central-003" }, AT)).toMatch(/region us-east-1 is wrong/);
    const { authorization: _unsigned, ...headers } = request().headers;
    expect(signatureProblem({ ...request(), headers }, STORE, AT)).toMatch(/^AccessDenied: the request is not signed/);
    expect(signatureProblem(request(), STORE, AT + 16 * 60_000)).toMatch(/^RequestTimeTooSkewed/);
  });
});

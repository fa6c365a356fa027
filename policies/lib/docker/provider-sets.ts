// The docker provider (pulumi-docker, a bridge of kreuzwerker/terraform-provider-docker) declares
// `envs`, `securityOpts`, `capabilities`, `volumes`, `mounts`, `uploads`, `networksAdvanced` and
// more as Terraform SETS. A set does not keep the program's order: terraform-plugin-sdk's
// schema.Set.List() returns elements sorted by the DECIMAL TEXT of their hash code
// (helper/schema/set.go listCode: sort.Strings), and strings hash with schema.HashString, which is
// crc32 IEEE (internal/helper/hashcode). An element whose hash equals an earlier one's is dropped.
// So the Config.Env and HostConfig.SecurityOpt Docker receives are in that order, and where Docker
// keeps the last of two entries (env, no-new-privileges) the hash order decides which one wins.

import * as zlib from "node:zlib";

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** crc32 IEEE of the UTF-8 bytes, as Go's hash/crc32.ChecksumIEEE computes it, byte by byte. */
export function tableCrc32(text: string): number {
  let crc = 0xffffffff;
  const bytes = Buffer.from(text, "utf8");
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// The same checksum, native, in Node 20.15 and later (a string is hashed as its UTF-8 bytes).
const nativeCrc32 = (zlib as { crc32?: (data: string) => number }).crc32;

/** crc32 IEEE of the UTF-8 bytes, as Go's hash/crc32.ChecksumIEEE computes it. */
export const crc32: (text: string) => number = nativeCrc32 ?? tableCrc32;

/** The elements of a string set in the order the provider hands them to Docker. */
export function providerSetOrder(values: readonly string[]): string[] {
  const byCode = new Map<string, string>();
  for (const value of values) {
    const code = String(crc32(value));
    if (!byCode.has(code)) byCode.set(code, value);
  }
  return [...byCode.keys()].sort().map((code) => byCode.get(code)!);
}

// IPv4/IPv6 addresses and CIDR blocks as numbers: pg_hba.conf address matching and picking one client
// address in each region that the file's blocks carve out (lib/postgres), and nginx's allow/deny and
// set_real_ip_from (lib/nginx/request.ts).

export interface Ip {
  readonly family: 4 | 6;
  readonly value: bigint;
}

export interface Cidr {
  readonly family: 4 | 6;
  /** Network address (host bits cleared). */
  readonly base: bigint;
  readonly bits: number;
}

export const width = (family: 4 | 6) => (family === 4 ? 32 : 128);

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function parseIpv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(":")) return undefined;
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    tailV4 = parseIpv4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - left.length - right.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...right];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  let value = all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

export function parseIp(text: string): Ip | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIpv6(text);
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

export const maskOf = (family: 4 | 6, bits: number): bigint => {
  const w = width(family);
  return bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(w - bits);
};

export function parseCidr(text: string): Cidr | undefined {
  const [address, bitsText, extra] = text.split("/");
  if (extra !== undefined || bitsText === undefined || !/^\d+$/.test(bitsText)) return undefined;
  const ip = parseIp(address!);
  const bits = Number(bitsText);
  if (!ip || bits > width(ip.family)) return undefined;
  return { family: ip.family, base: ip.value & maskOf(ip.family, bits), bits };
}

/** "address mask" in two fields; the mask must be contiguous ones. */
export function parseMask(addressText: string, maskText: string): Cidr | undefined {
  const ip = parseIp(addressText);
  const mask = parseIp(maskText);
  if (!ip || !mask || mask.family !== ip.family) return undefined;
  const w = width(ip.family);
  let bits = 0;
  while (bits < w && (mask.value >> BigInt(w - 1 - bits)) & 1n) bits++;
  if (mask.value !== maskOf(ip.family, bits)) return undefined;
  return { family: ip.family, base: ip.value & mask.value, bits };
}

export const cidrContains = (cidr: Cidr, ip: Ip): boolean =>
  cidr.family === ip.family && (ip.value & maskOf(cidr.family, cidr.bits)) === cidr.base;

const lastOf = (c: Cidr): bigint => c.base | (~maskOf(c.family, c.bits) & ((1n << BigInt(width(c.family))) - 1n));

export function formatIp(ip: Ip): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 255n)).join(".");
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((ip.value >> s) & 0xffffn).toString(16));
  // inet_ntop: the longest run of two or more zero groups becomes "::".
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > best.length) best = { start: i, length: j - i };
  }
  if (best.start < 0) return groups.join(":");
  return `${groups.slice(0, best.start).join(":")}::${groups.slice(best.start + best.length).join(":")}`;
}

/**
 * One address inside each region the blocks carve out (inside a block but outside every smaller
 * block within it), plus one outside all of them per family: every class of client a first-match
 * list can tell apart.
 */
export function regionRepresentatives(blocks: readonly Cidr[]): Ip[] {
  const found: Ip[] = [];
  for (const block of blocks) {
    const inner = blocks.filter((b) => b.family === block.family && b.bits > block.bits && cidrContains(block, { family: b.family, value: b.base }));
    const candidates = [block.base, ...inner.map((b) => lastOf(b) + 1n)];
    const pick = candidates.find((v) => v <= lastOf(block) && !inner.some((b) => cidrContains(b, { family: block.family, value: v })));
    if (pick !== undefined) found.push({ family: block.family, value: pick });
  }
  for (const family of [4, 6] as const) {
    const top = blocks.filter((b) => b.family === family);
    // Walk up from a documentation address until it lies outside every block of the family.
    let v = family === 4 ? parseIpv4("203.0.113.7")! : parseIpv6("2001:db8::7")!;
    for (let i = 0; i < 64 && top.some((b) => cidrContains(b, { family, value: v })); i++) v = lastOf(top.find((b) => cidrContains(b, { family, value: v }))!) + 1n;
    if (!top.some((b) => cidrContains(b, { family, value: v }))) found.push({ family, value: v });
  }
  return found;
}

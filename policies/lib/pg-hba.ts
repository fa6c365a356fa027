// pg_hba.conf records: "type database user [address] method [options]"; first match wins.

export type HbaType = "local" | "host" | "hostssl" | "hostnossl" | "hostgssenc" | "hostnogssenc";

export interface HbaRecord {
  readonly type: HbaType;
  readonly databases: readonly string[];
  readonly users: readonly string[];
  /** CIDR, host name, "all", "samehost", "samenet"; undefined for local. */
  readonly address?: string;
  readonly method: string;
  readonly line: number;
}

const TYPES: ReadonlySet<string> = new Set(["local", "host", "hostssl", "hostnossl", "hostgssenc", "hostnogssenc"]);

export function parsePgHba(text: string): HbaRecord[] {
  const records: HbaRecord[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") return;
    const fields = line.split(/\s+/);
    const type = fields[0];
    if (!TYPES.has(type)) return;
    const list = (field: string | undefined) => (field ?? "").split(",");
    if (type === "local") {
      records.push({ type, databases: list(fields[1]), users: list(fields[2]), method: fields[3] ?? "", line: index + 1 });
      return;
    }
    // An IP address may be given as "address mask" in two fields.
    const maskGiven = fields[4] !== undefined && /^\d+\.\d+\.\d+\.\d+$/.test(fields[4]);
    records.push({
      type: type as HbaType,
      databases: list(fields[1]),
      users: list(fields[2]),
      address: fields[3],
      method: fields[maskGiven ? 5 : 4] ?? "",
      line: index + 1,
    });
  });
  return records;
}

/** A record a TCP connection WITHOUT TLS can match. */
export const matchesNonTlsTcp = (r: HbaRecord): boolean => r.type === "host" || r.type === "hostnossl" || r.type === "hostnogssenc";

/** Matches every database, user and address: nothing after it of the same kind is ever reached. */
export const isCatchAll = (r: HbaRecord): boolean =>
  r.databases.includes("all") && r.users.includes("all") && (r.address === "all" || r.address === "0.0.0.0/0" || r.address === "::/0");

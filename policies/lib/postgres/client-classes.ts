// Every class of client a pg_hba.conf can tell apart, and the record that answers each: unix-socket,
// TLS and plain TCP connections, from one address in every region the file's address blocks carve
// out (limited to loopback when the server listens on loopback only, none when it listens on no
// TCP address), for every database and role name the file or the stack names plus a stranger, for
// ordinary and replication connections. A rule asks "which method answers this client?" for all of
// them instead of reading one line.
import { answeringRecord, type HbaConnection, type HbaFile, type HbaRecord, type MembershipTest } from "./hba";
import { formatIp, regionRepresentatives, type Cidr } from "../ip";

export interface ClientClass {
  readonly connection: HbaConnection;
  /** "TLS TCP from 172.30.2.7 as jewelry_app to jewelry_shop" */
  readonly label: string;
}

export interface ClientAnswer {
  readonly client: ClientClass;
  /** The answering record, or undefined when none matches (refused). */
  readonly record?: HbaRecord;
}

/** A role name no file or resource mentions: whoever else logs in. */
export const STRANGER = "another_role";
const LOOPBACK = ["127.0.0.1", "::1"];

export interface ClientUniverse {
  readonly databases: readonly string[];
  readonly users: readonly string[];
  /** listen_addresses as written ("*", "localhost", "", a list). */
  readonly listenAddresses: string;
}

function tcpSources(hba: HbaFile, listen: string): string[] {
  const addresses = listen.split(",").map((a) => a.trim()).filter((a) => a !== "");
  if (addresses.length === 0) return [];
  const loopbackOnly = addresses.every((a) => a === "localhost" || a.startsWith("127.") || a === "::1");
  if (loopbackOnly) return LOOPBACK;
  const blocks: Cidr[] = hba.records.flatMap((r) => (r.address?.kind === "cidr" ? [r.address.cidr] : []));
  return [...new Set([...regionRepresentatives(blocks).map(formatIp), ...LOOPBACK])];
}

/** Names a record's database or user field mentions literally. */
const literalNames = (hba: HbaFile, field: "databases" | "users") =>
  hba.records.flatMap((r) => r[field].filter((t) => t.quoted || !/^(all|sameuser|samerole|samegroup|replication)$|^[+@/]/.test(t.text)).map((t) => t.text));

/** Every client class with the record that answers it. */
export function answerEveryClient(hba: HbaFile, universe: ClientUniverse, isMember: MembershipTest): ClientAnswer[] {
  const databases = [...new Set([...universe.databases, ...literalNames(hba, "databases"), "postgres", "template1", "another_database"])];
  const users = [...new Set([...universe.users, ...literalNames(hba, "users"), STRANGER])];
  const transports: Array<Pick<HbaConnection, "transport" | "tls" | "address">> = [
    { transport: "local", tls: false },
    ...tcpSources(hba, universe.listenAddresses).flatMap((address) => [
      { transport: "tcp" as const, tls: true, address },
      { transport: "tcp" as const, tls: false, address },
    ]),
  ];
  const answers: ClientAnswer[] = [];
  for (const t of transports) {
    const how = t.transport === "local" ? "unix socket" : `${t.tls ? "TLS" : "non-TLS"} TCP from ${t.address}`;
    for (const user of users) {
      for (const [database, replication] of [...databases.map((d) => [d, false] as const), ["replication", true] as const]) {
        const connection: HbaConnection = { ...t, user, database, replication };
        const verdict = answeringRecord(hba, connection, isMember);
        answers.push({
          client: { connection, label: `${how} as ${user} ${replication ? "for replication" : `to ${database}`}` },
          record: verdict.kind === "record" ? verdict.record : undefined,
        });
      }
    }
  }
  return answers;
}

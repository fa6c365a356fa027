// Keeps a stand-up's traffic on this machine: while it runs, the host firewall's DOCKER-USER chain
// (the chain Docker reserves for the administrator's rules) rejects every packet that a container on
// a declared network sends to an address outside the declared networks. So certbot's ACME calls,
// the blackbox probe of the public URL, Alertmanager's mail and the resolver's upstream DNS
// queries fail at once instead of leaving the machine (rejected, not dropped: no client hangs on a
// timeout). Replies to connections made from the host still pass. Rules carry a comment with the run id and are deleted at tear-down (and by the sweep).
import { execFileSync } from "node:child_process";

const COMMENT_PREFIX = "jewelry-shop-standup";
const CHAIN = "DOCKER-USER";

const iptables = (args: string[]): string => execFileSync("iptables", ["-w", "10", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

export function guardEgress(runId: string, subnets: readonly string[]): void {
  const comment = ["-m", "comment", "--comment", `${COMMENT_PREFIX}:${runId}`];
  try {
    iptables(["-S", CHAIN]);
  } catch (error) {
    throw new Error(`the ${CHAIN} chain is missing (is dockerd running with iptables?): ${(error as Error).message}`);
  }
  // Inserted at the top in reverse: per source subnet, first the allowed destinations, then the reject.
  for (const source of subnets) {
    iptables(["-I", CHAIN, "1", "-s", source, ...comment, "-j", "REJECT"]);
    iptables(["-I", CHAIN, "1", "-s", source, "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", ...comment, "-j", "RETURN"]);
    for (const destination of subnets) iptables(["-I", CHAIN, "1", "-s", source, "-d", destination, ...comment, "-j", "RETURN"]);
  }
}

/** Deletes the rules of one run, or of every run (the sweep). */
export function releaseEgress(runId?: string): number {
  let lines: string[];
  try {
    lines = iptables(["-S", CHAIN]).split("\n");
  } catch {
    return 0;
  }
  const mark = runId ? `${COMMENT_PREFIX}:${runId}` : COMMENT_PREFIX;
  const ours = lines.filter((line) => line.startsWith(`-A ${CHAIN} `) && line.includes(mark));
  for (const line of ours) {
    // `-S` prints the rule as it was added (-A CHAIN spec); `-D CHAIN spec` deletes that rule.
    const spec = line.slice(`-A ${CHAIN} `.length).match(/"[^"]*"|\S+/g) ?? [];
    iptables(["-D", CHAIN, ...spec.map((s) => s.replace(/^"|"$/g, ""))]);
  }
  return ours.length;
}

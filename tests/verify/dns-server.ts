// A real DNS server for the DNS check: Debian's dnsmasq on 127.0.0.1 and a random port, serving the
// zone the program declares, as Cloudflare publishes it (a proxied address answers with an address
// of Cloudflare's edge). Started per test, stopped by its PID.
import { spawn, type ChildProcess } from "node:child_process";
import { Resolver } from "node:dns/promises";
import type { DeclaredRecord } from "../../verify/intent/dns";

/** An address in Cloudflare's 104.16.0.0/13, standing in for the edge a proxied record answers with. */
export const CLOUDFLARE_EDGE_STANDIN = { A: "104.16.132.229", AAAA: "2606:4700::6810:84e5" } as const;

/** CAA RDATA in dnsmasq's --dns-rr hex: flags, tag length, tag, value (RFC 8659). */
function caaHex(flags: number, tag: string, value: string): string {
  const bytes = Buffer.concat([Buffer.from([flags, tag.length]), Buffer.from(tag, "ascii"), Buffer.from(value, "utf8")]);
  return bytes.toString("hex");
}

export function dnsmasqArgs(records: readonly DeclaredRecord[]): string[] {
  return records.map((r) => {
    switch (r.type) {
      case "A":
      case "AAAA":
        return `--host-record=${r.name},${r.proxied ? CLOUDFLARE_EDGE_STANDIN[r.type] : r.content}`;
      case "CNAME":
        return `--dns-rr=${r.name},5,${Buffer.concat([...r.content.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]).toString("hex")}`;
      case "TXT":
        // dnsmasq splits TXT strings at commas: the declared texts have none.
        if (r.content.includes(",")) throw new Error(`TXT ${r.name}: dnsmasq cannot serve a text with a comma`);
        return `--txt-record=${r.name},${r.content}`;
      case "CAA":
        return `--dns-rr=${r.name},257,${caaHex(r.flags, r.tag, r.value)}`;
    }
  });
}

export interface DnsServer {
  readonly address: string;
  stop(): Promise<void>;
}

export async function startDnsServer(records: readonly DeclaredRecord[]): Promise<DnsServer> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const child: ChildProcess = spawn("dnsmasq", [
      "--keep-in-foreground", "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--no-poll",
      "--bind-interfaces", "--listen-address=127.0.0.1", `--port=${port}`, "--user=root", "--pid-file=",
      ...dnsmasqArgs(records),
    ], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const stop = () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
    // Ready when it answers; a port someone else holds makes it exit: try another.
    const resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([`127.0.0.1:${port}`]);
    for (let i = 0; i < 40 && child.exitCode === null; i++) {
      try {
        await resolver.resolve4(records.find((r) => r.type === "A")?.name ?? "localhost");
        return { address: `127.0.0.1:${port}`, stop };
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await stop();
    if (!/Address already in use/.test(stderr)) throw new Error(`dnsmasq did not answer on 127.0.0.1:${port}: ${stderr}`);
  }
  throw new Error("dnsmasq found no free port in 5 tries");
}

// Where the public checks connect: like curl's --resolve, an explicit HOST:PORT:ADDRESS for a stack
// that is not in DNS yet (or a test), else the address the system resolver gives the name.
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { UsageError } from "../../check/errors";

export interface ResolveEntry {
  /** A host name, or "*" for every host. */
  readonly host: string;
  /** A port, or 0 for every port. */
  readonly port: number;
  readonly address: string;
}

/** Parses one --resolve value: HOST:PORT:ADDRESS, HOST or PORT may be "*"; an IPv6 address may be bracketed. */
export function parseResolve(value: string): ResolveEntry {
  const match = /^([^:]+):(\*|\d{1,5}):\[?([^\]]+)\]?$/.exec(value.trim());
  const fix = `give HOST:PORT:ADDRESS, e.g. --resolve shop.example.org:443:203.0.113.10 (HOST or PORT may be *)`;
  if (!match) throw new UsageError(`--resolve ${value}: ${fix}`);
  const [, host, port, address] = match;
  if (isIP(address!) === 0) throw new UsageError(`--resolve ${value}: "${address}" is not an IP address; ${fix}`);
  const portNumber = port === "*" ? 0 : Number(port);
  if (port !== "*" && (portNumber < 1 || portNumber > 65535)) throw new UsageError(`--resolve ${value}: port ${port} is out of range; ${fix}`);
  return { host: host!.toLowerCase(), port: portNumber, address: address! };
}

export class PublicAddresses {
  private readonly looked = new Map<string, Promise<string>>();
  constructor(private readonly entries: readonly ResolveEntry[], private readonly timeoutMs = 5000) {}

  /** The address to connect to for host:port; rejects with a message naming the host when it does not resolve. */
  address(host: string, port: number): Promise<string> {
    const name = host.toLowerCase();
    const entry = this.entries.find((e) => (e.host === name || e.host === "*") && (e.port === port || e.port === 0));
    if (entry) return Promise.resolve(entry.address);
    let pending = this.looked.get(name);
    if (!pending) {
      pending = Promise.race([
        lookup(name).then((r) => r.address),
        new Promise<string>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${this.timeoutMs} ms`)), this.timeoutMs).unref()),
      ]).catch((err: Error) => {
        throw new Error(`${name} does not resolve (${err.message}); for a stack not in DNS yet give --resolve ${name}:${port}:<address>`);
      });
      this.looked.set(name, pending);
    }
    return pending;
  }

  /** Every explicit entry, for the report. */
  describe(): string[] {
    return this.entries.map((e) => `${e.host}:${e.port === 0 ? "*" : e.port} -> ${e.address}`);
  }
}

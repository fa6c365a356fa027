// DNS answers for the declared records, asked of one resolver (the user's, else the system's), with
// Node's own resolver: bounded by a timeout and a number of tries.
import { Resolver } from "node:dns/promises";

export type DnsAnswer = { readonly values: readonly string[] } | { readonly error: string };

export class DnsProbe {
  private readonly resolver: Resolver;
  constructor(readonly server: string | undefined, timeoutMs = 3000) {
    this.resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
    if (server) this.resolver.setServers([server]);
  }

  get description(): string {
    return this.server ?? `the system's resolver (${this.resolver.getServers().join(", ")})`;
  }

  async query(name: string, type: "A" | "AAAA" | "CNAME" | "TXT" | "CAA"): Promise<DnsAnswer> {
    try {
      switch (type) {
        case "A":
          return { values: await this.resolver.resolve4(name) };
        case "AAAA":
          return { values: await this.resolver.resolve6(name) };
        case "CNAME":
          return { values: (await this.resolver.resolveCname(name)).map((v) => v.toLowerCase().replace(/\.$/, "")) };
        case "TXT":
          return { values: (await this.resolver.resolveTxt(name)).map((chunks) => chunks.join("")) };
        case "CAA":
          return {
            values: (await this.resolver.resolveCaa(name)).map((r) => {
              const tag = r.issue !== undefined ? "issue" : r.issuewild !== undefined ? "issuewild" : r.iodef !== undefined ? "iodef" : "other";
              const value = r.issue ?? r.issuewild ?? r.iodef ?? "";
              return `${r.critical} ${tag} "${value}"`;
            }),
          };
      }
    } catch (err) {
      return { error: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
    }
  }
}

// TLS as served (9.3): the protocols that complete a handshake and the suites accepted under each
// equal what the declared nginx.conf enables, as OpenSSL expands its cipher string for the served
// certificate's key type. And the certificate (9.2, 9.6, P.14): trusted, covering each name, exactly
// the declared names, from a CA the declared CAA records allow, with more days left than the renewal window.
import { caaIssuers } from "../../intent/dns";
import { servedCertificate } from "../../probes/certificate";
import { suitesFor } from "../../intent/nginx";
import { sslscan } from "../../probes/tls-scan";
import { publicEndpoint, result, unreachable, type Check } from "../context";
import type { CheckResult } from "../../report";

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().every((v, i) => v === [...b].sort()[i]);

export const tlsServed: Check = {
  name: "tls",
  where: "outside",
  ids: ["9.3"],
  summary: "protocols and cipher suites served (sslscan) equal the declared nginx configuration",
  async run(ctx) {
    const { host, httpsPort } = publicEndpoint(ctx);
    const subject = `${host}:${httpsPort}`;
    const { edge } = ctx.intent;
    try {
      const address = await ctx.addresses.address(host, httpsPort);
      const [served, cert] = await Promise.all([sslscan(address, httpsPort, host), servedCertificate(address, httpsPort, host, ctx.extraCa)]);
      const results: CheckResult[] = [];
      const protocolsOk = sameSet(served.protocols, edge.protocols);
      results.push(result("tls", ["9.3"], `${subject} protocols`, protocolsOk ? "pass" : "fail", `served: ${served.protocols.join(" ") || "none"}`, `declared (negotiable under the declared ssl_protocols and cipher string): ${edge.protocols.join(" ")}`));
      for (const protocol of new Set([...served.protocols, ...edge.protocols])) {
        const expected = edge.protocols.includes(protocol) ? suitesFor(edge, protocol, cert.keyType) : [];
        const seen = served.ciphers.get(protocol) ?? [];
        if (expected.length === 0 && seen.length === 0) continue;
        results.push(result("tls", ["9.3"], `${subject} ${protocol} suites`, sameSet(seen, expected) ? "pass" : "fail",
          `served (${cert.keyType.toUpperCase()} certificate): ${seen.join(" ") || "none"}`,
          `declared: ${expected.join(" ") || "none"}`));
      }
      return results;
    } catch (err) {
      return [unreachable("tls", ["9.3"], subject, err)];
    }
  },
};

/** CAA identifiers (CCADB "CAA Identifiers") of the public ACME CAs, by the issuing CA's organisation. */
export const KNOWN_CAA_IDENTITIES: ReadonlyMap<string, string> = new Map([
  ["Let's Encrypt", "letsencrypt.org"],
  ["Google Trust Services", "pki.goog"],
  ["Google Trust Services LLC", "pki.goog"],
  ["ZeroSSL", "sectigo.com"],
  ["Sectigo Limited", "sectigo.com"],
  ["DigiCert Inc", "digicert.com"],
  ["Buypass AS-983163327", "buypass.com"],
  ["SSL Corporation", "ssl.com"],
]);

const DAY = 86_400_000;

export const certificate: Check = {
  name: "certificate",
  where: "outside",
  ids: ["9.2", "9.6", "P.14"],
  summary: "certificate trusted, covering exactly the declared names, from a CA the CAA records allow, renewed in time",
  async run(ctx) {
    const { httpsPort } = publicEndpoint(ctx);
    const declared = [...ctx.intent.edge.names].map((n) => n.toLowerCase()).sort();
    const results: CheckResult[] = [];
    for (const host of declared) {
      const subject = `${host}:${httpsPort}`;
      try {
        const address = await ctx.addresses.address(host, httpsPort);
        const cert = await servedCertificate(address, httpsPort, host, ctx.extraCa);
        const now = ctx.now();
        const daysLeft = Math.floor((cert.validTo.getTime() - now.getTime()) / DAY);
        const covers = cert.subjectAltNames.some((n) => n === host || (n.startsWith("*.") && host.endsWith(n.slice(1)) && host.split(".").length === n.split(".").length));
        const problems = [
          ...(cert.authorizationError ? [`not trusted (${cert.authorizationError})`] : []),
          ...(now < cert.validFrom ? [`not valid before ${cert.validFrom.toISOString()}`] : []),
          ...(now > cert.validTo ? [`expired ${cert.validTo.toISOString()}`] : []),
          ...(covers ? [] : [`does not cover ${host}`]),
        ];
        const names = `names ${cert.subjectAltNames.join(", ")}; issuer ${cert.issuer}; valid until ${cert.validTo.toISOString()} (${daysLeft} days)`;
        results.push(result("certificate", ["P.14"], subject, problems.length === 0 ? "pass" : "fail", problems.length === 0 ? `valid: ${names}` : `${problems.join("; ")}: ${names}`, "a trusted, unexpired certificate for the name"));

        const exact = [...cert.subjectAltNames].sort().join(" ") === declared.join(" ");
        const identity = ctx.caaIdentities.get(cert.issuerOrganization) ?? KNOWN_CAA_IDENTITIES.get(cert.issuerOrganization);
        const allowed = caaIssuers(ctx.intent.records, host);
        const caaOk = allowed === undefined || (identity !== undefined && allowed.includes(identity));
        const caaText = allowed === undefined ? "no CAA record declared: any CA may issue" : `CAA allows ${allowed.join(", ") || "no CA"}; issued by "${cert.issuerOrganization || cert.issuer}"${identity ? ` (${identity})` : " (no known CAA identifier: --caa-identity ORG=DOMAIN)"}`;
        results.push(result("certificate", ["9.2"], subject, exact && caaOk ? "pass" : "fail",
          `${exact ? "exactly the declared names" : `names ${cert.subjectAltNames.join(", ")}`}; ${caaText}`,
          `names ${declared.join(", ")}, issued by a CA the CAA records allow`));

        const window = ctx.intent.renewalWindowDays;
        if (window === undefined) results.push(result("certificate", ["9.6"], subject, "fail", `${daysLeft} days left, and the program declares nothing that renews the certificate`));
        else results.push(result("certificate", ["9.6"], subject, daysLeft > window ? "pass" : "fail", `${daysLeft} days left`, `more than ${window} days (certbot renews ${window} days before expiry)`));
      } catch (err) {
        results.push(unreachable("certificate", ["9.2", "9.6", "P.14"], subject, err));
      }
    }
    return results;
  },
};

import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

export interface ServiceCertSpec {
  /** DNS names the service is reached by (container names on the Docker networks). */
  readonly dnsNames: readonly string[];
  readonly ipAddresses?: readonly string[];
}

export interface ClientCertSpec {
  /** The identity the server checks (pgBackRest's tls-server-auth matches the CN). */
  readonly commonName: string;
}

export interface InternalCaArgs {
  /** Services that need a server certificate, by short name. */
  readonly services: Readonly<Record<string, ServiceCertSpec>>;
  /** Clients that prove who they are with a certificate (mutual TLS), by short name. */
  readonly clients?: Readonly<Record<string, ClientCertSpec>>;
}

export interface ServiceCert {
  readonly certPem: pulumi.Output<string>;
  /** Secret: flows only into container uploads. */
  readonly keyPem: pulumi.Output<string>;
}

const YEAR_HOURS = 24 * 365;

/**
 * A private CA for TLS inside the Docker host (PgBouncer to PostgreSQL, clients to PgBouncer, the
 * PostgreSQL host to pgBackRest's repository host), so internal hops are encrypted and verified
 * (verify-full) without a public certificate; client certificates where the server authenticates
 * its clients by certificate (pgBackRest's TLS server).
 * Certificates renew on the `pulumi up` after they enter their last 30 days.
 */
export class InternalCa extends pulumi.ComponentResource {
  readonly caCertPem: pulumi.Output<string>;
  readonly certs: Readonly<Record<string, ServiceCert>>;
  /** Client certificates: usable only for client authentication, never to impersonate a server. */
  readonly clientCerts: Readonly<Record<string, ServiceCert>>;

  constructor(name: string, args: InternalCaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jewelry-shop:index:InternalCa", name, {}, opts);
    const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
    const caCert = new tls.SelfSignedCert(`${name}-ca-cert`, {
      privateKeyPem: caKey.privateKeyPem,
      subject: { commonName: "jewelry-shop internal CA", organization: "jewelry-shop" },
      isCaCertificate: true,
      validityPeriodHours: 5 * YEAR_HOURS,
      earlyRenewalHours: 90 * 24,
      allowedUses: ["cert_signing", "crl_signing"],
    }, { parent: this });
    this.caCertPem = caCert.certPem;

    const issue = (id: string, subject: { commonName: string; dnsNames?: readonly string[]; ipAddresses?: readonly string[] },
      use: "server_auth" | "client_auth"): ServiceCert => {
      const key = new tls.PrivateKey(`${name}-${id}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
      const request = new tls.CertRequest(`${name}-${id}-csr`, {
        privateKeyPem: key.privateKeyPem,
        subject: { commonName: subject.commonName, organization: "jewelry-shop" },
        dnsNames: [...(subject.dnsNames ?? [])],
        ipAddresses: [...(subject.ipAddresses ?? [])],
      }, { parent: this });
      const cert = new tls.LocallySignedCert(`${name}-${id}-cert`, {
        certRequestPem: request.certRequestPem,
        caPrivateKeyPem: caKey.privateKeyPem,
        caCertPem: caCert.certPem,
        validityPeriodHours: 2 * YEAR_HOURS,
        earlyRenewalHours: 30 * 24,
        allowedUses: ["digital_signature", "key_encipherment", use],
      }, { parent: this });
      return { certPem: cert.certPem, keyPem: pulumi.secret(key.privateKeyPem) };
    };

    const certs: Record<string, ServiceCert> = {};
    for (const [service, spec] of Object.entries(args.services)) {
      certs[service] = issue(service, { commonName: spec.dnsNames[0], dnsNames: spec.dnsNames, ipAddresses: spec.ipAddresses }, "server_auth");
    }
    this.certs = certs;
    const clientCerts: Record<string, ServiceCert> = {};
    for (const [client, spec] of Object.entries(args.clients ?? {})) {
      // "-client-" keeps a client's resource names apart from a service of the same short name.
      clientCerts[client] = issue(`client-${client}`, { commonName: spec.commonName }, "client_auth");
    }
    this.clientCerts = clientCerts;
    this.registerOutputs({ caCertPem: this.caCertPem });
  }
}

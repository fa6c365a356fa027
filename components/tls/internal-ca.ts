import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

export interface ServiceCertSpec {
  /** DNS names the service is reached by (container names on the Docker networks). */
  readonly dnsNames: readonly string[];
  readonly ipAddresses?: readonly string[];
}

export interface InternalCaArgs {
  /** Services that need a server certificate, by short name. */
  readonly services: Readonly<Record<string, ServiceCertSpec>>;
}

export interface ServiceCert {
  readonly certPem: pulumi.Output<string>;
  /** Secret: flows only into container uploads. */
  readonly keyPem: pulumi.Output<string>;
}

const YEAR_HOURS = 24 * 365;

/**
 * A private CA for TLS inside the Docker host (PgBouncer to PostgreSQL, clients to PgBouncer), so
 * internal hops are encrypted and verified (verify-full) without a public certificate.
 * Certificates renew on the `pulumi up` after they enter their last 30 days.
 */
export class InternalCa extends pulumi.ComponentResource {
  readonly caCertPem: pulumi.Output<string>;
  readonly certs: Readonly<Record<string, ServiceCert>>;

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

    const certs: Record<string, ServiceCert> = {};
    for (const [service, spec] of Object.entries(args.services)) {
      const key = new tls.PrivateKey(`${name}-${service}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
      const request = new tls.CertRequest(`${name}-${service}-csr`, {
        privateKeyPem: key.privateKeyPem,
        subject: { commonName: spec.dnsNames[0], organization: "jewelry-shop" },
        dnsNames: [...spec.dnsNames],
        ipAddresses: [...(spec.ipAddresses ?? [])],
      }, { parent: this });
      const cert = new tls.LocallySignedCert(`${name}-${service}-cert`, {
        certRequestPem: request.certRequestPem,
        caPrivateKeyPem: caKey.privateKeyPem,
        caCertPem: caCert.certPem,
        validityPeriodHours: 2 * YEAR_HOURS,
        earlyRenewalHours: 30 * 24,
        allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
      }, { parent: this });
      certs[service] = { certPem: cert.certPem, keyPem: pulumi.secret(key.privateKeyPem) };
    }
    this.certs = certs;
    this.registerOutputs({ caCertPem: this.caCertPem });
  }
}

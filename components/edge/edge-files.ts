// Small files and scripts of the edge containers. Pure: typed args -> text.

/** RFC 7919 ffdhe2048, the group Mozilla's intermediate profile names (instead of a generated dhparam). */
export const FFDHE2048_PEM = `-----BEGIN DH PARAMETERS-----
MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz
+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a
87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7
YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi
7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD
ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==
-----END DH PARAMETERS-----
`;

/** Cloudflare's published edge ranges (https://www.cloudflare.com/ips/), for real_ip behind the CDN. */
export const CLOUDFLARE_IPV4_RANGES: readonly string[] = [
  "173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22", "141.101.64.0/18",
  "108.162.192.0/18", "190.93.240.0/20", "188.114.96.0/20", "197.234.240.0/22", "198.41.128.0/17",
  "162.158.0.0/15", "104.16.0.0/13", "104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22",
];
export const CLOUDFLARE_IPV6_RANGES: readonly string[] = [
  "2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32", "2405:8100::/32",
  "2a06:98c0::/29", "2c0f:f248::/32",
];

/** Marker certbot's deploy hook touches; nginx reloads when it is newer than its last reload. */
export const RENEWAL_MARKER = "/etc/letsencrypt/.jewelry-renewed";

/**
 * Run by the nginx image before nginx starts (/docker-entrypoint.d): serve Let's Encrypt's certificate
 * once it exists, else the self-signed bootstrap, so nginx always starts.
 */
export function nginxCertLinkScript(paths: { letsencrypt: string; bootstrap: string; current: string }): string {
  return `#!/bin/sh
set -eu
live="${paths.letsencrypt}/live/$PRIMARY_DOMAIN"
if [ -s "$live/fullchain.pem" ] && [ -s "$live/privkey.pem" ]; then src="$live"; else src="${paths.bootstrap}"; fi
mkdir -p "${paths.current}"
ln -sfn "$src/fullchain.pem" "${paths.current}/fullchain.pem"
ln -sfn "$src/privkey.pem" "${paths.current}/privkey.pem"
echo "jewelry-shop: serving the certificate from $src"
`;
}

/** Background loop in the nginx container: re-link and reload after certbot renewed (checked each minute). */
export function nginxReloadWatcherScript(): string {
  return `#!/bin/sh
set -eu
stamp=/var/run/jewelry-nginx-reloaded
touch "$stamp"
(
  while sleep 60; do
    if [ "${RENEWAL_MARKER}" -nt "$stamp" ]; then
      /docker-entrypoint.d/40-jewelry-cert-links.sh && nginx -s reload && touch "$stamp"
    fi
  done
) &
`;
}

export interface CertbotLoopArgs {
  readonly domains: readonly string[];
  readonly email: string;
  readonly webroot: string;
}

/**
 * certbot's container command: obtain the certificate (webroot, HTTP-01) unless one is valid, then try
 * to renew twice a day; a renewal touches the marker nginx watches (checklist 9.2, 9.6).
 */
export function certbotLoop(args: CertbotLoopArgs): string {
  const domains = args.domains.map((d) => `-d ${d}`).join(" ");
  const hook = `--deploy-hook 'touch ${RENEWAL_MARKER}'`;
  return [
    "set -u",
    `certbot certonly --webroot -w ${args.webroot} ${domains} --cert-name ${args.domains[0]} --email ${args.email} --agree-tos --non-interactive --keep-until-expiring --key-type ecdsa ${hook} || echo 'certbot: issuance failed; retrying at the next cycle'`,
    `while :; do sleep 12h & wait $!; certbot renew --webroot -w ${args.webroot} --non-interactive ${hook} || true; done`,
  ].join("\n");
}

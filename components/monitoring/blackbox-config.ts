// blackbox.yml for jewelry-shop: the module Prometheus' blackbox job uses to probe the public
// https health URL. Strict on purpose: a redirect, plain HTTP or an invalid certificate is a failure.
import { assertDuration, toYamlText } from "./yaml-text";

export interface BlackboxConfigArgs {
  /** Probe timeout; must stay below Prometheus' scrape_timeout. */
  timeout?: string;
}

/** Module name the Prometheus blackbox job asks for (its default). */
export const BLACKBOX_HTTPS_MODULE = "http_2xx";

export function renderBlackboxConfig(args: BlackboxConfigArgs = {}): string {
  const timeout = args.timeout ?? "5s";
  assertDuration("timeout", timeout);
  return toYamlText({
    modules: {
      [BLACKBOX_HTTPS_MODULE]: {
        prober: "http",
        timeout,
        http: {
          method: "GET",
          // Empty list = any 2xx.
          valid_status_codes: [],
          // /health/ must answer itself: a redirect (e.g. to a login or an error page) is not health.
          follow_redirects: false,
          fail_if_not_ssl: true,
          preferred_ip_protocol: "ip4",
          tls_config: { insecure_skip_verify: false, min_version: "TLS12" },
        },
      },
    },
  });
}

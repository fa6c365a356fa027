// Which browser-side providers the stack configures, for the pages' CSP and Permissions-Policy.
import type { BrowserProvider } from "../nginx/browser-policies";

export interface BrowserProviderConfig {
  /** Stripe.js runs in the pages with this key; a stack without one loads nothing from Stripe. */
  readonly stripePublishableKey?: string;
}

export function configuredBrowserProviders(config: BrowserProviderConfig): BrowserProvider[] {
  return config.stripePublishableKey ? ["stripe"] : [];
}

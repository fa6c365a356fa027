// Content-Security-Policy and Permissions-Policy of the shop's pages: a strict base, widened by
// exactly the sources each configured browser-side provider documents. Pure: typed args -> header value.

export type CspDirective =
  | "default-src" | "script-src" | "style-src" | "img-src" | "font-src" | "connect-src" | "frame-src"
  | "object-src" | "base-uri" | "form-action" | "frame-ancestors" | "upgrade-insecure-requests";

/** Sources per directive, in header order; an empty list is a directive without value. */
export type CspSources = Partial<Record<CspDirective, readonly string[]>>;

/** Providers whose code runs in the shop's pages. */
export const BROWSER_PROVIDERS = ["stripe"] as const;
export type BrowserProvider = (typeof BROWSER_PROVIDERS)[number];

export interface BrowserProviderSources {
  /** Where the provider documents these sources. */
  readonly documentation: string;
  readonly csp: CspSources;
  /** Origins of the provider's frames that may use the Payment Request API (Permissions-Policy `payment`). */
  readonly paymentFrames: readonly string[];
}

/** The app's own policy: scripts only from the origin, no plugins, no framing, forms post to the origin. */
const BASE_CSP: CspSources = {
  "default-src": ["'self'"],
  "script-src": ["'self'"],
  "style-src": ["'self'", "'unsafe-inline'"],
  "img-src": ["'self'", "data:", "https:"],
  "font-src": ["'self'", "data:"],
  "connect-src": ["'self'"],
  "object-src": ["'none'"],
  "base-uri": ["'self'"],
  "form-action": ["'self'"],
  "frame-ancestors": ["'none'"],
  "upgrade-insecure-requests": [],
};

const STRIPE_JS = ["https://js.stripe.com", "https://*.js.stripe.com"];
const STRIPE_CHECKOUT = "https://checkout.stripe.com";
/** Stripe.js loads Google Maps for the Address Element's autocomplete. */
const GOOGLE_MAPS = "https://maps.googleapis.com";

export const BROWSER_PROVIDER_SOURCES: Readonly<Record<BrowserProvider, BrowserProviderSources>> = {
  // Stripe's lists for Stripe.js (Elements, the publishable key's use) and Checkout; Connect embedded
  // components are for Connect platforms, which the stack does not configure.
  stripe: {
    documentation: "https://docs.stripe.com/security/guide#content-security-policy",
    csp: {
      "script-src": [...STRIPE_JS, GOOGLE_MAPS, STRIPE_CHECKOUT],
      "connect-src": ["https://api.stripe.com", GOOGLE_MAPS, STRIPE_CHECKOUT],
      "frame-src": [...STRIPE_JS, "https://hooks.stripe.com", STRIPE_CHECKOUT],
      "img-src": ["https://*.stripe.com"],
      // Not in Stripe's CSP list, but Checkout's server-side flow posts a form to the app, which
      // answers 303 to checkout.stripe.com, and Chrome applies form-action to that redirect.
      "form-action": [STRIPE_CHECKOUT],
    },
    // Stripe.js frames its Apple Pay / Google Pay buttons with allow="payment *"; the header must let it.
    paymentFrames: ["https://js.stripe.com"],
  },
};

const DIRECTIVE_ORDER: readonly CspDirective[] = [
  "default-src", "script-src", "style-src", "img-src", "font-src", "connect-src", "frame-src",
  "object-src", "base-uri", "form-action", "frame-ancestors", "upgrade-insecure-requests",
];

/** A scheme source (`https:`) already allows every host source of that scheme. */
function covered(sources: readonly string[], source: string): boolean {
  return sources.includes(source) || sources.some((s) => /^[a-z]+:$/.test(s) && source.startsWith(`${s}//`));
}

/**
 * The pages' Content-Security-Policy: the base plus each provider's sources. A directive the base
 * leaves to default-src starts from default-src's sources, so widening it never narrows it.
 */
export function contentSecurityPolicy(providers: readonly BrowserProvider[]): string {
  const merged = new Map<CspDirective, string[]>(Object.entries(BASE_CSP).map(([d, s]) => [d as CspDirective, [...s]]));
  for (const provider of new Set(providers)) {
    for (const [directive, sources] of Object.entries(BROWSER_PROVIDER_SOURCES[provider].csp) as [CspDirective, readonly string[]][]) {
      const current = merged.get(directive) ?? [...(BASE_CSP["default-src"] ?? [])];
      for (const source of sources) if (!covered(current, source)) current.push(source);
      merged.set(directive, current);
    }
  }
  return DIRECTIVE_ORDER.flatMap((directive) => {
    const sources = merged.get(directive);
    return sources ? [[directive, ...sources].join(" ")] : [];
  }).join("; ");
}

/** Browser features the shop never uses are off; payment stays with the origin and the providers' payment frames. */
export function permissionsPolicy(providers: readonly BrowserProvider[]): string {
  const paymentFrames = [...new Set(providers.flatMap((p) => BROWSER_PROVIDER_SOURCES[p].paymentFrames))];
  const payment = ["self", ...paymentFrames.map((origin) => `"${origin}"`)].join(" ");
  return `accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), usb=(), payment=(${payment})`;
}

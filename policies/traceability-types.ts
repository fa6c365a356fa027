// How each checklist item is enforced. Every one of the 119 ids maps to exactly one Trace;
// tests/unit/traceability.test.ts fails on an unmapped id, an unknown id or a policy that does not exist.

/** Enforced before deployment by these policies of the pack (by policy name). */
export interface EnforcedByPolicy {
  readonly kind: "policy";
  readonly policies: readonly string[];
}

/** Cannot be decided from a preview; checked once the stack runs. */
export interface VerifiedAfterDeployment {
  readonly kind: "post-deployment";
  /** The planned check, e.g. "blackbox probe of https://<domain>/health/ answers 200". */
  readonly check: string;
}

/** Outside what a program or a policy can see (people, accounts, the host's sshd). */
export interface ManualItem {
  readonly kind: "manual";
  readonly reason: string;
}

export type Trace = EnforcedByPolicy | VerifiedAfterDeployment | ManualItem;

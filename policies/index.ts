// The jewelry-shop policy pack: the production deployment checklist as CrossGuard policies.
// One pack for every stack: levels are computed here, at start-up, from the stack's environment
// (production: all mandatory; staging/development: advisory except `alwaysMandatory` rules), and
// exemptions come from config jewelry-shop:policyExemptions (format in lib/exemptions.ts).
// Nothing may be printed to stdout before the pack prints its port.
import { PolicyPack } from "@pulumi/policy";
import { buildPolicies } from "./lib/pack";
import { decodeRequestStructsDirectly } from "./lib/request-decoding";
import { shareDeserializedProperties, sharePropertyDependencies } from "./lib/shared-properties";
import { readStackContext } from "./lib/stack-context";
import { checklistRules } from "./rules";

const stack = readStackContext();
shareDeserializedProperties();
sharePropertyDependencies();
decodeRequestStructsDirectly();

new PolicyPack("jewelry-shop-production-checklist", {
  description: "The jewelry-shop production deployment checklist (sections 1-15) enforced on every preview and update.",
  // Each policy carries its own level; this is only the fallback for one that does not.
  enforcementLevel: stack.environment === "production" ? "mandatory" : "advisory",
  policies: buildPolicies(checklistRules, stack),
});

// The declared intent of the shipped production stack, read once per test file the way verify reads
// it: the real program under Pulumi's mocks in preview mode with Pulumi.production.yaml.
import { resolve } from "node:path";
import { readStackConfig } from "../../check/stack-config";
import { readIntent, type StackIntent } from "../../verify/intent";

export const ROOT = resolve(__dirname, "../..");

let intent: Promise<StackIntent> | undefined;

export function productionIntent(): Promise<StackIntent> {
  // The program is TypeScript, require()d as the language host does: through tsx.
  (require("tsx/cjs/api") as { register(): void }).register();
  intent ??= readIntent(readStackConfig(ROOT, "production"));
  return intent;
}

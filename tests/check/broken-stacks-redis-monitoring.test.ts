// Subtle Redis and monitoring mistakes, classes A–D of issue 9 (tests/fixtures/broken-stacks/mistakes/redis-monitoring.ts).
import { describeBrokenStacks } from "./broken-stacks";

describeBrokenStacks("redis-monitoring");

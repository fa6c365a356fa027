// Subtle nginx mistakes (tests/fixtures/broken-stacks/mistakes/nginx.ts), each caught through the
// effective-configuration model.
import { describeBrokenStacks } from "./broken-stacks";

describeBrokenStacks("nginx");

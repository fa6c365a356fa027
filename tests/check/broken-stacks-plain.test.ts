// The first, obvious broken stacks (tests/fixtures/broken-stacks/mistakes/plain.ts).
import { describeBrokenStacks } from "./broken-stacks";

describeBrokenStacks("plain");

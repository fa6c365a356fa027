// Subtle mistakes in container options, app settings, secrets and mail/DNS records (tests/fixtures/broken-stacks/mistakes/docker-secrets.ts).
import { describeBrokenStacks } from "./broken-stacks";

describeBrokenStacks("docker-secrets");

// The data tier's subtle broken stacks (tests/fixtures/broken-stacks/mistakes/data.ts): PostgreSQL,
// PgBouncer, pgBackRest and the backup schedule.
import { describeBrokenStacks } from "./broken-stacks";

describeBrokenStacks("data");

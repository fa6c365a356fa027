// A mistake in what the user gave the check (flag, stack, config file, program config): the CLI
// prints the message alone and exits 2. Anything else is a bug and keeps its stack trace.
export class UserInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserInputError";
  }
}

/** A mistake in the command line itself: the CLI prints its usage after the message. */
export class UsageError extends UserInputError {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

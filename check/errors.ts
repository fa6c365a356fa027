// A mistake in what the user gave the check (flag, stack, config file, program config): the CLI
// prints the message alone and exits 2. Anything else is a bug and keeps its stack trace.
export class UserInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserInputError";
  }
}

// Errors that end a command with one clear line. Anything else is a bug and keeps its stack.

/** The command line was wrong: exit code 2, like any usage error. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Something the user can fix: a bad config value, a missing tool, a service that would not start. */
export class UserError extends Error {
  override name = 'UserError';
  constructor(
    message: string,
    readonly details: string[] = [],
  ) {
    super(message);
  }
}

export class ConfigError extends UserError {
  override name = 'ConfigError';
}

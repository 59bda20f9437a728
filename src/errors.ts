/**
 * An error caused by the user's input (bad file, bad flag, bad value). The CLI prints its message
 * on one line and exits with code 2 instead of showing a stack trace; everything else is a bug.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Prefixes a file path onto a message, the way every file-related error is reported. */
export function fileError(file: string, problem: string, cause?: unknown): UserError {
  return new UserError(`${file}: ${problem}`, { cause });
}

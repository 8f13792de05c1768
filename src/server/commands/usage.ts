/** A wrong command line: printed with the usage text, exit code 2. */
export class UsageError extends Error {
  readonly code = 'SERVER_ERR_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

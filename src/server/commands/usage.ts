import { readFileSync } from 'node:fs';

/** A wrong command line: printed with the usage text, exit code 2. */
export class UsageError extends Error {
  readonly code = 'SERVER_ERR_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An input file that cannot be read (missing, a directory, no permission). Exit code 1. */
export class InputFileError extends Error {
  readonly code = 'SERVER_ERR_FILE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InputFileError';
  }
}

export function readInput(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new InputFileError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

import { ProxyError } from '../errors.js';

/**
 * The fixture recorder cannot run: a listener cannot be opened, the output directory cannot be
 * created or is not empty, the manifest cannot be written. Exit code 1.
 */
export class RecordError extends ProxyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SERVER_ERR_RECORD', message, options);
    this.name = 'RecordError';
  }
}

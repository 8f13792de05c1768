import { ProxyError } from '../errors.js';

/**
 * A configuration that cannot work: an unknown flag, variable or config-file key, a value of the
 * wrong type or out of range, an unreadable config file or data directory. `field` names where
 * the bad value came from, spelled as the user wrote it: a flag (`--port`), an environment
 * variable (`KAFKA_WS_PROXY_PORT`) or a config-file key (`port`). Messages never quote the bad
 * value (a secret may have been put in the wrong place); from JSON they give its type.
 */
export class ConfigError extends ProxyError {
  readonly field: string;

  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super('SERVER_ERR_CONFIG', message, options);
    this.name = 'ConfigError';
    this.field = field;
  }
}

/**
 * Errors of the server layer (composition root: config, route store, admin API). Every error
 * carries a stable string `code` (`SERVER_ERR_*`, listed in docs/errors.md); messages are for
 * people and may change. One class per block, so parallel additions merge cleanly.
 */

/** Base class of the server layer. */
export class ProxyError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProxyError';
    this.code = code;
  }
}

/**
 * A route body that does not pass validation. `field` is the JSON path of the offending value
 * (`upstream.nodes["k:9092"]`, `plugins.kafka-proxy.sasl.password`); empty for the body itself.
 * A key that is not a plain name is given by position (`labels (key #2)`). The message names the
 * field and never quotes the value, which may be a secret pasted into the wrong field.
 */
export class RouteValidationError extends ProxyError {
  readonly field: string;

  /** The message is `invalid route: <field>: <problem>`, or `invalid route: <message>` when `message` is given. */
  constructor(field: string, problem: string, message?: string) {
    super('SERVER_ERR_INVALID_ROUTE', `invalid route: ${message ?? (field === '' ? problem : `${field}: ${problem}`)}`);
    this.name = 'RouteValidationError';
    this.field = field;
  }
}

/** Reading or writing the route directory failed (disk full, permissions). Nothing was changed. */
export class RouteStoreError extends ProxyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SERVER_ERR_ROUTE_STORE', message, options);
    this.name = 'RouteStoreError';
  }
}

/** A route file found on open that cannot be used (bad JSON, invalid route); it is skipped. */
export class RouteFileError extends ProxyError {
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super('SERVER_ERR_ROUTE_FILE', `${file}: ${message}`, options);
    this.name = 'RouteFileError';
    this.file = file;
  }
}

/** A write to a route defined in the configuration file; those change only with the file. */
export class RouteReadOnlyError extends ProxyError {
  readonly id: string;

  constructor(id: string) {
    super('SERVER_ERR_ROUTE_READ_ONLY', `route ${id} is read-only: it is defined in the configuration file`);
    this.name = 'RouteReadOnlyError';
    this.id = id;
  }
}

/**
 * Two enabled routes would have the same `uri`; `otherId` names the route that has it. The
 * message names that route, not the uri: messages never quote a value the user sent.
 */
export class RouteConflictError extends ProxyError {
  readonly otherId: string;

  constructor(otherId: string) {
    super('SERVER_ERR_ROUTE_CONFLICT', `uri is already used by route ${otherId}`);
    this.name = 'RouteConflictError';
    this.otherId = otherId;
  }
}

/** PATCH of a route id that does not exist. */
export class RouteNotFoundError extends ProxyError {
  readonly id: string;

  constructor(id: string) {
    super('SERVER_ERR_ROUTE_NOT_FOUND', `route ${id} not found`);
    this.name = 'RouteNotFoundError';
    this.id = id;
  }
}

/** Admin API options that cannot work (an empty admin key). */
export class AdminConfigError extends ProxyError {
  constructor(message: string) {
    super('SERVER_ERR_ADMIN_CONFIG', message);
    this.name = 'AdminConfigError';
  }
}

/**
 * JSON input (an admin request body, the config file) refused before any of it is used.
 * `reason`: `depth` (nested deeper than the limit), `syntax` (not JSON; the message gives line
 * and column), `key` for a key that reaches prototypes (`__proto__`, `constructor`, `prototype`).
 * Messages never quote the input.
 */
export class JsonInputError extends ProxyError {
  readonly reason: 'depth' | 'syntax' | 'key';

  constructor(reason: 'depth' | 'syntax' | 'key', message: string) {
    super('SERVER_ERR_JSON_INPUT', message);
    this.name = 'JsonInputError';
    this.reason = reason;
  }
}

/**
 * The data directory is open to other users and holds files that are not the proxy's, so it was
 * not made private (a directory of the proxy's own is). Not thrown: listed in
 * `RouteStore.warnings` and logged at start.
 */
export class DataDirError extends ProxyError {
  readonly dir: string;

  constructor(dir: string, message: string) {
    super('SERVER_ERR_DATA_DIR', `data directory ${dir} ${message}`);
    this.name = 'DataDirError';
    this.dir = dir;
  }
}

/**
 * The worker processes of `start --workers N` cannot run: one exited before it was listening
 * (its own error is on stderr), one kept exiting (a crash loop), or they did not stop in time.
 */
export class WorkerError extends ProxyError {
  constructor(message: string) {
    super('SERVER_ERR_WORKER', message);
    this.name = 'WorkerError';
  }
}

/**
 * The keys of a Kafka route store cannot read or write its records: a record is encrypted with a
 * key id this replica has no key for (`unknown_kid`), or its key does not decrypt it (`bad_key`:
 * another key under the same id, or an altered record), or the configured keys are unusable
 * (`config`). Fatal: the replica cannot know its routes, so it stops (exit code 3). A `bad_key`
 * record under a key that decrypts other records is no sign of a wrong key but of an altered one:
 * it is skipped as a RouteRecordError instead (route-state.ts).
 */
export class RouteKeyError extends ProxyError {
  readonly reason: 'unknown_kid' | 'bad_key' | 'config';
  /** The key id of the record that could not be read. */
  readonly kid: string | undefined;

  constructor(message: string, reason: 'unknown_kid' | 'bad_key' | 'config' = 'config', kid?: string) {
    super('SERVER_ERR_ROUTE_KEY', message);
    this.name = 'RouteKeyError';
    this.reason = reason;
    this.kid = kid;
  }
}

/**
 * A record in a Kafka route topic that is not a route record this version can use: not our
 * format, an unknown format version, a key that is not a route id, or a route that does not
 * validate here (a newer version wrote it). Not thrown to callers: the route it names is treated
 * as absent on every replica alike, and the record is logged.
 */
export class RouteRecordError extends ProxyError {
  readonly offset: bigint;

  constructor(offset: bigint, message: string, options?: { cause?: unknown }) {
    super('SERVER_ERR_ROUTE_RECORD', `route topic offset ${offset}: ${message}`, options);
    this.name = 'RouteRecordError';
    this.offset = offset;
  }
}

/**
 * The route topic cannot serve as one: it has more than one partition (records of one route id
 * would lose their order). Fatal, like RouteKeyError (exit code 3).
 */
export class RouteTopicError extends ProxyError {
  constructor(message: string) {
    super('SERVER_ERR_ROUTE_TOPIC', message);
    this.name = 'RouteTopicError';
  }
}

import { parseArgs } from 'node:util';
import { createLogger } from '../log.js';
import { LOG_LEVELS, type LogLevel } from '../log-levels.js';
import { Recorder } from '../record/index.js';
import type { Address } from '../record/index.js';
import { exitOnSignals } from './shutdown.js';
import { UsageError } from './usage.js';

export const RECORD_HELP = `Usage: kafka-ws-proxy record --broker HOST:PORT --out DIR [options]

A recording proxy for conformance fixtures. Point a Kafka client at --listen instead of the
broker: every request and response passes through unchanged and is written to DIR as
NNNN-<Api>-v<version>.req.bin / .resp.bin (the frame without its 4-byte size prefix) plus
manifest.json (api key, version, correlation id, client id, sizes, connection, broker, labels).
Metadata, FindCoordinator, and Fetch/Produce NodeEndpoints responses are passed to the client
with each broker's address replaced by a listener of the recorder's own (opened on demand, one
per broker), so the client keeps talking through it; the files keep the broker's bytes. Works on
PLAINTEXT and SASL_PLAINTEXT listeners (TLS cannot be recorded). Frames of APIs our codec does
not declare, and SASL tokens after a SaslHandshake v0, pass through and are recorded as raw.
Runs until SIGINT or SIGTERM, then writes the manifest and exits 0.

Options:
  --broker HOST:PORT        the broker to bootstrap from (required)
  --out DIR                 output directory; created, must be empty (required)
  --listen HOST:PORT        first listener (default 127.0.0.1:0, a free port); later listeners
                            take the following ports, or free ones when PORT is 0
  --advertised-host HOST    host put into rewritten responses (default: the --listen host)
  --broker-version V        Kafka version of the broker, for the manifest (e.g. 4.4.0)
  --client NAME             the client tool, for the manifest (e.g. "kcat 1.7.1")
  --listener NAME           the broker listener, for the manifest (e.g. SASL_PLAINTEXT)
  --description TEXT        what was recorded, for the manifest
  --max-file-bytes N        frames larger than N bytes are passed on but not written (default 262144)
  --log-level LEVEL         debug, info (default), warn, error; JSON lines on stdout

Prints {"msg":"ready","listen":"HOST:PORT",...} on stdout once the first listener is open.
`;

/** "host:port" or "[v6]:port" → Address. @throws UsageError */
export function parseAddress(s: string, option: string): Address {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port > 65535) throw new UsageError(`${option} must be HOST:PORT, got ${JSON.stringify(s)}`);
  return { host: m[1] ?? m[2]!, port };
}

/**
 * `kafka-ws-proxy record`: runs the recording proxy until SIGINT/SIGTERM. Resolves with an exit
 * code only when it is not going to keep running (help).
 * @throws UsageError for a wrong command line, RecordError when it cannot start.
 */
export async function recordCommand(argv: readonly string[]): Promise<number | undefined> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv], allowPositionals: false, strict: true,
      options: {
        broker: { type: 'string' }, out: { type: 'string' }, listen: { type: 'string' }, 'advertised-host': { type: 'string' },
        'broker-version': { type: 'string' }, client: { type: 'string' }, listener: { type: 'string' }, description: { type: 'string' },
        'max-file-bytes': { type: 'string' }, 'log-level': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help === true) {
    process.stdout.write(RECORD_HELP);
    return 0;
  }
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const brokerArg = str('broker');
  const out = str('out');
  if (brokerArg === undefined || out === undefined) throw new UsageError('record needs --broker HOST:PORT and --out DIR');
  const level = (str('log-level') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const maxFileBytes = str('max-file-bytes') === undefined ? undefined : Number(str('max-file-bytes'));
  if (maxFileBytes !== undefined && !(Number.isSafeInteger(maxFileBytes) && maxFileBytes >= 0)) throw new UsageError('--max-file-bytes must be a non-negative integer');
  const labels = {
    ...(str('broker-version') !== undefined ? { brokerVersion: str('broker-version')! } : {}),
    ...(str('client') !== undefined ? { client: str('client')! } : {}),
    ...(str('listener') !== undefined ? { listener: str('listener')! } : {}),
    ...(str('description') !== undefined ? { description: str('description')! } : {}),
  };
  const logger = createLogger({ level });
  const recorder = await Recorder.start({
    listen: parseAddress(str('listen') ?? '127.0.0.1:0', '--listen'),
    broker: parseAddress(brokerArg, '--broker'),
    outDir: out,
    labels,
    logger,
    ...(str('advertised-host') !== undefined ? { advertisedHost: str('advertised-host')! } : {}),
    ...(maxFileBytes !== undefined ? { maxFileBytes } : {}),
  });
  const listen = await recorder.address;
  logger.info('ready', { listen: `${listen.host}:${listen.port}`, broker: brokerArg, out });
  exitOnSignals({ logger, stop: () => recorder.close(), stopped: () => ({ exchanges: recorder.exchanges, manifest: recorder.manifestPath }) });
  return undefined;
}

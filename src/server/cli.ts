#!/usr/bin/env -S node --single-threaded-gc
// The proxy runs with V8's garbage collector on its main thread only. On a small machine shared
// with a broker and clients, the collector's helper threads (concurrent marking and sweeping,
// parallel scavenges) wait for CPU time while the main thread waits for them, which shows in the
// fetch tail latency at many clients, at the same throughput (BENCHMARKS.md, change 8).
// `node dist/src/server/cli.js` runs without the flag.
import { parseArgs } from 'node:util';
import { decodeCommand } from './commands/decode.js';
import { recordCommand } from './commands/record.js';
import { recordsCommand } from './commands/records.js';
import { startCommand } from './commands/start.js';
import { UsageError } from './commands/usage.js';

const HELP = `kafka-ws-proxy: consume Apache Kafka over WebSocket (APISIX-compatible PubSub)

Usage:
  kafka-ws-proxy [start] [options]
      Run the proxy (the default command). "kafka-ws-proxy start --help" lists every option
      (--port 9080, --host, --data-dir, --admin-key, --config FILE, limits), its
      KAFKA_WS_PROXY_* environment variable and config-file key.
  kafka-ws-proxy decode FILE --api NAME|KEY --version N --request|--response [--read-committed] [--all] [--raw-records]
      Print one Kafka frame (no 4-byte size prefix; header first) as JSON {"header", "body"}.
      int64 values are decimal strings, bytes are base64, records fields are decoded into
      [{"offset","timestamp","key","value","headers":[{"key","value"}]}].
      --read-committed drops records of aborted transactions (Fetch responses);
      --all keeps control records; --raw-records prints records fields as base64.
      A request header names its api and version, so --api/--version are optional there
      (and checked if given); a response needs both.
  kafka-ws-proxy records FILE [--all]
      Print the records of a raw records field (as found in a Fetch response) as a JSON array.
      (Not to be confused with "record", the verb, below.)
  kafka-ws-proxy record --broker HOST:PORT --out DIR [--listen HOST:PORT] [options]
      A recording proxy for conformance fixtures: clients connect to --listen, every
      request/response pair is written to DIR (frames + manifest.json); broker addresses in
      Metadata and FindCoordinator responses are rewritten to its own listeners so clients stay
      on it. "kafka-ws-proxy record --help" lists the options.
  kafka-ws-proxy --help

Errors go to stderr as "error CODE: message"; the exit code is 1 (2 for a wrong command line).
`;

async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  try {
    if (command === undefined || command === 'start') return await startCommand(rest);
    if (command === 'record') return await recordCommand(rest);
    if (command.startsWith('-')) return await startCommand(argv);
    const out = run(command, rest);
    process.stdout.write(`${out}\n`);
    return 0;
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    const code = typeof e.code === 'string' ? e.code : 'ERR_UNEXPECTED';
    process.stderr.write(`error ${code}: ${String(e.message ?? err)}\n`);
    if (err instanceof UsageError || code === 'SERVER_ERR_CONFIG') {
      process.stderr.write(code === 'SERVER_ERR_CONFIG' ? 'run kafka-ws-proxy start --help for the options\n' : 'run kafka-ws-proxy --help for usage\n');
      return 2;
    }
    return 1;
  }
}

function run(command: string, rest: string[]): string {
  switch (command) {
    case 'decode': {
      const { values, positionals } = parse(rest, {
        api: { type: 'string' }, version: { type: 'string' }, request: { type: 'boolean' }, response: { type: 'boolean' },
        'read-committed': { type: 'boolean' }, all: { type: 'boolean' }, 'raw-records': { type: 'boolean' },
      });
      const file = single(positionals, 'decode');
      return decodeCommand({
        file,
        ...(values.api !== undefined ? { api: values.api as string } : {}),
        ...(values.version !== undefined ? { version: values.version as string } : {}),
        request: values.request === true, response: values.response === true,
        readCommitted: values['read-committed'] === true, all: values.all === true, rawRecords: values['raw-records'] === true,
      });
    }
    case 'records': {
      const { values, positionals } = parse(rest, { all: { type: 'boolean' } });
      return recordsCommand({ file: single(positionals, 'records'), all: values.all === true });
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

type Options = Record<string, { type: 'string' | 'boolean' }>;

function parse(args: string[], options: Options): { values: Record<string, unknown>; positionals: string[] } {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function single(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw new UsageError(`${command} takes exactly one FILE`);
  return positionals[0]!;
}

main(process.argv.slice(2)).then((code) => {
  if (code !== undefined) process.exitCode = code;
}, (err: unknown) => {
  process.stderr.write(`error ERR_UNEXPECTED: ${String(err)}\n`);
  process.exitCode = 1;
});

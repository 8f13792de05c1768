import { KafkaWireError } from '../../kafka-wire/index.js';
import { apiByNameOrKey, decodeRequestFrame, decodeResponseFrame } from '../../kafka-wire/index.js';
import { readInput, UsageError } from './usage.js';
import { toJson } from './json.js';

export interface DecodeArgs {
  file: string;
  api?: string;
  version?: string;
  request?: boolean;
  response?: boolean;
  readCommitted?: boolean;
  all?: boolean;
  rawRecords?: boolean;
}

/**
 * `kafka-ws-proxy decode FILE --api NAME|KEY --version N --request|--response`: one frame without
 * its size prefix, header first, printed as {"header", "body"} JSON.
 */
export function decodeCommand(args: DecodeArgs): string {
  if (args.request === args.response) throw new UsageError('decode needs exactly one of --request or --response');
  const jsonOpts = { readCommitted: args.readCommitted === true, includeControl: args.all === true, rawRecords: args.rawRecords === true };
  const api = args.api === undefined ? undefined : apiByNameOrKey(args.api);
  if (args.api !== undefined && api === undefined) throw new UsageError(`unknown api ${JSON.stringify(args.api)}`);
  const version = args.version === undefined ? undefined : parseVersion(args.version);
  if (args.response && (api === undefined || version === undefined)) {
    throw new UsageError('decode --response needs --api and --version (a response header does not name them)');
  }
  const frame = readInput(args.file);
  if (args.request) {
    const decoded = decodeRequestFrame(frame);
    if (api !== undefined && decoded.api.key !== api.key) {
      throw new KafkaWireError('KWIRE_ERR_MISMATCH', `frame is a ${decoded.api.name} request, not ${api.name}`);
    }
    if (version !== undefined && decoded.header.requestApiVersion !== version) {
      throw new KafkaWireError('KWIRE_ERR_MISMATCH', `frame is version ${decoded.header.requestApiVersion}, not ${version}`);
    }
    return JSON.stringify({ header: toJson(decoded.header), body: toJson(decoded.body, jsonOpts) }, null, 2);
  }
  const decoded = decodeResponseFrame(api!, version!, frame);
  const out: Record<string, unknown> = { header: toJson(decoded.header), body: toJson(decoded.body, jsonOpts) };
  if (decoded.version !== version) out.decodedAtVersion = decoded.version;
  return JSON.stringify(out, null, 2);
}

function parseVersion(s: string): number {
  if (!/^\d+$/.test(s)) throw new UsageError(`--version must be a non-negative integer, got ${JSON.stringify(s)}`);
  return Number(s);
}

import { readRecords } from '../../kafka-wire/index.js';
import { readInput } from './usage.js';

/**
 * `kafka-ws-proxy records FILE [--all]`: the records of a raw records field (as found in a Fetch
 * response) as a JSON array; --all keeps control records.
 */
export function recordsCommand(args: { file: string; all?: boolean }): string {
  const { records } = readRecords(readInput(args.file), { includeControl: args.all === true });
  return JSON.stringify(records.map((r) => r.toJSON()), null, 2);
}

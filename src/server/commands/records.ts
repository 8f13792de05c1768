import { readFileSync } from 'node:fs';
import { readRecords } from '../../kafka-wire/index.js';

/**
 * `kafka-ws-proxy records FILE [--all]`: the records of a raw records field (as found in a Fetch
 * response) as a JSON array; --all keeps control records.
 */
export function recordsCommand(args: { file: string; all?: boolean }): string {
  const { records } = readRecords(readFileSync(args.file), { includeControl: args.all === true });
  return JSON.stringify(records.map((r) => r.toJSON()), null, 2);
}

import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordError } from './errors.js';

/** One request of a recorded conversation, and its response if one came. */
export interface Exchange {
  /** Order in which the recorder saw the request, over all connections, from 1. */
  seq: number;
  /** Client connection it came on, numbered from 1 in the order they were accepted. */
  connection: number;
  /** The real broker ("host:port") that connection was forwarded to. */
  broker: string;
  /** Kafka API key; -1 for a raw SASL token (SaslHandshake v0 framing, no request header). */
  apiKey: number;
  api: string;
  /** Request version; -1 for a raw SASL token. */
  version: number;
  correlationId: number | null;
  clientId: string | null;
  /** File holding the request frame: exactly the bytes after the 4-byte size prefix. */
  request: string | null;
  requestBytes: number;
  /** File holding the response frame as the broker sent it (before any address rewrite). */
  response: string | null;
  responseBytes: number | null;
  /** The client was sent this response with broker addresses replaced by the recorder's listeners. */
  rewritten: boolean;
  /** Our codec does not declare this API or version (or it is a SASL token): bytes passed through untouched. */
  raw?: boolean;
  note?: string;
}

export interface RecordingLabels {
  /** Kafka version of the broker, e.g. "4.4.0" (the wire does not say). */
  brokerVersion?: string;
  /** Client tool, e.g. "kcat 1.7.1" or "kafka-console-producer 4.4.0". */
  client?: string;
  /** Broker listener name, e.g. "PLAINTEXT" or "SASL_PLAINTEXT". */
  listener?: string;
  description?: string;
}

export interface Manifest {
  format: 1;
  recordedWith: string;
  bootstrap: string;
  labels: RecordingLabels;
  /** ClientSoftwareName/Version from ApiVersions v3+ requests (KIP-511), in order of first sight. */
  clientSoftware: Array<{ name: string; version: string }>;
  /** Each listener the recorder opened and the broker it fronts. */
  listeners: Array<{ local: string; broker: string }>;
  exchanges: Exchange[];
}

/**
 * Writes one recording into a directory: NNNN-<Api>-v<version>.req.bin / .resp.bin per frame, and
 * manifest.json. Files are written as frames arrive (synchronously, so the order on disk is the
 * order seen); the manifest on flush() and at the end.
 */
export class FixtureWriter {
  readonly dir: string;
  readonly manifest: Manifest;
  private readonly maxFileBytes: number;
  private seq = 0;

  /** @throws RecordError when `dir` cannot be created or already holds files. */
  constructor(dir: string, bootstrap: string, labels: RecordingLabels, maxFileBytes: number) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new RecordError(`cannot create ${dir}: ${(err as Error).message}`, { cause: err });
    }
    if (readdirSync(dir).length > 0) throw new RecordError(`output directory ${dir} is not empty (re-recording starts from an empty one)`);
    this.dir = dir;
    this.maxFileBytes = maxFileBytes;
    this.manifest = { format: 1, recordedWith: 'kafka-ws-proxy record', bootstrap, labels, clientSoftware: [], listeners: [], exchanges: [] };
  }

  /** Records a request frame and returns its manifest entry (filled in further by the caller). */
  request(frame: Buffer, fields: Omit<Exchange, 'seq' | 'request' | 'requestBytes' | 'response' | 'responseBytes' | 'rewritten'>): Exchange {
    const seq = ++this.seq;
    const stem = `${String(seq).padStart(4, '0')}-${fields.api}${fields.version >= 0 ? `-v${fields.version}` : ''}`;
    const e: Exchange = { seq, ...fields, request: null, requestBytes: frame.length, response: null, responseBytes: null, rewritten: false };
    e.request = this.write(`${stem}.req.bin`, frame, e);
    this.manifest.exchanges.push(e);
    return e;
  }

  response(e: Exchange, frame: Buffer): void {
    const stem = e.request === null ? `${String(e.seq).padStart(4, '0')}-${e.api}` : e.request.replace(/\.req\.bin$/, '');
    e.responseBytes = frame.length;
    e.response = this.write(`${stem}.resp.bin`, frame, e);
  }

  noteClientSoftware(name: string, version: string): void {
    if (!this.manifest.clientSoftware.some((c) => c.name === name && c.version === version)) this.manifest.clientSoftware.push({ name, version });
  }

  noteListener(local: string, broker: string): void {
    this.manifest.listeners.push({ local, broker });
  }

  /** Writes manifest.json (atomically: a reader never sees half of it). */
  flush(): void {
    const file = join(this.dir, 'manifest.json');
    writeFileSync(`${file}.tmp`, `${JSON.stringify(this.manifest, null, 1)}\n`);
    renameSync(`${file}.tmp`, file);
  }

  private write(name: string, frame: Buffer, e: Exchange): string | null {
    if (frame.length > this.maxFileBytes) {
      appendNote(e, `${name} not written: ${frame.length} bytes is over --max-file-bytes ${this.maxFileBytes}`);
      return null;
    }
    writeFileSync(join(this.dir, name), frame);
    return name;
  }
}

export function appendNote(e: Exchange, note: string): void {
  e.note = e.note === undefined ? note : `${e.note}; ${note}`;
}

import { connect as netConnect, isIP, type LookupFunction, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { KafkaConnectionError } from './errors.js';

export interface TlsOptions {
  /** Check the certificate chain and the host name (default true). APISIX calls this `tls.verify`. */
  verify?: boolean;
  /** PEM CA certificates to trust instead of Node's bundled roots. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** PEM client certificate and key for mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Name sent as SNI and checked against the certificate; defaults to the broker host. */
  servername?: string;
}

export interface SocketOptions {
  host: string;
  port: number;
  tls?: TlsOptions | undefined;
  /** Custom DNS lookup (e.g. to pin a name to an address). */
  lookup?: LookupFunction | undefined;
  connectTimeoutMs: number;
  /** Node's user-buffer reads: every read goes into `buffer()`, and no 'data' event fires. */
  onread?: { buffer: () => Uint8Array; callback: (bytes: number, buf: Uint8Array) => boolean } | undefined;
}

/** Opens a TCP or TLS socket and resolves once it can carry bytes (after the TLS handshake). */
export function openSocket(o: SocketOptions): Promise<Socket | TLSSocket> {
  const broker = `${o.host}:${o.port}`;
  return new Promise((resolve, reject) => {
    let settled = false;
    const base = { host: o.host, port: o.port, noDelay: true, ...(o.lookup ? { lookup: o.lookup } : {}), ...(o.onread ? { onread: o.onread } : {}) };
    let socket: Socket | TLSSocket;
    if (o.tls === undefined) {
      socket = netConnect(base);
    } else {
      // SNI must be a host name (RFC 6066); Node still checks an IP against the certificate's IP SANs.
      const servername = o.tls.servername ?? (isIP(o.host) === 0 ? o.host : undefined);
      socket = tlsConnect({
        ...base,
        rejectUnauthorized: o.tls.verify !== false,
        ...(servername !== undefined ? { servername } : {}),
        ...(o.tls.ca !== undefined ? { ca: o.tls.ca } : {}),
        ...(o.tls.cert !== undefined ? { cert: o.tls.cert } : {}),
        ...(o.tls.key !== undefined ? { key: o.tls.key } : {}),
      });
    }
    const timer = setTimeout(() => {
      done(new KafkaConnectionError('KWIRE_ERR_CONNECT_TIMEOUT', broker, `no ${o.tls ? 'TLS ' : ''}connection within ${o.connectTimeoutMs} ms`));
    }, o.connectTimeoutMs);
    const done = (err?: KafkaConnectionError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (err === undefined) {
        resolve(socket);
      } else {
        socket.destroy();
        reject(err);
      }
    };
    const onError = (e: Error): void => done(socketError(e, broker, o.tls !== undefined, false));
    const onClose = (): void => done(new KafkaConnectionError(
      o.tls ? 'KWIRE_ERR_TLS_MISMATCH' : 'KWIRE_ERR_CONNECTION_CLOSED', broker,
      o.tls ? 'the broker closed the connection during the TLS handshake (is this a plaintext listener?)' : 'the broker closed the connection while connecting',
    ));
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.once(o.tls ? 'secureConnect' : 'connect', () => done());
  });
}

/** Maps a Node socket error to our typed error. `established` is false while connecting. */
export function socketError(e: Error, broker: string, tls: boolean, established: boolean): KafkaConnectionError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  if (code === 'ECONNREFUSED') return new KafkaConnectionError('KWIRE_ERR_CONNECTION_REFUSED', broker, 'connection refused', { cause: e });
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' || code === 'EAI_FAIL') {
    return new KafkaConnectionError('KWIRE_ERR_DNS', broker, `cannot resolve host name (${code})`, { cause: e });
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return new KafkaConnectionError('KWIRE_ERR_TLS_MISMATCH', broker, `the broker did not answer with TLS (${code}); is this a plaintext listener?`, { cause: e });
  }
  if (tls && !established && code === 'ECONNRESET') {
    return new KafkaConnectionError('KWIRE_ERR_TLS_MISMATCH', broker, 'the broker reset the connection during the TLS handshake (is this a plaintext listener?)', { cause: e });
  }
  if (isTlsCode(code)) return new KafkaConnectionError('KWIRE_ERR_TLS', broker, `TLS: ${e.message} (${code})`, { cause: e });
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new KafkaConnectionError('KWIRE_ERR_CONNECTION_CLOSED', broker, `connection reset by the broker (${code})`, { cause: e });
  }
  return new KafkaConnectionError('KWIRE_ERR_NETWORK', broker, `${e.message}${code ? ` (${code})` : ''}`, { cause: e });
}

function isTlsCode(code: string): boolean {
  return code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code.includes('CERT') || code.includes('SIGNATURE')
    || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY';
}

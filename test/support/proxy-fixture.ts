import { createProxy, type KafkaWsProxy, type ProxyOptions } from '../../src/server/index.js';
import { createLogger } from '../../src/server/log.js';

export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export interface RunningProxy {
  proxy: KafkaWsProxy;
  /** http://127.0.0.1:PORT */
  url: string;
  ws(path: string): string;
  /** An admin API call with the test key (unless `key` says otherwise); returns status and JSON body. */
  admin(method: string, path: string, body?: unknown, key?: string | null): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Log lines written, parsed. */
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** A proxy on an ephemeral loopback port, logging into memory. */
export async function startProxy(options: ProxyOptions = {}): Promise<RunningProxy> {
  const logs: Array<Record<string, unknown>> = [];
  const proxy = await createProxy({
    adminKey: TEST_ADMIN_KEY,
    logger: createLogger({ level: 'debug', write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>) }),
    ...options,
  });
  const { url } = await proxy.listen({ port: 0, host: '127.0.0.1' });
  return {
    proxy,
    url,
    logs,
    ws: (path) => url.replace(/^http/, 'ws') + path,
    async admin(method, path, body, key = TEST_ADMIN_KEY) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (key !== null) headers['x-api-key'] = key;
      const res = await fetch(url + path, { method, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
      const text = await res.text();
      return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
    },
    close: () => proxy.close(),
  };
}

/** An APISIX Kafka route body for the given brokers plus extra top-level or plugin fields. */
export function kafkaRoute(uri: string, brokers: string[], extra: { tls?: Record<string, unknown>; plugin?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    uri,
    upstream: {
      nodes: Object.fromEntries(brokers.map((b) => [b, 1])),
      type: 'none',
      scheme: 'kafka',
      ...(extra.tls !== undefined ? { tls: extra.tls } : {}),
    },
    ...(extra.plugin !== undefined ? { plugins: { 'kafka-proxy': extra.plugin } } : {}),
  };
}

/**
 * APISIX upstream `nodes` → Kafka bootstrap brokers. APISIX accepts two forms: an object
 * `{"host:port": weight}` and an array `[{host, port, weight, priority?}]` (schema_def.lua).
 * APISIX uses weight and priority to balance HTTP requests; for Kafka they only order the
 * bootstrap list. A weight-0 node (no traffic in APISIX) is kept, last, so it still helps bootstrap.
 */
import { isIPv6 } from 'node:net';
import { fail, fieldPath, integer, isObject, keyPath, object, onlyKeys, required, string, typeName } from './check.js';

// APISIX's host_def is ^\*?[0-9a-zA-Z-._]+$; a leading wildcard makes no sense for a broker.
const HOST = /^[0-9a-zA-Z._-]+$/;

interface Node {
  address: string;
  weight: number;
  priority: number;
  order: number;
}

/** Validates `nodes` (at `field`) and returns "host:port" strings, best first, without duplicates. */
export function brokersOf(nodes: unknown, field: string): string[] {
  const list: Node[] = [];
  if (Array.isArray(nodes)) {
    for (const [i, n] of nodes.entries()) list.push(arrayNode(n, fieldPath(field, i), i));
  } else if (isObject(nodes)) {
    for (const [i, [key, weight]] of Object.entries(nodes).entries()) {
      // The key is named only once it is known to be an address (a password is not "host:port").
      const address = objectKey(key, keyPath(field, key, i));
      list.push({ address, weight: integer(weight, fieldPath(field, key), 0), priority: 0, order: list.length });
    }
  } else {
    fail(field, `expected object or array, got ${typeName(nodes)}`);
  }
  if (list.length === 0) fail(field, 'must not be empty');
  list.sort((a, b) => b.priority - a.priority || b.weight - a.weight || a.order - b.order);
  return [...new Set(list.map((n) => n.address))];
}

function arrayNode(v: unknown, at: string, order: number): Node {
  const n = object(v, at);
  onlyKeys(n, at, ['host', 'port', 'weight', 'priority']);
  const host = string(required(n, at, 'host'), fieldPath(at, 'host'), { min: 1 });
  const port = integer(required(n, at, 'port'), fieldPath(at, 'port'), 1, 65535);
  const weight = integer(required(n, at, 'weight'), fieldPath(at, 'weight'), 0);
  const priority = n['priority'] === undefined ? 0 : integer(n['priority'], fieldPath(at, 'priority'));
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIPv6(bare)) return { address: `[${bare}]:${port}`, weight, priority, order };
  if (!HOST.test(host)) fail(fieldPath(at, 'host'), 'expected a host name, IPv4 or IPv6 address');
  return { address: `${host}:${port}`, weight, priority, order };
}

/** "host:port" or "[v6]:port"; the port is required because Kafka has no default one. */
function objectKey(key: string, at: string): string {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]+)):(\d{1,5})$/.exec(key);
  if (m === null) fail(at, 'expected "host:port" (IPv6 as "[::1]:9092")');
  const port = Number(m[3]);
  if (port < 1 || port > 65535) fail(at, 'port must be between 1 and 65535');
  if (m[1] !== undefined) {
    if (!isIPv6(m[1])) fail(at, 'invalid IPv6 address');
    return `[${m[1]}]:${port}`;
  }
  if (!HOST.test(m[2]!)) fail(at, 'expected a host name or IPv4 address before the port');
  return `${m[2]}:${port}`;
}

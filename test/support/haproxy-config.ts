/**
 * The HAProxy configuration in front of proxy replicas: what the replica tests run and what
 * docs/deployment.md shows (test/docs/deployment.test.ts keeps the two the same). The reasons for
 * each line are in docs/deployment.md.
 */

export interface HaproxyConfigOptions {
  /** The frontend's `bind` address, e.g. `127.0.0.1:23456` or `:443 ssl crt /etc/haproxy/site.pem`. */
  bind: string;
  /** The replicas, in order: server name and address:port of each one's main listener. */
  servers: ReadonlyArray<{ name: string; address: string }>;
  /** The health check's period (and how long a dead replica may still be picked). */
  checkInterval: string;
  /** Consecutive failed checks that take a replica out, passed ones that bring it back. */
  fall: number;
  rise: number;
  /** Connections at once over the frontend; HAProxy needs two file descriptors per connection. */
  maxconn: number;
  /** The runtime API's Unix socket (`show stat`), if any. */
  statsSocket?: string;
}

/** The response header naming the replica that answered an upgrade (HAProxy's server name), as Node spells it. */
export const REPLICA_HEADER = 'x-kwp-replica';

export function haproxyConfig(o: HaproxyConfigOptions): string {
  const global = o.statsSocket === undefined ? [] : [`  stats socket ${o.statsSocket} mode 600 level admin`];
  return [
    'global',
    `  maxconn ${o.maxconn}`,
    ...global,
    '',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout http-request 10s',
    '  # An upgraded WebSocket is a tunnel: this idle timeout replaces client/server for it.',
    '  timeout tunnel 1h',
    '  timeout client-fin 5s',
    '  # A replica that refuses the connection (killed, not yet marked down) is retried on another.',
    '  retries 3',
    '  option redispatch 1',
    '',
    'frontend kafka_ws',
    `  bind ${o.bind}`,
    '  # Replicas see every client at HAProxy\'s address: keep their admin side off this port.',
    '  http-request deny deny_status 404 if { path_beg /apisix/admin } || { path /metrics }',
    '  default_backend replicas',
    '',
    'backend replicas',
    '  # WebSockets last: send each new one to the replica with the fewest open.',
    '  balance leastconn',
    '  option httpchk GET /readyz',
    '  http-check expect status 200',
    '  http-response set-header X-Kwp-Replica %[srv_name]',
    `  default-server check inter ${o.checkInterval} fall ${o.fall} rise ${o.rise}`,
    ...o.servers.map((s) => `  server ${s.name} ${s.address}`),
    '',
  ].join('\n');
}


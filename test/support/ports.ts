import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Lowest port tried: above the Kafka harness's bases (13092, 14092, shifted by KWP_KAFKA_PORT_OFFSET). */
const LOW = 20_000;

/** First port of the kernel's range for outgoing connections (Linux's default 32768 without /proc). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > LOW + 100 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

function bindable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/**
 * A port free on `host` now, below the kernel's ephemeral range, for a listener that must come
 * back on the same port after a restart: port 0 would hand out one from the ephemeral range,
 * where any outgoing connection opened while the listener is down (a health check, a Kafka
 * client) may take it. Random picks, each checked by binding it.
 * @throws Error when 200 picks were all taken
 */
export async function freePortBelowEphemeral(host = '127.0.0.1'): Promise<number> {
  const span = ephemeralLow() - LOW;
  for (let i = 0; i < 200; i++) {
    const port = LOW + Math.floor(Math.random() * span);
    if (await bindable(port, host)) return port;
  }
  throw new Error(`no free port found between ${LOW} and ${LOW + span - 1}`);
}

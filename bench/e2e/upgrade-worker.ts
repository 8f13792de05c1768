/**
 * A client process of the upgrade phase (upgrades.ts): signs its own RS256 tokens once (`tokens`),
 * then runs lanes of short-lived WebSockets (`upgrades`, raw-upgrade.ts): open with the next unused
 * token in the subprotocol, one cmd_ping, close with the handshake, again. Several processes run
 * at once, on several 127.x source addresses, with the same window in epoch ms.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { Histogram } from './histogram.js';
import { serveCommands } from './ipc.js';
import { cycle, request, type Target } from './raw-upgrade.js';
import { rs256 } from './tokens.js';
import type { TokenResult, TokenSpec, UpgradeResult, UpgradeSpec } from './upgrade-spec.js';

let tokens: string[] = [];
/** The next token to offer: each is offered once over the whole phase, unless they run out. */
let nextToken = 0;

function sign(spec: TokenSpec): TokenResult {
  const started = performance.now();
  const key: KeyObject = createPrivateKey(spec.privatePem);
  tokens = Array.from({ length: spec.count }, (_, i) => rs256(key, spec.kid, { sub: `${spec.subjectPrefix}${i}`, tenant: 'acme' }));
  nextToken = 0;
  return { signed: tokens.length, elapsedMs: performance.now() - started };
}

async function upgrades(spec: UpgradeSpec): Promise<UpgradeResult> {
  const upgradeLatency = new Histogram();
  const cycleLatency = new Histogram();
  let count = 0;
  let errors = 0;
  let firstError: string | undefined;
  let reused = 0;
  let cpu0: NodeJS.CpuUsage | undefined;
  let cpuMs = 0;
  let address = 0;
  const inWindow = (epochMs: number): boolean => epochMs >= spec.startAtMs && epochMs < spec.endAtMs;
  const url = new URL(spec.url);
  const target: Target = { host: url.hostname, port: Number(url.port), path: url.pathname };
  const plain = request(target, undefined);
  const lane = async (): Promise<void> => {
    while (Date.now() < spec.endAtMs) {
      let req = plain;
      if (spec.withTokens) {
        if (nextToken >= tokens.length) {
          nextToken = 0;
          reused++;
        }
        req = request(target, tokens[nextToken++]);
      }
      const localAddress = spec.localAddresses[address++ % spec.localAddresses.length];
      try {
        const t = await cycle(target, req, localAddress);
        if (inWindow(Date.now() - (t.cycleUs - t.upgradeUs) / 1000)) {
          count++;
          upgradeLatency.record(t.upgradeUs);
          cycleLatency.record(t.cycleUs);
        }
      } catch (e) {
        if (inWindow(Date.now())) {
          errors++;
          firstError ??= (e as Error).message;
        }
        // A refused upgrade comes back at once: do not spin on it.
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  const startTimer = setTimeout(() => {
    cpu0 = process.cpuUsage();
  }, Math.max(0, spec.startAtMs - Date.now()));
  const windowEnd = (): void => {
    if (cpu0 === undefined || cpuMs > 0) return;
    const cpu = process.cpuUsage(cpu0);
    cpuMs = (cpu.user + cpu.system) / 1000;
  };
  const endTimer = setTimeout(windowEnd, Math.max(0, spec.endAtMs - Date.now()));
  await Promise.all(Array.from({ length: spec.lanes }, lane));
  clearTimeout(startTimer);
  clearTimeout(endTimer);
  windowEnd();
  return {
    upgrades: count, errors, ...(firstError !== undefined ? { firstError } : {}), windowMs: spec.endAtMs - spec.startAtMs,
    upgradeLatency: upgradeLatency.toJSON(), cycleLatency: cycleLatency.toJSON(), reused, cpuMs,
  };
}

serveCommands(async (c) => {
  switch (c.cmd) {
    case 'tokens':
      return sign(c.spec);
    case 'upgrades':
      return upgrades(c.spec);
    default:
      throw new Error(`upgrade-worker: no ${c.cmd} command`);
  }
});

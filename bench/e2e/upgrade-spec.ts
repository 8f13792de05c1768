/** Commands of the upgrade phase (upgrades.ts) to its client processes (upgrade-worker.ts), and their replies. */
import type { HistogramJson } from './histogram.js';

/** Sign `count` distinct RS256 tokens (subjects `<prefix><n>`) and keep them for the upgrades to come. */
export interface TokenSpec {
  privatePem: string;
  kid: string;
  subjectPrefix: string;
  count: number;
}

export interface TokenResult {
  signed: number;
  elapsedMs: number;
}

/**
 * `lanes` loops, each: open a WebSocket (with the next unused token when `withTokens`), one
 * cmd_ping, close with the handshake; again until `endAtMs`. Cycles whose upgrade completes
 * between `startAtMs` and `endAtMs` (epoch ms, the same clock for every process) are counted.
 */
export interface UpgradeSpec {
  url: string;
  withTokens: boolean;
  lanes: number;
  startAtMs: number;
  endAtMs: number;
  /** Source addresses, used in turn (127.0.0.1, 127.0.0.2, ...). */
  localAddresses: string[];
}

export interface UpgradeResult {
  /** Cycles (upgrade, ping, close) whose upgrade completed in the window. */
  upgrades: number;
  errors: number;
  firstError?: string;
  windowMs: number;
  /** From the WebSocket's creation to 'open': the TCP connect, the HTTP upgrade and, with a token, its check. */
  upgradeLatency: HistogramJson;
  /** The whole cycle: upgrade, ping answered, close handshake done. */
  cycleLatency: HistogramJson;
  /** Tokens offered a second time because the signed ones ran out (0: every upgrade had its own). */
  reused: number;
  /** CPU of the client process over the window. */
  cpuMs: number;
}

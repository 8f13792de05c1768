import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import type { ProxyProcess } from './proxy-process.js';
import { TestPubSubClient } from './pubsub-client.js';

/**
 * Helpers for tests of `start --workers N` (test/server/workers/): the process tree, HTTP on a
 * connection of its own (so the primary hands each request to the next worker), WebSockets that
 * remember how they closed, and /metrics as a map.
 */

/** The pids of a process's children (Linux /proc). */
export function childPids(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  assert.ok(existsSync(file), `${file} is missing: these tests need Linux's /proc`);
  return readFileSync(file, 'utf8').trim().split(/\s+/).filter((s) => s !== '').map(Number);
}

/** The "worker listening" lines of the group, by worker number (a restarted worker's later line wins). */
export function workerPids(p: ProxyProcess): Map<number, number> {
  const out = new Map<number, number>();
  for (const l of p.lines) if (l['msg'] === 'worker listening') out.set(Number(l['worker']), Number(l['pid']));
  return out;
}

export interface Reply {
  status: number;
  text: string;
  json: Record<string, unknown>;
}

/** One HTTP request on a connection of its own, closed after the reply. */
export function http(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  const u = new URL(path, url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => {
        let json: Record<string, unknown> = {};
        try {
          json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
        } catch {
          // /metrics is text
        }
        resolve({ status: res.statusCode ?? 0, text, json });
      });
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`${method} ${path}: no answer in 15 s`)));
    req.end(body);
  });
}

/** An admin API call with `key`, on a connection of its own. */
export function admin(url: string, key: string, method: string, path: string, body?: unknown): Promise<Reply> {
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return http(url, method, `/apisix/admin${path}`, { 'x-api-key': key, 'content-type': 'application/json' }, text);
}

/** /metrics as "name{labels}" → value. */
export async function scrape(url: string): Promise<Map<string, number>> {
  const r = await http(url, 'GET', '/metrics');
  assert.equal(r.status, 200, r.text);
  const out = new Map<string, number>();
  for (const line of r.text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

/** Opens `n` PubSub clients one after another (each a new TCP connection); rejects on a refused one. */
export async function openClients(wsUrl: string, n: number): Promise<TestPubSubClient[]> {
  const out: TestPubSubClient[] = [];
  for (let i = 0; i < n; i++) out.push(await TestPubSubClient.connect(wsUrl));
  return out;
}

/** The WebSockets open on each worker, from the group's /metrics (kwp_worker_connections). */
export async function perWorker(url: string, workers: number): Promise<number[]> {
  const m = await scrape(url);
  return Array.from({ length: workers }, (_, i) => m.get(`kwp_worker_connections{worker="${i + 1}"}`) ?? -1);
}

/**
 * Summarizes a V8 .cpuprofile (from `node --cpu-prof`) as the top functions by self time.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/decode.js --filter 1000x100 --only "ours crc=off"
 *   node dist/bench/profile-top.js /tmp/prof/CPU.*.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const file = process.argv[2];
if (file === undefined) {
  console.error('usage: node dist/bench/profile-top.js FILE.cpuprofile [--top N]');
  process.exit(2);
}
const topIdx = process.argv.indexOf('--top');
const top = topIdx >= 0 ? Number(process.argv[topIdx + 1]) : 25;
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map<number, ProfileNode>();
for (const n of prof.nodes) byId.set(n.id, n);
const selfUs = new Map<string, number>();
let total = 0;
for (let i = 0; i < prof.samples.length; i++) {
  const node = byId.get(prof.samples[i]!);
  const dt = prof.timeDeltas[i] ?? 0;
  if (node === undefined) continue;
  const cf = node.callFrame;
  const where = cf.url === '' ? '' : ` ${cf.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|dist)\//, '$1/')}:${cf.lineNumber + 1}`;
  const key = `${cf.functionName === '' ? '(anonymous)' : cf.functionName}${where}`;
  selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
  total += dt;
}
const rows = [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, top);
console.log(`total sampled ${(total / 1000).toFixed(0)} ms`);
console.log('self ms   self %  function');
for (const [key, us] of rows) {
  console.log(`${(us / 1000).toFixed(0).padStart(7)}  ${((us / total) * 100).toFixed(1).padStart(6)}%  ${key}`);
}

/**
 * Self-contained SVG charts, written by hand (no charting dependency, nothing fetched when the file
 * is viewed): throughput against client count, one panel per topic and one line per
 * implementation; latency percentiles as grouped bars; fan-out's two paths against subscriber count.
 */
import type { FanoutMode, FanoutResult } from './fanout.js';
import type { LatencyResult } from './latency.js';
import type { Impl } from './options.js';
import type { ThroughputPoint } from './throughput.js';

const COLORS: Record<Impl, string> = { proxy: '#d62728', ours: '#1f77b4', kafkajs: '#7f7f7f', platformatic: '#2ca02c' };
const NAMES: Record<Impl, string> = { proxy: 'proxy (WebSocket)', ours: 'direct: ours', kafkajs: 'direct: KafkaJS', platformatic: 'direct: @platformatic/kafka' };
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** 1-2-5 steps giving about `n` ticks from 0 to at least max. */
function ticks(max: number, n = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 0.999; v += step) out.push(v);
  return out;
}

function short(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(2)}`;
}

interface Box { x: number; y: number; w: number; h: number }

function panel(points: ThroughputPoint[], topic: string, box: Box, impls: Impl[]): string {
  const ps = points.filter((p) => p.topic === topic && p.na === undefined);
  const clients = [...new Set(ps.map((p) => p.clients))].sort((a, b) => a - b);
  const max = Math.max(1, ...ps.map((p) => p.messagesPerSec));
  const ys = ticks(max);
  const top = ys[ys.length - 1]!;
  const L = 52;
  const B = 34;
  const inner = { x: box.x + L, y: box.y + 24, w: box.w - L - 12, h: box.h - 24 - B };
  const lx = (c: number): number => {
    const i = clients.indexOf(c);
    return inner.x + (clients.length <= 1 ? inner.w / 2 : (i / (clients.length - 1)) * inner.w);
  };
  const ly = (v: number): number => inner.y + inner.h - (v / top) * inner.h;
  const parts: string[] = [`<text x="${box.x + box.w / 2}" y="${box.y + 14}" text-anchor="middle" font-size="13" font-weight="600">${esc(topic)}</text>`];
  for (const v of ys) {
    parts.push(`<line x1="${inner.x}" x2="${inner.x + inner.w}" y1="${ly(v)}" y2="${ly(v)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${inner.x - 6}" y="${ly(v) + 4}" text-anchor="end" font-size="10">${short(v)}</text>`);
  }
  for (const c of clients) parts.push(`<text x="${lx(c)}" y="${inner.y + inner.h + 14}" text-anchor="middle" font-size="10">${c}</text>`);
  parts.push(`<text x="${inner.x + inner.w / 2}" y="${inner.y + inner.h + 28}" text-anchor="middle" font-size="10">concurrent clients</text>`);
  parts.push(`<text transform="translate(${box.x + 10} ${inner.y + inner.h / 2}) rotate(-90)" text-anchor="middle" font-size="10">messages/s</text>`);
  for (const impl of impls) {
    const line = clients.flatMap((c) => ps.filter((p) => p.impl === impl && p.clients === c).map((p) => [lx(c), ly(p.messagesPerSec)] as const));
    if (line.length === 0) continue;
    parts.push(`<polyline fill="none" stroke="${COLORS[impl]}" stroke-width="2" points="${line.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of line) parts.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${COLORS[impl]}"/>`);
  }
  return parts.join('\n');
}

function legend(impls: Impl[], x: number, y: number): string {
  return impls.map((impl, i) => `<rect x="${x + i * 190}" y="${y - 9}" width="12" height="12" fill="${COLORS[impl]}"/>` +
    `<text x="${x + i * 190 + 17}" y="${y + 1}" font-size="11">${esc(NAMES[impl])}</text>`).join('\n');
}

/** Throughput vs clients: a grid of panels, one per topic. */
export function throughputChart(points: ThroughputPoint[], title: string, subtitle: string): string {
  const topics = [...new Set(points.map((p) => p.topic))];
  const impls = (Object.keys(COLORS) as Impl[]).filter((i) => points.some((p) => p.impl === i && p.na === undefined));
  const cols = Math.min(2, Math.max(1, topics.length));
  const rows = Math.ceil(topics.length / cols);
  const pw = 380;
  const ph = 240;
  const W = cols * pw + 20;
  const H = rows * ph + 86;
  const body = topics.map((t, i) => panel(points, t, { x: 10 + (i % cols) * pw, y: 56 + Math.floor(i / cols) * ph, w: pw - 10, h: ph - 10 }, impls));
  return svg(W, H, [...titles(W, title, subtitle), ...body, legend(impls, 14, H - 14)]);
}

/**
 * Latency percentiles: per load, bars for proxy and direct at p50, p99, p999, on a log scale
 * (a sub-millisecond p50 and a tens-of-milliseconds p999 in one chart).
 */
export function latencyChart(l: LatencyResult, title: string, subtitle: string): string {
  const groups: Array<{ label: string; proxy: number[]; direct: number[] }> = l.loads.map((x) => ({
    label: x.periodMs === 0 ? `${x.clients} client, one fetch at a time` : `${x.clients} clients, a fetch / ${x.periodMs} ms each`,
    proxy: [x.proxy.p50Ms, x.proxy.p99Ms, x.proxy.p999Ms],
    direct: [x.direct.p50Ms, x.direct.p99Ms, x.direct.p999Ms],
  }));
  const pc = l.produceToClient;
  if (pc.proxy !== undefined && pc.direct !== undefined) {
    groups.push({ label: 'produce to client', proxy: [pc.proxy.p50Ms, pc.proxy.p99Ms, pc.proxy.p999Ms], direct: [pc.direct.p50Ms, pc.direct.p99Ms, pc.direct.p999Ms] });
  }
  const gw = 230;
  const W = Math.max(640, groups.length * gw + 80);
  const H = 360;
  const inner = { x: 60, y: 56, w: W - 80, h: H - 140 };
  const values = groups.flatMap((g) => [...g.proxy, ...g.direct]).filter((v) => Number.isFinite(v) && v > 0);
  const lo = Math.floor(Math.log10(Math.min(0.1, ...values)));
  const hi = Math.ceil(Math.log10(Math.max(1, ...values)));
  const ly = (v: number): number => inner.y + inner.h - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * inner.h;
  const parts: string[] = [...titles(W, title, subtitle)];
  for (let e = lo; e <= hi; e++) {
    const v = 10 ** e;
    parts.push(`<line x1="${inner.x}" x2="${inner.x + inner.w}" y1="${ly(v)}" y2="${ly(v)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${inner.x - 6}" y="${ly(v) + 4}" text-anchor="end" font-size="10">${short(v)}</text>`);
  }
  parts.push(`<text transform="translate(16 ${inner.y + inner.h / 2}) rotate(-90)" text-anchor="middle" font-size="10">milliseconds (log scale)</text>`);
  const bw = 18;
  const gap = (inner.w - groups.length * (3 * (2 * bw + 16))) / Math.max(1, groups.length);
  groups.forEach((g, gi) => {
    const gx = inner.x + gi * (3 * (2 * bw + 16) + gap) + gap / 2;
    ['p50', 'p99', 'p999'].forEach((q, qi) => {
      const x = gx + qi * (2 * bw + 16);
      for (const [k, v, color] of [[0, g.proxy[qi]!, COLORS.proxy], [1, g.direct[qi]!, COLORS.ours]] as const) {
        if (!Number.isFinite(v)) continue;
        const top = ly(v);
        parts.push(`<rect x="${x + k * bw}" y="${top.toFixed(1)}" width="${bw - 2}" height="${(inner.y + inner.h - top).toFixed(1)}" fill="${color}"><title>${q}: ${v} ms</title></rect>`);
        parts.push(`<text x="${x + k * bw + (bw - 2) / 2}" y="${(top - 3).toFixed(1)}" text-anchor="middle" font-size="8">${short(v)}</text>`);
      }
      parts.push(`<text x="${x + bw}" y="${inner.y + inner.h + 13}" text-anchor="middle" font-size="10">${q}</text>`);
    });
    parts.push(`<text x="${gx + 3 * bw + 16}" y="${inner.y + inner.h + 30}" text-anchor="middle" font-size="11">${esc(g.label)}</text>`);
  });
  parts.push(`<rect x="${inner.x}" y="${H - 30}" width="12" height="12" fill="${COLORS.proxy}"/><text x="${inner.x + 17}" y="${H - 20}" font-size="11">through the proxy</text>`);
  parts.push(`<rect x="${inner.x + 160}" y="${H - 30}" width="12" height="12" fill="${COLORS.ours}"/><text x="${inner.x + 177}" y="${H - 20}" font-size="11">direct (our Kafka client)</text>`);
  return svg(W, H, parts);
}

const FANOUT_COLORS: Record<FanoutMode, string> = { subscribe: '#d62728', poll: '#7f7f7f' };
const FANOUT_NAMES: Record<FanoutMode, string> = { subscribe: 'subscribed (pushes)', poll: 'polling (cmd_kafka_fetch long polls)' };

/** One panel of the fan-out chart: a value of both paths against subscriber count, log scale. */
function logPanel(series: Record<FanoutMode, Array<[number, number]>>, heading: string, yLabel: string, box: Box): string {
  const clients = [...new Set([...series.subscribe, ...series.poll].map(([c]) => c))].sort((a, b) => a - b);
  const values = [...series.subscribe, ...series.poll].map(([, v]) => v).filter((v) => Number.isFinite(v) && v > 0);
  const lo = Math.floor(Math.log10(Math.min(...values, 1)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values, 1))));
  const L = 52;
  const B = 34;
  const inner = { x: box.x + L, y: box.y + 24, w: box.w - L - 12, h: box.h - 24 - B };
  const lx = (c: number): number => inner.x + (clients.length <= 1 ? inner.w / 2 : (clients.indexOf(c) / (clients.length - 1)) * inner.w);
  const ly = (v: number): number => inner.y + inner.h - ((Math.log10(v) - lo) / (hi - lo)) * inner.h;
  const parts: string[] = [`<text x="${box.x + box.w / 2}" y="${box.y + 14}" text-anchor="middle" font-size="13" font-weight="600">${esc(heading)}</text>`];
  for (let e = lo; e <= hi; e++) {
    parts.push(`<line x1="${inner.x}" x2="${inner.x + inner.w}" y1="${ly(10 ** e)}" y2="${ly(10 ** e)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${inner.x - 6}" y="${ly(10 ** e) + 4}" text-anchor="end" font-size="10">${short(10 ** e)}</text>`);
  }
  for (const c of clients) parts.push(`<text x="${lx(c)}" y="${inner.y + inner.h + 14}" text-anchor="middle" font-size="10">${c}</text>`);
  parts.push(`<text x="${inner.x + inner.w / 2}" y="${inner.y + inner.h + 28}" text-anchor="middle" font-size="10">clients (sockets)</text>`);
  parts.push(`<text transform="translate(${box.x + 10} ${inner.y + inner.h / 2}) rotate(-90)" text-anchor="middle" font-size="10">${esc(yLabel)}</text>`);
  for (const mode of ['poll', 'subscribe'] as const) {
    const line = series[mode].filter(([, v]) => Number.isFinite(v) && v > 0).map(([c, v]) => [lx(c), ly(v)] as const);
    if (line.length === 0) continue;
    parts.push(`<polyline fill="none" stroke="${FANOUT_COLORS[mode]}" stroke-width="2" points="${line.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of line) parts.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${FANOUT_COLORS[mode]}"/>`);
  }
  return parts.join('\n');
}

/**
 * Fan-out: per topic, the proxy's CPU seconds per million deliveries and the deliveries/s, both
 * paths, against subscriber count (the matrix points), on log scales: they differ by orders of magnitude.
 */
export function fanoutChart(f: FanoutResult, title: string, subtitle: string): string {
  const topics = [...new Set(f.points.map((p) => p.topic))];
  const pw = 380;
  const ph = 240;
  const W = 2 * pw + 20;
  const H = topics.length * ph + 86;
  const body: string[] = [];
  topics.forEach((topic, row) => {
    const ps = f.points.filter((p) => p.topic === topic && p.role === 'matrix');
    const series = (pick: (m: NonNullable<typeof ps[number]['subscribe']>) => number): Record<FanoutMode, Array<[number, number]>> => ({
      subscribe: ps.flatMap((p) => (p.subscribe === undefined ? [] : [[p.clients, pick(p.subscribe)] as [number, number]])),
      poll: ps.flatMap((p) => (p.poll === undefined ? [] : [[p.clients, pick(p.poll)] as [number, number]])),
    });
    const y = 56 + row * ph;
    body.push(logPanel(series((m) => m.proxyCpuSecPerMillion), `${topic}: proxy CPU s / M deliveries`, 'CPU seconds (log scale)', { x: 10, y, w: pw - 10, h: ph - 10 }));
    body.push(logPanel(series((m) => m.deliveriesPerSec), `${topic}: deliveries/s`, 'deliveries/s (log scale)', { x: 10 + pw, y, w: pw - 10, h: ph - 10 }));
  });
  const legend = (['subscribe', 'poll'] as const).map((m, i) => `<rect x="${14 + i * 230}" y="${H - 23}" width="12" height="12" fill="${FANOUT_COLORS[m]}"/>` +
    `<text x="${14 + i * 230 + 17}" y="${H - 13}" font-size="11">${esc(FANOUT_NAMES[m])}</text>`).join('\n');
  return svg(W, H, [...titles(W, title, subtitle), ...body, legend]);
}

function titles(w: number, title: string, subtitle: string): string[] {
  return [
    `<text x="${w / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${esc(title)}</text>`,
    `<text x="${w / 2}" y="40" text-anchor="middle" font-size="11" fill="#555">${esc(subtitle)}</text>`,
  ];
}

function svg(w: number, h: number, parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" ${FONT}>\n` +
    `<rect width="100%" height="100%" fill="#fff"/>\n${parts.join('\n')}\n</svg>\n`;
}

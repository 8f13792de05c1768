import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The dependency rules of the design card, checked on the TypeScript sources:
 * - kafka-wire imports only node:* and itself, never reads process.env, and inside it a layer
 *   imports only its own or lower layers (primitives → protocol → records → transport → client);
 * - pubsub may use kafka-wire (through its index), ws and protobufjs, but not HTTP or server;
 * - server may use everything, but other folders only through their index;
 * - client (the browser SDK) imports only protobufjs and its own files: no node:*, no other layer.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const src = join(root, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/g)) out.push(m[1]!);
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

const LAYERS = ['errors', 'primitives', 'protocol', 'records', 'transport', 'client'];

function layerOf(pathInWire: string): number {
  const first = pathInWire.split(sep)[0]!.replace(/\.ts$/, '');
  if (first === 'index') return LAYERS.length; // the public face may re-export every layer
  const i = LAYERS.indexOf(first);
  assert.notEqual(i, -1, `unknown kafka-wire layer ${first}`);
  return i;
}

/** Problems with one import of `file`, as messages. */
function check(file: string, spec: string): string[] {
  const rel = relative(src, file);
  const area = rel.split(sep)[0]!;
  const where = `${rel} imports ${spec}`;
  if (area === 'client' && !spec.startsWith('.')) {
    return spec === 'protobufjs' || spec.startsWith('protobufjs/') ? [] : [`${where}: the client SDK runs in browsers and may only use protobufjs`];
  }
  if (spec.startsWith('node:')) {
    if (area === 'pubsub' && /^node:(http|https|http2)$/.test(spec)) return [`${where}: pubsub must not know HTTP`];
    return [];
  }
  if (!spec.startsWith('.')) {
    if (area === 'kafka-wire') return [`${where}: kafka-wire has no runtime dependencies`];
    if (!['ws', 'protobufjs', 'protobufjs/minimal.js', 'protobufjs/light.js'].includes(spec)) return [`${where}: not an allowed runtime dependency`];
    return [];
  }
  const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
  const targetRel = relative(src, target);
  if (targetRel.startsWith('..')) return [`${where}: leaves src`];
  const targetArea = targetRel.split(sep)[0]!.replace(/\.ts$/, '');
  if (targetArea !== area) {
    const allowed: Record<string, string[]> = { 'kafka-wire': [], pubsub: ['kafka-wire'], server: ['kafka-wire', 'pubsub'], index: ['kafka-wire', 'pubsub', 'server'], client: [] };
    const areaKey = area.replace(/\.ts$/, '');
    if (!(allowed[areaKey] ?? []).includes(targetArea)) return [`${where}: ${areaKey} may not depend on ${targetArea}`];
    if (targetRel !== join(targetArea, 'index.ts')) return [`${where}: use ${targetArea}/index.js, the folder's public face`];
    return [];
  }
  if (area === 'kafka-wire') {
    const from = layerOf(relative(join(src, 'kafka-wire'), file));
    const to = layerOf(relative(join(src, 'kafka-wire'), target));
    if (to > from) return [`${where}: ${LAYERS[from]} may not depend on the higher layer ${LAYERS[to] ?? 'index'}`];
  }
  return [];
}

test('imports follow the layer rules', () => {
  const problems = files(src).flatMap((f) => imports(f).flatMap((s) => check(f, s)));
  assert.deepEqual(problems, []);
});

test('kafka-wire never reads process.env', () => {
  const offenders = files(join(src, 'kafka-wire')).filter((f) => /process\.env/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(offenders.map((f) => relative(root, f)), []);
});

test('the checker itself rejects forbidden edges', () => {
  const wire = join(src, 'kafka-wire', 'primitives', 'reader.ts');
  assert.equal(check(wire, '../client/x.js').length, 1, 'upward layer edge');
  assert.equal(check(wire, 'ws').length, 1, 'runtime dependency in kafka-wire');
  assert.equal(check(wire, '../../pubsub/index.js').length, 1, 'kafka-wire to pubsub');
  const pubsub = join(src, 'pubsub', 'session.ts');
  assert.equal(check(pubsub, 'node:http').length, 1, 'pubsub to HTTP');
  assert.equal(check(pubsub, '../server/index.js').length, 1, 'pubsub to server');
  assert.equal(check(pubsub, '../kafka-wire/records/read.js').length, 1, 'bypassing the index');
  assert.equal(check(pubsub, '../kafka-wire/index.js').length, 0, 'allowed edge');
  const client = join(src, 'client', 'client.ts');
  assert.equal(check(client, 'node:events').length, 1, 'node:* in the client SDK');
  assert.equal(check(client, 'ws').length, 1, 'ws in the client SDK');
  assert.equal(check(client, '../pubsub/index.js').length, 1, 'client to pubsub');
  assert.equal(check(client, '../kafka-wire/index.js').length, 1, 'client to kafka-wire');
  assert.equal(check(client, '../server/index.js').length, 1, 'client to server');
  assert.equal(check(client, 'protobufjs/light.js').length, 0, 'protobufjs subpath');
  assert.equal(check(client, './codec.js').length, 0, 'own file');
});

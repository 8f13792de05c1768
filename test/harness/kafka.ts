/**
 * Real Apache Kafka brokers for the "real broker" test tier.
 *
 * A thin Node front for scripts/kafka/*.sh (see docs/kafka-harness.md): the scripts resolve
 * Kafka with Maven, run it in KRaft combined mode on 127.0.0.1, seed fixed topics with Kafka's
 * own Java producer, and write the ground truth to <stateDir>/expected/. Brokers are shared:
 * they outlive the test process, and ensureBroker() on a running broker returns in ~50 ms.
 * Imports only node:* modules.
 */
import { spawn } from 'node:child_process';
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type BrokerLine = '3.9' | '4';

export const BROKER_LINES: readonly BrokerLine[] = ['3.9', '4'];

export interface BrokerPorts {
  controller: number;
  plaintext: number;
  ssl: number;
  saslPlaintext: number;
  saslSsl: number;
  /** SSL with ssl.client.auth=required. */
  mtls: number;
  /**
   * SASL_PLAINTEXT with OAUTHBEARER only, checked by Kafka's unsecured validator: unsigned JWTs
   * (unsecuredJwt) with `sub` and `exp`; sessions last at most 4 s (KIP-368).
   */
  oauth: number;
  /**
   * SASL_PLAINTEXT with OAUTHBEARER only, checked by Kafka's secured validator (KIP-768) against
   * the harness's JWKS file: RS256 JWTs signed with `BrokerInfo.jwt` (signedJwt), with its kid,
   * issuer and audience, `sub`, `iat` and `exp`. `sub` is the principal ACLs name (User:<sub>).
   * Sessions last at most 4 s (KIP-368).
   */
  oauthJwks: number;
}

/** The key and claims the OAUTH_JWKS listener requires (scripts/kafka/start.sh make_jwt, write_config). */
export interface BrokerJwt {
  /** RSA 2048 private key, PKCS#8 PEM, whose public half is the broker's only trusted key. */
  privateKeyPemPath: string;
  /** What the broker reads (sasl.oauthbearer.jwks.endpoint.url is its file: URL). */
  jwksPath: string;
  /** The key's `kid`, needed in the token header. */
  kid: string;
  /** Always RS256. */
  algorithm: string;
  /** Required `iss` (sasl.oauthbearer.expected.issuer). */
  issuer: string;
  /** Required in `aud` (sasl.oauthbearer.expected.audience). */
  audience: string;
}

export interface BrokerUser {
  username: string;
  password: string;
}

export interface BrokerInfo {
  line: BrokerLine;
  /** Exact Kafka version, e.g. "3.9.2". */
  version: string;
  /** Always 127.0.0.1; also what the broker advertises in Metadata. */
  host: string;
  ports: BrokerPorts;
  stateDir: string;
  /** The broker's log4j output. */
  logFile: string;
  /** CA that signed the broker certificate (SAN DNS:localhost, IP:127.0.0.1) and the client certificate. */
  caPemPath: string;
  /** An unrelated CA: verifying the broker with it must fail. */
  untrustedCaPemPath: string;
  /** Client certificate and key (PKCS#8 PEM) accepted by the MTLS listener. */
  clientCertPemPath: string;
  clientKeyPemPath: string;
  /** Client certificate and key signed by the untrusted CA: the MTLS listener must reject them. */
  untrustedClientCertPemPath: string;
  untrustedClientKeyPemPath: string;
  jwt: BrokerJwt;
  users: {
    /** SASL/PLAIN on SASL_PLAINTEXT and SASL_SSL. */
    plain: BrokerUser;
    /** SCRAM-SHA-256 and SCRAM-SHA-512 on SASL_PLAINTEXT and SASL_SSL. */
    scram: BrokerUser;
    /** A second user, valid for PLAIN and both SCRAM mechanisms. */
    admin: BrokerUser;
  };
  expectedDir: string;
}

export interface ExpectedHeader {
  key: string;
  value: Buffer | null;
}

/** One record as the Java producer wrote it (offset and timestamp from its RecordMetadata). */
export interface ExpectedRecord {
  partition: number;
  offset: bigint;
  /** CreateTime, or for `log-append-time` the broker's append time. */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: ExpectedHeader[];
  /** Written inside an aborted transaction (only in `txn`); still occupies its offset. */
  aborted: boolean;
  /** Visible to read_committed consumers (every non-transactional record). */
  committed: boolean;
}

export interface ExpectedPartitionOffsets {
  partition: number;
  logStartOffset: bigint;
  highWatermark: bigint;
  lastStableOffset: bigint;
}

export interface ExpectedTopic {
  name: string;
  partitions: number;
  /** none | gzip | snappy | lz4 | zstd (the producer's compression.type). */
  codec: string;
  timestampType: 'CreateTime' | 'LogAppendTime';
  transactional: boolean;
  /** Data records produced (aborted ones included; control records not). */
  records: number;
  committedRecords: number;
  abortedRecords: number;
  /** File name in expectedDir: <topic>.jsonl, or big.json for `big`. */
  expectedFile: string;
  contents: string;
  offsets: ExpectedPartitionOffsets[];
}

/** The seeded topics, in seeding order. */
export const SEEDED_TOPICS = [
  'plain',
  'multi',
  'codec-gzip',
  'codec-snappy',
  'codec-lz4',
  'codec-zstd',
  'headers',
  'nulls',
  'txn',
  'log-append-time',
  'timestamps',
  'big',
] as const;

export type SeededTopic = (typeof SEEDED_TOPICS)[number];

/** `big` has 100 000 records: offset i holds key null, value `big-${i padded to 6}`, timestamp base + i. */
export const BIG_COUNT = 100_000;
export const TIMESTAMP_BASE = 1_700_000_000_000n;

const ROOT = findRoot();
const SCRIPTS = join(ROOT, 'scripts', 'kafka');
/** First start may download ~45 MB of jars and format + seed; later starts take seconds. */
const START_TIMEOUT_MS = 600_000;

/** The project root: the first directory holding scripts/kafka/start.sh above this module, else above the cwd. */
function findRoot(): string {
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    let dir = start;
    for (;;) {
      if (existsSync(join(dir, 'scripts', 'kafka', 'start.sh'))) return dir;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error(`kafka harness: no scripts/kafka/start.sh above ${starts.join(' or ')}`);
}

interface ScriptResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs scripts/kafka/<script> with bash. Resolves with its output on exit 0.
 * @throws Error carrying the script's stderr when it exits non-zero, is killed, or exceeds timeoutMs.
 */
function runScript(script: string, args: readonly string[], timeoutMs: number): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(SCRIPTS, script), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if (process.env['KWP_KAFKA_VERBOSE']) process.stderr.write(s);
    });
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`kafka harness: cannot run ${script}: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        resolve({ stdout, stderr });
        return;
      }
      const how = signal !== null ? `was killed by ${signal}` : `exited with ${String(code)}`;
      reject(new Error(`kafka harness: ${script} ${args.join(' ')} ${how}\n${stderr.trimEnd()}`));
    });
  });
}

export interface EnsureBrokerOptions {
  /** First of eight consecutive ports; only used when the broker is not running yet. */
  portBase?: number;
}

/**
 * Starts the broker line if it is not running and answering (format + seed on a fresh data
 * dir), then returns its connection details. Safe to call concurrently from several processes.
 * @throws Error with the script's stderr when the broker cannot be started.
 */
export async function ensureBroker(line: BrokerLine, opts: EnsureBrokerOptions = {}): Promise<BrokerInfo> {
  const args: string[] = [line];
  // Without portBase the script picks the base (scripts/kafka/lib.sh: the defaults, below the
  // ephemeral port range, or KWP_KAFKA_PORT_BASE_39 / _4, or the defaults + KWP_KAFKA_PORT_OFFSET).
  if (opts.portBase !== undefined) args.push('--port-base', String(opts.portBase));
  const { stdout } = await runScript('start.sh', args, START_TIMEOUT_MS);
  const stateDir = stdout.trim().split('\n').pop();
  if (stateDir === undefined || stateDir === '') throw new Error(`kafka harness: start.sh ${line} printed no state directory`);
  return readBrokerInfo(stateDir);
}

/** Where install.sh keeps the jars of one Kafka release (scripts/kafka/lib.sh: KWP_KAFKA_CACHE or .cache/kafka). */
export function kafkaLibDir(version: string): string {
  return join(resolve(ROOT, process.env['KWP_KAFKA_CACHE'] ?? join('.cache', 'kafka')), version, 'lib');
}

/**
 * Makes sure the jars of these exact Kafka releases (e.g. "4.4.0") are in the cache, resolving
 * the missing ones with Maven (install.sh; needs Java 17+ and Maven, ~45 MB per release the
 * first time). Starts nothing.
 * @returns the lib directory of each release, in the order given.
 * @throws Error with install.sh's stderr when Maven cannot resolve them.
 */
export async function installKafka(versions: readonly string[]): Promise<string[]> {
  // install.sh writes .complete last, so its presence means a finished copy.
  const missing = versions.filter((v) => !existsSync(join(kafkaLibDir(v), '.complete')));
  if (missing.length > 0) await runScript('install.sh', missing, START_TIMEOUT_MS);
  return versions.map(kafkaLibDir);
}

/**
 * Stops the broker line (SIGTERM, then SIGKILL after 30 s), and its second broker first if one
 * runs. Data is kept unless opts.clean, which deletes the whole state directory, node 2's too
 * (the next ensureBroker formats and seeds again).
 */
export async function stopBroker(line: BrokerLine, opts: { clean?: boolean } = {}): Promise<void> {
  const args: string[] = [line];
  if (opts.clean === true) args.push('--clean');
  await runScript('stop.sh', args, 120_000);
}

/** Stops the broker and starts it again on the same data (no format, no seed). */
export async function restartBroker(line: BrokerLine): Promise<BrokerInfo> {
  await stopBroker(line);
  return ensureBroker(line);
}

/**
 * Reads every seeded topic back with Kafka's Java consumer (read_uncommitted and
 * read_committed) and compares it with expected/. Takes 1-2 s per line.
 * @throws Error listing the differences.
 */
export async function verifyBroker(line: BrokerLine): Promise<void> {
  await runScript('verify.sh', [line], 120_000);
}

/**
 * Makes sure topic `truncated` exists (10 records, offsets 0-3 deleted with DeleteRecords by the
 * Java admin client) and returns its log start offset and high watermark.
 */
export async function ensureTruncatedTopic(line: BrokerLine): Promise<{ logStartOffset: bigint; highWatermark: bigint }> {
  const { stdout } = await runScript('truncated.sh', [line], 120_000);
  const m = /^(\d+) (\d+)$/m.exec(stdout);
  if (m === null) throw new Error(`kafka harness: truncated.sh ${line} printed ${JSON.stringify(stdout)}`);
  return { logStartOffset: BigInt(m[1]!), highWatermark: BigInt(m[2]!) };
}

/**
 * Makes sure `topic` exists on a running line with `partitions` partitions (replication 1, every
 * replica on node 1), created by the Java admin client; returns once every partition has a leader.
 * Idempotent: an existing topic with that partition count is left as it is, records included.
 * `configs` (topic configs such as `{ 'max.message.bytes': '2000' }`) apply when this call creates it.
 * @returns whether this call created it.
 * @throws Error when the broker is down or the topic exists with another partition count.
 */
export async function ensureTopic(line: BrokerLine, topic: string, partitions = 1, configs: Readonly<Record<string, string>> = {}): Promise<{ created: boolean }> {
  const { stdout } = await runScript('topic.sh', [line, topic, String(partitions), ...Object.entries(configs).map(([k, v]) => `${k}=${v}`)], 120_000);
  const m = /^(created|exists)$/m.exec(stdout);
  if (m === null) throw new Error(`kafka harness: topic.sh ${line} ${topic} printed ${JSON.stringify(stdout)}`);
  return { created: m[1] === 'created' };
}

/**
 * Deletes `topic` on a running line with the Java admin client (`topic.sh LINE --delete TOPIC`)
 * and returns once the controller no longer lists it (brokers may still be removing its log).
 * Idempotent. Never use it on a seeded topic: other test files read them.
 * @returns whether this call deleted it (false: it did not exist).
 */
export async function deleteTopic(line: BrokerLine, topic: string): Promise<{ deleted: boolean }> {
  const { stdout } = await runScript('topic.sh', [line, '--delete', topic], 120_000);
  const m = /^(deleted|absent)$/m.exec(stdout);
  if (m === null) throw new Error(`kafka harness: topic.sh ${line} --delete ${topic} printed ${JSON.stringify(stdout)}`);
  return { deleted: m[1] === 'deleted' };
}

/**
 * ALLOW READ and DESCRIBE on the literal topic for `User:<principal>` (`acl.sh LINE allow-read`):
 * enough for Metadata, ListOffsets and Fetch without a group. The brokers allow everything on a
 * resource without ACLs (allow.everyone.if.no.acl.found=true), so from now on every other
 * principal gets TOPIC_AUTHORIZATION_FAILED on this topic, except the super user User:ANONYMOUS
 * (PLAINTEXT, SSL). The principal of an OAUTHBEARER login is the token's `sub`. Idempotent;
 * resolves once the broker's authorizer lists the ACLs. ACLs outlive the topic: use a name no
 * other test reads, or aclClear() it.
 */
export async function aclAllowRead(line: BrokerLine, topic: string, principal: string): Promise<void> {
  const { stdout } = await runScript('acl.sh', [line, 'allow-read', topic, principal], 120_000);
  if (!/^allowed User:/m.test(stdout)) throw new Error(`kafka harness: acl.sh ${line} allow-read ${topic} printed ${JSON.stringify(stdout)}`);
}

/**
 * Deletes every ACL on the literal topic (`acl.sh LINE clear`), so it is open to all again.
 * Idempotent. @returns how many were deleted.
 */
export async function aclClear(line: BrokerLine, topic: string): Promise<number> {
  const { stdout } = await runScript('acl.sh', [line, 'clear', topic], 120_000);
  const m = /^cleared (\d+) ACLs/m.exec(stdout);
  if (m === null) throw new Error(`kafka harness: acl.sh ${line} clear ${topic} printed ${JSON.stringify(stdout)}`);
  return Number(m[1]);
}

/**
 * The partition Kafka's Java producer of this line picks for each key among `count` partitions
 * (scripts/kafka/partitions.sh: BuiltInPartitioner.partitionForKey). Needs no broker; starts a JVM.
 */
export async function javaPartitionsForKeys(line: BrokerLine, count: number, keys: readonly Uint8Array[]): Promise<number[]> {
  const { stdout } = await runScript('partitions.sh', [line, String(count), ...keys.map((k) => Buffer.from(k).toString('hex'))], 180_000);
  const parts = stdout.split('\n').filter((l) => l !== '').map(Number);
  if (parts.length !== keys.length || parts.some((p) => !Number.isInteger(p))) throw new Error(`kafka harness: partitions.sh printed ${JSON.stringify(stdout)}`);
  return parts;
}

/** The second, broker-only node of a line (scripts/kafka/node2.sh): PLAINTEXT only. */
export interface SecondBrokerInfo {
  /** Always 2 (node 1 is the combined broker and controller). */
  nodeId: number;
  /** `127.0.0.1:<node 1's port base + 10>`, e.g. 127.0.0.1:14102 for line 4. */
  bootstrap: string;
  stateDir: string;
  /** The broker's log4j output. */
  logFile: string;
}

/** Where partition 0 of a topic is led, from the Java admin client's DescribeTopics. */
export interface PartitionLeader {
  /** Node id of the leader, or -1 when the partition has none. */
  leader: number;
  /** In-sync replica node ids, in the order the controller keeps them. */
  isr: number[];
}

/** Default topic of ensureMovedTopic(): one partition on replicas [2, 1]. */
export const MOVED_TOPIC = 'moved';
/** Records in a topic made by ensureMovedTopic(): key `mv-<i>`, value `moved-<i>`, offset i. */
export const MOVED_COUNT = 1000;

/**
 * Starts node 2 of the line (broker only, node.id=2) if it is not running, and waits until the
 * controller lists it in DescribeCluster. Node 1 must be running (ensureBroker); the first start
 * formats node 2's data with node 1's cluster id. About 5 s; ~50 ms when already running.
 * @throws Error with node2.sh's stderr when node 1 is down or node 2 cannot start.
 */
export async function startSecondBroker(line: BrokerLine): Promise<SecondBrokerInfo> {
  const { stdout } = await runScript('node2.sh', ['start', line], START_TIMEOUT_MS);
  const kv = new Map<string, string>();
  for (const l of stdout.split('\n')) {
    const eq = l.indexOf('=');
    if (eq > 0) kv.set(l.slice(0, eq), l.slice(eq + 1));
  }
  const get = (k: string): string => {
    const v = kv.get(k);
    if (v === undefined || v === '') throw new Error(`kafka harness: node2.sh start ${line} printed no ${k}: ${JSON.stringify(stdout)}`);
    return v;
  };
  return { nodeId: Number(get('nodeId')), bootstrap: get('bootstrap'), stateDir: get('stateDir'), logFile: get('logFile') };
}

/**
 * Stops node 2 only (SIGTERM: a controlled shutdown, so the controller moves its leaderships to
 * node 1 before it exits; SIGKILL after 30 s). Node 1 keeps running; node 2's data is kept.
 * No-op when node 2 is not running.
 */
export async function stopSecondBroker(line: BrokerLine): Promise<void> {
  await runScript('node2.sh', ['stop', line], 120_000);
}

/**
 * Makes sure `topic` exists with one partition on replicas [2, 1] (node 2 preferred leader,
 * min.insync.replicas=1) holding MOVED_COUNT records in 10 batches; records are written only
 * while its log is empty. Creating it needs node 2 running; later calls do not.
 * @returns the current leader and the high watermark (MOVED_COUNT).
 */
export async function ensureMovedTopic(line: BrokerLine, topic = MOVED_TOPIC): Promise<{ leader: number; highWatermark: bigint }> {
  const { stdout } = await runScript('node2.sh', ['moved', line, topic], 120_000);
  const m = /^(-?\d+) (\d+)$/m.exec(stdout);
  if (m === null) throw new Error(`kafka harness: node2.sh moved ${line} ${topic} printed ${JSON.stringify(stdout)}`);
  return { leader: Number(m[1]), highWatermark: BigInt(m[2]!) };
}

/**
 * Preferred leader election for partition 0 of `topic`: waits (up to 60 s) until the preferred
 * replica is back in the ISR, elects it, and returns once it leads with every replica in sync.
 * @returns the leader's node id (2 for a topic from ensureMovedTopic).
 * @throws Error when that does not happen within 60 s (e.g. node 2 is stopped).
 */
export async function electPreferredLeader(line: BrokerLine, topic = MOVED_TOPIC): Promise<number> {
  const { stdout } = await runScript('node2.sh', ['elect', line, topic], 120_000);
  const m = /^(-?\d+)$/m.exec(stdout);
  if (m === null) throw new Error(`kafka harness: node2.sh elect ${line} ${topic} printed ${JSON.stringify(stdout)}`);
  return Number(m[1]);
}

/**
 * Leader and ISR of partition 0 of `topic`, asked through node 1 (so it works while node 2 is
 * down). Starts a JVM: about 1 s per call, too slow to poll tightly.
 */
export async function partitionLeader(line: BrokerLine, topic = MOVED_TOPIC): Promise<PartitionLeader> {
  const { stdout } = await runScript('node2.sh', ['leader', line, topic], 120_000);
  const m = /^(-?\d+) ?([\d,]*)$/m.exec(stdout);
  if (m === null) throw new Error(`kafka harness: node2.sh leader ${line} ${topic} printed ${JSON.stringify(stdout)}`);
  return { leader: Number(m[1]), isr: m[2] === undefined || m[2] === '' ? [] : m[2].split(',').map(Number) };
}

/** `host:port` of one listener, e.g. bootstrap(info, 'ssl'). */
export function bootstrap(info: BrokerInfo, listener: keyof BrokerPorts = 'plaintext'): string {
  return `${info.host}:${info.ports[listener]}`;
}

/** Reads <stateDir>/broker.json as written by start.sh. */
export function readBrokerInfo(stateDir: string): BrokerInfo {
  const raw = readJson(join(stateDir, 'broker.json'));
  const o = obj(raw, 'broker.json');
  const line = str(o, 'line');
  if (line !== '3.9' && line !== '4') throw new Error(`kafka harness: broker.json has unknown line ${line}`);
  const p = obj(o['ports'], 'ports');
  const u = obj(o['users'], 'users');
  const user = (name: string): BrokerUser => {
    const x = obj(u[name], `users.${name}`);
    return { username: str(x, 'username'), password: str(x, 'password') };
  };
  return {
    line,
    version: str(o, 'version'),
    host: str(o, 'host'),
    ports: {
      controller: num(p, 'controller'),
      plaintext: num(p, 'plaintext'),
      ssl: num(p, 'ssl'),
      saslPlaintext: num(p, 'saslPlaintext'),
      saslSsl: num(p, 'saslSsl'),
      mtls: num(p, 'mtls'),
      oauth: p['oauth'] === undefined
        ? staleBroker(stateDir, 'ports.oauth')
        : num(p, 'oauth'),
      oauthJwks: p['oauthJwks'] === undefined ? staleBroker(stateDir, 'ports.oauthJwks') : num(p, 'oauthJwks'),
    },
    stateDir: str(o, 'stateDir'),
    logFile: str(o, 'logFile'),
    caPemPath: str(o, 'caPemPath'),
    untrustedCaPemPath: str(o, 'untrustedCaPemPath'),
    clientCertPemPath: str(o, 'clientCertPemPath'),
    clientKeyPemPath: str(o, 'clientKeyPemPath'),
    untrustedClientCertPemPath: str(o, 'untrustedClientCertPemPath'),
    untrustedClientKeyPemPath: str(o, 'untrustedClientKeyPemPath'),
    jwt: o['jwt'] === undefined ? staleBroker(stateDir, 'jwt') : brokerJwt(obj(o['jwt'], 'jwt')),
    users: { plain: user('plain'), scram: user('scram'), admin: user('admin') },
    expectedDir: str(o, 'expectedDir'),
  };
}

function brokerJwt(j: Record<string, unknown>): BrokerJwt {
  return {
    privateKeyPemPath: str(j, 'privateKeyPemPath'),
    jwksPath: str(j, 'jwksPath'),
    kid: str(j, 'kid'),
    algorithm: str(j, 'algorithm'),
    issuer: str(j, 'issuer'),
    audience: str(j, 'audience'),
  };
}

/**
 * A broker started by an older scripts/kafka (before a listener was added) is still running: its
 * broker.json lacks the field, and start.sh leaves a running broker alone.
 */
function staleBroker(stateDir: string, field: string): never {
  throw new Error(`kafka harness: ${join(stateDir, 'broker.json')} has no ${field}: the broker was started by an older scripts/kafka; stop it (scripts/kafka/stop.sh) and start it again`);
}

/**
 * An unsigned JWS (RFC 7515 with alg "none", RFC 7519 claims) as Kafka's unsecured OAUTHBEARER
 * validator accepts it: `sub` is the principal, `exp` (seconds, fractions allowed) is required.
 */
export function unsecuredJwt(claims: Readonly<Record<string, unknown>>): string {
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o), 'utf8').toString('base64url');
  return `${part({ alg: 'none' })}.${part(claims)}.`;
}

/**
 * A JWS (RFC 7515) over RFC 7519 claims, RS256 (RSASSA-PKCS1-v1_5 with SHA-256), header
 * `{"alg":"RS256","typ":"JWT","kid"}`. With the harness key (`privateKeyPem` read from
 * `info.jwt.privateKeyPemPath`, `kid` = `info.jwt.kid`) and claims from jwtClaims() the
 * OAUTH_JWKS listener accepts it; any other key or kid, or claims it does not expect, it refuses.
 */
export function signedJwt(claims: Readonly<Record<string, unknown>>, privateKeyPem: string | Buffer | KeyObject, kid: string): string {
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o), 'utf8').toString('base64url');
  const input = `${part({ alg: 'RS256', typ: 'JWT', kid })}.${part(claims)}`;
  const key = typeof privateKeyPem === 'object' && !Buffer.isBuffer(privateKeyPem) ? privateKeyPem : createPrivateKey(privateKeyPem);
  return `${input}.${sign('sha256', Buffer.from(input, 'ascii'), key).toString('base64url')}`;
}

/**
 * Claims the OAUTH_JWKS listener of `info` accepts for principal `sub`: its iss and aud, iat now,
 * exp `lifetimeMs` from now (both whole seconds, rounded down), then `extra` on top, to break one
 * on purpose.
 */
export function jwtClaims(info: BrokerInfo, sub: string, lifetimeMs = 600_000, extra: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  const now = Date.now();
  return { iss: info.jwt.issuer, aud: info.jwt.audience, sub, iat: Math.floor(now / 1000), exp: Math.floor((now + lifetimeMs) / 1000), ...extra };
}

/** A token the OAUTH_JWKS listener of `info` accepts for `sub`: signedJwt(jwtClaims(...)) with the harness key. */
export function harnessJwt(info: BrokerInfo, sub: string, lifetimeMs = 600_000): string {
  return signedJwt(jwtClaims(info, sub, lifetimeMs), readFileSync(info.jwt.privateKeyPemPath), info.jwt.kid);
}

/** expected/topics.json: one entry per seeded topic with counts and the offsets after seeding. */
export function readTopics(info: BrokerInfo): ExpectedTopic[] {
  const o = obj(readJson(join(info.expectedDir, 'topics.json')), 'topics.json');
  const list = o['topics'];
  if (!Array.isArray(list)) throw new Error('kafka harness: topics.json has no topics array');
  return list.map((t: unknown, i: number): ExpectedTopic => {
    const x = obj(t, `topics[${i}]`);
    const tt = str(x, 'timestampType');
    if (tt !== 'CreateTime' && tt !== 'LogAppendTime') throw new Error(`kafka harness: bad timestampType ${tt}`);
    const offsets = x['offsets'];
    if (!Array.isArray(offsets)) throw new Error(`kafka harness: topics[${i}] has no offsets`);
    return {
      name: str(x, 'name'),
      partitions: num(x, 'partitions'),
      codec: str(x, 'codec'),
      timestampType: tt,
      transactional: bool(x, 'transactional'),
      records: num(x, 'records'),
      committedRecords: num(x, 'committedRecords'),
      abortedRecords: num(x, 'abortedRecords'),
      expectedFile: str(x, 'expectedFile'),
      contents: str(x, 'contents'),
      offsets: offsets.map((po: unknown, j: number): ExpectedPartitionOffsets => {
        const y = obj(po, `topics[${i}].offsets[${j}]`);
        return {
          partition: num(y, 'partition'),
          logStartOffset: BigInt(str(y, 'logStartOffset')),
          highWatermark: BigInt(str(y, 'highWatermark')),
          lastStableOffset: BigInt(str(y, 'lastStableOffset')),
        };
      }),
    };
  });
}

/**
 * The records the seeder produced to `topic`, in partition then offset order. For `big` the
 * 100 000 records are generated from expected/big.json.
 * @throws Error if the topic was not seeded.
 */
export function readExpected(info: BrokerInfo, topic: string): ExpectedRecord[] {
  if (topic === 'big') return bigRecords(info);
  const file = join(info.expectedDir, `${topic}.jsonl`);
  if (!existsSync(file)) throw new Error(`kafka harness: no ground truth for topic ${topic} (${file})`);
  const out: ExpectedRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const x = obj(JSON.parse(line) as unknown, file);
    out.push({ ...recordLine(x, file), aborted: bool(x, 'aborted'), committed: bool(x, 'committed') });
  }
  return out;
}

/** A record as Kafka's own Java consumer read it (`dump.sh`). */
export type ReadRecord = Omit<ExpectedRecord, 'aborted' | 'committed'>;

/**
 * Every record of `topic` on a running line as Kafka's own Java consumer reads it
 * (`scripts/kafka/dump.sh`), from the log start to the end offsets when it starts, in partition
 * then offset order: the independent reader behind tests that claim every record arrives once.
 */
export async function readTopic(line: BrokerLine, topic: string, isolation: 'read_uncommitted' | 'read_committed' = 'read_uncommitted'): Promise<ReadRecord[]> {
  const { stdout } = await runScript('dump.sh', [line, topic, isolation], 180_000);
  const out: ReadRecord[] = [];
  for (const l of stdout.split('\n')) {
    if (l !== '') out.push(recordLine(obj(JSON.parse(l) as unknown, 'dump.sh output'), 'dump.sh output'));
  }
  return out;
}

/**
 * Every record of `topic` as kcat (librdkafka) reads it (`scripts/kafka/kcat-dump.sh`, which
 * installs kcat on a Debian machine as root when it is missing), in partition then offset order: a
 * second reader independent of Java's and ours. `kcat -J` prints keys, values and headers as
 * text, so give it records whose bytes are UTF-8.
 */
export async function readTopicWithKcat(line: BrokerLine, topic: string): Promise<ReadRecord[]> {
  const { stdout } = await runScript('kcat-dump.sh', [line, topic], 180_000);
  const text = (v: unknown, what: string): Buffer | null => {
    if (v === null) return null;
    if (typeof v !== 'string') throw new Error(`kafka harness: kcat ${what} is not a string or null`);
    return Buffer.from(v, 'utf8');
  };
  const out: ReadRecord[] = [];
  for (const l of stdout.split('\n')) {
    if (l === '') continue;
    const x = obj(JSON.parse(l) as unknown, 'kcat output');
    const h = x['headers'] ?? [];
    if (!Array.isArray(h) || h.length % 2 !== 0) throw new Error('kafka harness: kcat headers are not pairs');
    const headers: ExpectedHeader[] = [];
    for (let i = 0; i < h.length; i += 2) headers.push({ key: String(h[i]), value: text(h[i + 1], 'header value') });
    out.push({ partition: num(x, 'partition'), offset: BigInt(num(x, 'offset')), timestamp: BigInt(num(x, 'ts')), key: text(x['key'], 'key'), value: text(x['payload'], 'payload'), headers });
  }
  return out.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : 1));
}

/** A group's committed offset as Kafka's Java Admin client reads it (`group.sh LINE committed GROUP`). */
export interface JavaCommittedOffset {
  topic: string;
  partition: number;
  offset: bigint;
  /** null when none was committed. */
  leaderEpoch: number | null;
  /** Java's OffsetAndMetadata holds '' for none. */
  metadata: string;
}

/**
 * Every committed offset of `group` on a running line, as Kafka's Java Admin client reads it
 * (listConsumerGroupOffsets with require_stable), in topic then partition order: the independent
 * reader behind tests of our OffsetCommit. Empty for a group without offsets. Starts a JVM (~1 s).
 */
export async function readCommittedOffsets(line: BrokerLine, group: string): Promise<JavaCommittedOffset[]> {
  const { stdout } = await runScript('group.sh', [line, 'committed', group], 120_000);
  const out: JavaCommittedOffset[] = [];
  for (const l of stdout.split('\n')) {
    if (l === '') continue;
    const x = obj(JSON.parse(l) as unknown, 'group.sh committed output');
    const epoch = x['leaderEpoch'];
    if (epoch !== null && typeof epoch !== 'number') throw new Error(`kafka harness: group.sh committed: leaderEpoch ${String(epoch)}`);
    out.push({ topic: str(x, 'topic'), partition: num(x, 'partition'), offset: BigInt(str(x, 'offset')), leaderEpoch: epoch, metadata: str(x, 'metadata') });
  }
  return out;
}

/** A Java KafkaConsumer in a group, from startGroupMember. */
export interface GroupMember {
  /** What it printed once it owned partitions, e.g. "assigned [t-0, t-1]". */
  readonly assigned: string;
  /** Closes its stdin: it closes the consumer (leaving the group) and exits. Resolves on its exit. */
  stop(): Promise<void>;
}

/**
 * Starts a Java KafkaConsumer (`group.sh LINE member ...`) subscribed to `topic` in `group`, with
 * group.protocol `protocol` ('consumer' is KIP-848's, enabled on line 4 only), and resolves once
 * it owns partitions: from then on the group has an active member. It stays for `seconds` at
 * most, or until stop(); it commits nothing. The topic must exist.
 * @throws Error when it exits or does not get partitions within 60 s (its stderr in the message).
 */
export function startGroupMember(line: BrokerLine, group: string, topic: string, protocol: 'classic' | 'consumer', seconds: number): Promise<GroupMember> {
  return new Promise((resolvePromise, reject) => {
    const args = [join(SCRIPTS, 'group.sh'), line, 'member', group, topic, protocol, String(seconds)];
    // stdin stays open as the member's lifeline: its end (stop(), or this process dying) ends it.
    const child = spawn('bash', args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<void>((res) => child.on('close', () => res()));
    let stdout = '';
    let stderr = '';
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdin.end();
      reject(new Error(`kafka harness: group.sh ${args.slice(1).join(' ')} ${why}\n${stderr.trimEnd()}`));
    };
    const timer = setTimeout(() => fail('got no partitions within 60 s'), 60_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const m = /^assigned .*$/m.exec(stdout);
      if (m === null || settled) return;
      settled = true;
      clearTimeout(timer);
      resolvePromise({
        assigned: m[0],
        stop: () => {
          child.stdin.end();
          return exited;
        },
      });
    });
    child.on('error', (e) => fail(`could not start: ${e.message}`));
    child.on('close', (code) => fail(`exited with ${String(code)} before it owned partitions`));
  });
}

function recordLine(x: Record<string, unknown>, where: string): ReadRecord {
  const headers = x['headers'];
  if (!Array.isArray(headers)) throw new Error(`kafka harness: ${where}: headers is not an array`);
  return {
    partition: num(x, 'partition'),
    offset: BigInt(str(x, 'offset')),
    timestamp: BigInt(str(x, 'timestamp')),
    key: b64(x['key']),
    value: b64(x['value']),
    headers: headers.map((h: unknown): ExpectedHeader => {
      const y = obj(h, `${where} header`);
      return { key: str(y, 'key'), value: b64(y['value']) };
    }),
  };
}

function bigRecords(info: BrokerInfo): ExpectedRecord[] {
  const s = obj(readJson(join(info.expectedDir, 'big.json')), 'big.json');
  const count = num(s, 'count');
  const base = BigInt(str(s, 'timestampBase'));
  const out: ExpectedRecord[] = new Array<ExpectedRecord>(count);
  for (let i = 0; i < count; i++) {
    out[i] = {
      partition: 0,
      offset: BigInt(i),
      timestamp: base + BigInt(i),
      key: null,
      value: Buffer.from(`big-${String(i).padStart(6, '0')}`, 'latin1'),
      headers: [],
      aborted: false,
      committed: true,
    };
  }
  return out;
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`kafka harness: ${what} is not an object`);
  return v as Record<string, unknown>;
}

function str(o: Record<string, unknown>, k: string): string {
  const v = o[k];
  if (typeof v !== 'string') throw new Error(`kafka harness: field ${k} is not a string`);
  return v;
}

function num(o: Record<string, unknown>, k: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`kafka harness: field ${k} is not an integer`);
  return v;
}

function bool(o: Record<string, unknown>, k: string): boolean {
  const v = o[k];
  if (typeof v !== 'boolean') throw new Error(`kafka harness: field ${k} is not a boolean`);
  return v;
}

function b64(v: unknown): Buffer | null {
  if (v === null) return null;
  if (typeof v !== 'string') throw new Error('kafka harness: expected base64 string or null');
  return Buffer.from(v, 'base64');
}

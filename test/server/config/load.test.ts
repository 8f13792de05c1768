import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isHelpRequest, loadConfig } from '../../../src/server/config/index.js';
import { KEY, load, rejectsConfig, tempDir, writeJson } from './support.js';

test('defaults, with a configured admin key that leaves the data directory alone', async () => {
  const cwd = tempDir();
  const c = await load(['--admin-key', KEY], {}, cwd);
  assert.deepEqual(c, {
    host: '0.0.0.0',
    port: 9080,
    dataDir: join(cwd, 'kafka-ws-proxy-data'),
    adminKey: KEY,
    adminKeySource: 'flag',
    adminAllow: ['127.0.0.0/8', '::1/128'],
    maxConnections: 10000,
    maxSocketsPerAddress: 1024,
    headerTimeoutMs: 10000,
    maxMessageBytes: 65536,
    maxInFlight: 64,
    maxRunning: 4,
    maxUnsentBytes: 4194304,
    maxTotalUnsentBytes: 536870912,
    maxProduceBytes: 1048576,
    kafkaConnections: 4,
    workers: availableParallelism(),
    logLevel: 'info',
    demo: false,
    routes: [],
  });
  assert.equal(existsSync(c.dataDir), false);
});

/** Three distinct valid values per setting, one per source, and what each should become. */
function layers(cwd: string, fileDir: string) {
  return {
    flags: [
      '--host', '10.0.0.1', '--port', '1001', '--data-dir', 'flagdir', '--admin-key', `${KEY}-flag`,
      '--admin-allow', '10.0.0.0/8, fd00::/8', '--admin-host', '127.0.0.2', '--admin-port', '9101',
      '--max-connections', '11', '--max-sockets', '21', '--max-sockets-per-address', '0', '--header-timeout-ms', '100',
      '--max-message-bytes', '1000', '--max-in-flight', '1', '--kafka-connections', '4', '--log-level', 'debug', '--workers', '1',
    ],
    env: {
      KAFKA_WS_PROXY_HOST: '10.0.0.2', KAFKA_WS_PROXY_PORT: '1002', KAFKA_WS_PROXY_DATA_DIR: 'envdir',
      KAFKA_WS_PROXY_ADMIN_KEY: `${KEY}-env`, KAFKA_WS_PROXY_ADMIN_ALLOW: '192.168.0.0/16',
      KAFKA_WS_PROXY_ADMIN_HOST: '127.0.0.3', KAFKA_WS_PROXY_ADMIN_PORT: '9102', KAFKA_WS_PROXY_MAX_CONNECTIONS: '12',
      KAFKA_WS_PROXY_MAX_SOCKETS: '22', KAFKA_WS_PROXY_MAX_SOCKETS_PER_ADDRESS: '2', KAFKA_WS_PROXY_HEADER_TIMEOUT_MS: '300000',
      KAFKA_WS_PROXY_MAX_MESSAGE_BYTES: '2000', KAFKA_WS_PROXY_MAX_IN_FLIGHT: '2', KAFKA_WS_PROXY_KAFKA_CONNECTIONS: '5', KAFKA_WS_PROXY_LOG_LEVEL: 'warn',
      KAFKA_WS_PROXY_WORKERS: '2',
    },
    file: {
      host: '10.0.0.3', port: 1003, data_dir: 'filedir', admin_key: `${KEY}-file`, admin_allow: ['172.16.0.0/12'],
      admin_host: '127.0.0.4', admin_port: 9103, max_connections: 13, max_sockets: 23, max_sockets_per_address: 3, header_timeout_ms: 1003, max_message_bytes: 3000, max_in_flight: 3, kafka_connections: 6, log_level: 'error', workers: 3,
    },
    expect: {
      flag: {
        host: '10.0.0.1', port: 1001, dataDir: join(cwd, 'flagdir'), adminKey: `${KEY}-flag`, adminKeySource: 'flag',
        adminAllow: ['10.0.0.0/8', 'fd00::/8'], adminHost: '127.0.0.2', adminPort: 9101, maxConnections: 11, maxSockets: 21, maxSocketsPerAddress: 0, headerTimeoutMs: 100, maxMessageBytes: 1000, maxInFlight: 1, kafkaConnections: 4, logLevel: 'debug', workers: 1,
      },
      env: {
        host: '10.0.0.2', port: 1002, dataDir: join(cwd, 'envdir'), adminKey: `${KEY}-env`, adminKeySource: 'env',
        adminAllow: ['192.168.0.0/16'], adminHost: '127.0.0.3', adminPort: 9102, maxConnections: 12, maxSockets: 22, maxSocketsPerAddress: 2, headerTimeoutMs: 300000, maxMessageBytes: 2000, maxInFlight: 2, kafkaConnections: 5, logLevel: 'warn', workers: 2,
      },
      file: {
        // Relative paths in the file are relative to the file, not the working directory.
        host: '10.0.0.3', port: 1003, dataDir: join(fileDir, 'filedir'), adminKey: `${KEY}-file`, adminKeySource: 'file',
        adminAllow: ['172.16.0.0/12'], adminHost: '127.0.0.4', adminPort: 9103, maxConnections: 13, maxSockets: 23, maxSocketsPerAddress: 3, headerTimeoutMs: 1003, maxMessageBytes: 3000, maxInFlight: 3, kafkaConnections: 6, logLevel: 'error', workers: 3,
      },
    },
  };
}

test('every setting: a flag beats its variable, which beats the config file', async () => {
  const cwd = tempDir();
  const fileDir = tempDir();
  const l = layers(cwd, fileDir);
  const configFile = writeJson(fileDir, 'kwp.json', JSON.stringify(l.file));
  const env = { ...l.env, KAFKA_WS_PROXY_CONFIG: configFile };
  const pick = (c: object) => Object.fromEntries(Object.keys(l.expect.flag).map((k) => [k, (c as Record<string, unknown>)[k]]));
  assert.deepEqual(pick(await load(l.flags, env, cwd)), l.expect.flag);
  assert.deepEqual(pick(await load([], env, cwd)), l.expect.env);
  const fromFile = await load([], { KAFKA_WS_PROXY_CONFIG: configFile }, cwd);
  assert.deepEqual(pick(fromFile), l.expect.file);
  assert.equal(fromFile.configFile, configFile);
});

test('sources mix per setting, and unset ones fall back to defaults', async () => {
  const dir = tempDir();
  const configFile = writeJson(dir, 'c.json', '{"log_level": "warn", "port": 1}');
  const c = await load(['--port', '2', `--config=${configFile}`], { KAFKA_WS_PROXY_HOST: '::', KAFKA_WS_PROXY_ADMIN_KEY: KEY }, dir);
  assert.deepEqual([c.port, c.host, c.logLevel, c.maxInFlight, c.adminKeySource], [2, '::', 'warn', 64, 'env']);
});

test('--name=value works like --name value', async () => {
  const c = await load(['--port=1234', '--host=::1', '--admin-allow=10.0.0.0/8', `--admin-key=${KEY}`, '--log-level=error']);
  assert.deepEqual([c.port, c.host, c.adminAllow, c.adminKey, c.logLevel], [1234, '::1', ['10.0.0.0/8'], KEY, 'error']);
});

test('an empty variable counts as unset; unrelated variables are ignored', async () => {
  const c = await load([], { KAFKA_WS_PROXY_PORT: '', KAFKA_WS_PROXY_ADMIN_KEY: KEY, PATH: '/bin', KAFKA_HOST: 'x' });
  assert.equal(c.port, 9080);
});

test('unknown flags and variables are refused, naming them', async () => {
  await rejectsConfig(load(['--prot', '1']), '--prot', /unknown option --prot/);
  await rejectsConfig(load(['-x']), '-x', /unknown option -x/);
  const e = await rejectsConfig(load(['--admin-kye=SECRETSECRETSECRET']), '--admin-kye', /unknown option/);
  assert.doesNotMatch(e.message, /SECRET/);
  await rejectsConfig(load([], { KAFKA_WS_PROXY_PROT: '1' }), 'KAFKA_WS_PROXY_PROT', /unknown environment variable/);
});

test('a secret put in the wrong setting or where a key goes is never echoed, from any source', async () => {
  const secret = 'Hunter2-Secret';
  const f = (text: string) => writeJson(tempDir(), 'c.json', text);
  const errors = [
    await rejectsConfig(load(['--log-level', secret]), '--log-level', /not a log level/),
    await rejectsConfig(load([`--host=${secret} x`]), '--host', /not a host name/),
    await rejectsConfig(load([], { KAFKA_WS_PROXY_MAX_CONNECTIONS: secret }), 'KAFKA_WS_PROXY_MAX_CONNECTIONS', /not a connection limit/),
    await rejectsConfig(load([], { KAFKA_WS_PROXY_ADMIN_ALLOW: `10.0.0.0/8,${secret}` }), 'KAFKA_WS_PROXY_ADMIN_ALLOW', /entry 2/),
    await rejectsConfig(load(['--config', f(`{"port": "${secret}"}`)]), 'port', /the value \(a string\) is not a port/),
    await rejectsConfig(load(['--config', f(`{"admin_allow": ["${secret}"]}`)]), 'admin_allow', /entry 1/),
    await rejectsConfig(load(['--config', f(`{"port": 1, "${secret}": 1}`)]), '--config', /unknown key \(key #2, not shown: not a plain name\)/),
    await rejectsConfig(load([`--${secret}`]), 'argv', /unknown option \(not shown/),
  ];
  for (const e of errors) assert.doesNotMatch(e.message, /hunter2/i);
  await rejectsConfig(load(['--config', f('{"dataDir": 1}')]), 'dataDir', /unknown key "dataDir"/);
});

test('flags without values, repeated flags and stray arguments are refused', async () => {
  await rejectsConfig(load(['--port']), '--port', /--port needs a value/);
  await rejectsConfig(load(['--port', '-1']), '--port', /--port=VALUE/);
  await rejectsConfig(load(['--port', '1', '--port=2']), '--port', /more than once/);
  const e = await rejectsConfig(load([`--admin-key=${KEY}`, 'half-of-a-secret']), 'argv', /unexpected argument 2/);
  assert.doesNotMatch(e.message, /half-of-a-secret/);
});

test('bad ports are refused from every source, naming the source, never quoting the value', async () => {
  for (const bad of ['abc', '70000', '-1', '1e3', '80.5', ' 80']) {
    const e = await rejectsConfig(load([`--port=${bad}`]), '--port', /^--port: the value is not a port \(an integer from 0 to 65535\)$/);
    assert.ok(!e.message.includes(bad.trim()), e.message);
  }
  await rejectsConfig(load([], { KAFKA_WS_PROXY_PORT: 'abc' }), 'KAFKA_WS_PROXY_PORT', /^KAFKA_WS_PROXY_PORT: the value is not a port \(an integer from 0 to 65535\)$/);
  const dir = tempDir();
  const f = writeJson(dir, 'c.json', '{"port": "9080"}');
  const e = await rejectsConfig(load(['--config', f]), 'port', new RegExp(`^port: the value \\(a string\\) is not a port .* in config file ${f}$`));
  assert.doesNotMatch(e.message, /9080/);
  await rejectsConfig(load(['--config', writeJson(dir, 'd.json', '{"admin_port": 70000}')]), 'admin_port', /^admin_port: the value \(a number\) is not a port/);
  assert.equal((await load(['--port', '0', '--admin-key', KEY])).port, 0);
});

test('a bad value is reported even where a higher source overrides it', async () => {
  await rejectsConfig(load(['--port', '1'], { KAFKA_WS_PROXY_PORT: 'abc' }), 'KAFKA_WS_PROXY_PORT', /not a port/);
});

test('bad CIDRs are refused', async () => {
  for (const bad of ['10.0.0.0/33', '300.1.1.1/8', 'fd00::/129', '10.0.0.0/08', 'abc', 'fe80::1%eth0']) {
    await rejectsConfig(load(['--admin-allow', bad]), '--admin-allow', /not a CIDR/);
  }
  await rejectsConfig(load(['--admin-allow', '10.0.0.0/8,']), '--admin-allow', /has entry 2, which is not a CIDR/);
  await rejectsConfig(load(['--admin-allow=']), '--admin-allow', /is empty/);
  const e = await rejectsConfig(load([], { KAFKA_WS_PROXY_ADMIN_ALLOW: '10.0.0.0/8,nope' }), 'KAFKA_WS_PROXY_ADMIN_ALLOW', /has entry 2, which is not a CIDR/);
  assert.doesNotMatch(e.message, /nope/);
});

test('other ranges and enumerations', async () => {
  await rejectsConfig(load(['--max-connections', '0']), '--max-connections', /the value is not a connection limit \(an integer from 1 to 1000000\)/);
  await rejectsConfig(load(['--max-sockets', '0']), '--max-sockets', /the value is not a socket limit \(an integer from 1 to 10000000\)/);
  await rejectsConfig(load(['--max-sockets-per-address=-1']), '--max-sockets-per-address', /from 0 to 10000000/);
  await rejectsConfig(load(['--header-timeout-ms', '99']), '--header-timeout-ms', /the value is not a timeout in milliseconds \(an integer from 100 to 300000\)/);
  await rejectsConfig(load([], { KAFKA_WS_PROXY_HEADER_TIMEOUT_MS: '300001' }), 'KAFKA_WS_PROXY_HEADER_TIMEOUT_MS', /from 100 to 300000/);
  await rejectsConfig(load(['--max-in-flight', '4097']), '--max-in-flight', /from 1 to 4096/);
  await rejectsConfig(load(['--kafka-connections', '65']), '--kafka-connections', /from 1 to 64/);
  await rejectsConfig(load([], { KAFKA_WS_PROXY_KAFKA_CONNECTIONS: '0' }), 'KAFKA_WS_PROXY_KAFKA_CONNECTIONS', /from 1 to 64/);
  await rejectsConfig(load(['--workers', '0']), '--workers', /is not a worker count \(an integer from 1 to 1024\)/);
  await rejectsConfig(load([], { KAFKA_WS_PROXY_WORKERS: '1025' }), 'KAFKA_WS_PROXY_WORKERS', /from 1 to 1024/);
  await rejectsConfig(load(['--max-message-bytes', '63']), '--max-message-bytes', /from 64 to 104857600/);
  await rejectsConfig(load(['--log-level', 'verbose']), '--log-level', /^--log-level: the value is not a log level \(debug, info, warn, error\)$/);
  await rejectsConfig(load(['--host', 'a b']), '--host', /not a host name/);
});

test('an admin key shorter than 16 characters is refused without echoing it', async () => {
  const e = await rejectsConfig(load(['--admin-key', 'shortsecret']), '--admin-key', /at least 16 characters/);
  assert.doesNotMatch(e.message, /shortsecret/);
  await rejectsConfig(load([], { KAFKA_WS_PROXY_ADMIN_KEY: 'shortsecret' }), 'KAFKA_WS_PROXY_ADMIN_KEY', /at least 16/);
  const f = writeJson(tempDir(), 'c.json', '{"admin_key": "shortsecret"}');
  const fe = await rejectsConfig(load(['--config', f]), 'admin_key', /at least 16/);
  assert.doesNotMatch(fe.message, /shortsecret/);
  const spaced = await rejectsConfig(load(['--admin-key', 'sixteen chars or more']), '--admin-key', /printable ASCII/);
  assert.doesNotMatch(spaced.message, /sixteen/);
  assert.equal((await load(['--admin-key', 'edd1c9f034335f136f87ad84b625c8f1'])).adminKey, 'edd1c9f034335f136f87ad84b625c8f1');
});

test('a separate admin listener: port alone binds loopback, host alone is refused, the main port is refused', async () => {
  const c = await load(['--admin-port', '9180', '--admin-key', KEY]);
  assert.deepEqual([c.adminHost, c.adminPort], ['127.0.0.1', 9180]);
  await rejectsConfig(load(['--admin-host', '127.0.0.1']), '--admin-host', /needs an admin port/);
  await rejectsConfig(load([], { KAFKA_WS_PROXY_ADMIN_HOST: '::1' }), 'KAFKA_WS_PROXY_ADMIN_HOST', /needs an admin port/);
  await rejectsConfig(load(['--admin-port', '9080']), '--admin-port', /is the main port/);
  const split = await load(['--host', '10.0.0.1', '--admin-host', '127.0.0.1', '--admin-port', '9080', '--admin-key', KEY]);
  assert.equal(split.adminPort, 9080, 'same port on two distinct addresses can work');
  assert.equal((await load(['--port', '0', '--admin-port', '0', '--admin-key', KEY])).adminPort, 0);
});

test('--help and -h return the help marker before anything is validated', async () => {
  for (const argv of [['--help'], ['-h'], ['--port', 'abc', '--help'], ['--bogus', '-h']]) {
    const r = await loadConfig({ argv, env: { KAFKA_WS_PROXY_PORT: 'bad' }, cwd: tempDir() });
    assert.ok(isHelpRequest(r), argv.join(' '));
  }
  await rejectsConfig(load(['--', '--help']), 'argv', /unexpected argument/);
  await rejectsConfig(load(['--help=yes']), '--help', /takes no value/);
});

test('a relative --data-dir and --config resolve against cwd', async () => {
  const cwd = tempDir();
  writeJson(cwd, 'rel.json', '{}');
  const c = await load(['--data-dir', 'state/x', '--config', 'rel.json', '--admin-key', KEY], {}, cwd);
  assert.equal(c.dataDir, join(cwd, 'state/x'));
  assert.equal(c.configFile, join(cwd, 'rel.json'));
});

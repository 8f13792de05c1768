import { ADMIN_KEY_FILE } from './admin-key.js';
import { CONFIG_ENV, CONFIG_FLAG, ROUTES_FILE_KEY, SETTING_NAMES, SETTINGS } from './settings.js';

/** Example config file in START_HELP; a test loads it, so it stays valid. */
export const EXAMPLE_CONFIG = `{
  "host": "0.0.0.0",
  "port": 9080,
  "data_dir": "/var/lib/kafka-ws-proxy",
  "admin_allow": ["127.0.0.0/8", "10.0.0.0/8"],
  "log_level": "info",
  "${ROUTES_FILE_KEY}": [
    {
      "id": "orders",
      "uri": "/kafka/orders",
      "upstream": { "type": "none", "scheme": "kafka", "nodes": { "kafka-1:9092": 1 } }
    }
  ]
}`;

function settingLines(): string[] {
  return SETTING_NAMES.flatMap((n) => {
    const s = SETTINGS[n];
    return [s.kind.bare ? `  --${s.flag}` : `  --${s.flag} ${s.kind.metavar}`, `      env ${s.env}, file "${s.file}", default: ${s.shownDefault}`, `      ${s.help}`];
  });
}

/** Help of `kafka-ws-proxy start`, built from the same table the flags and variables are. */
export const START_HELP = [
  'Usage: kafka-ws-proxy start [options]',
  '',
  "Serve Apache Kafka to browsers over WebSocket (APISIX's Kafka PubSub protocol), with an",
  'APISIX-compatible admin API for routes.',
  '',
  'Each setting comes from the first of: a flag, an environment variable, the JSON config file,',
  'its default. Flags take "--name value" or "--name=value", each once. An empty variable counts',
  'as unset; an unknown KAFKA_WS_PROXY_* variable or config-file key is an error.',
  '',
  'Options:',
  `  --${CONFIG_FLAG} FILE`,
  `      env ${CONFIG_ENV}`,
  `      JSON config file: the keys below, and "${ROUTES_FILE_KEY}" (static routes, as in the admin API).`,
  ...settingLines(),
  '  -h, --help',
  '      Print this text.',
  '',
  `Without an admin key, the first start writes a random one to DIR/${ADMIN_KEY_FILE} (mode 0600)`,
  'and prints it once; later starts read it from there.',
  '',
  'Example config file:',
  EXAMPLE_CONFIG,
  '',
].join('\n');

// kafka-ws-proxy's library API: the proxy to embed (createProxy), plus the lower layers for those
// who want them directly.
export * from './server/index.js';
export * as kafkaWire from './kafka-wire/index.js';
export * as pubsub from './pubsub/index.js';

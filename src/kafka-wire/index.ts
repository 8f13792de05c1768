/** Public face of the Kafka wire layer: primitives, protocol messages, records, transport, cluster client, errors. */
export * from './errors.js';
export * from './primitives/index.js';
export * from './protocol/index.js';
export * from './records/index.js';
export { crc32, crc32c } from './primitives/crc.js';
export { BufferArena, BufferPool, type BufferPoolOptions } from './primitives/buffer-pool.js';
export * from './transport/index.js';
export * from './client/index.js';

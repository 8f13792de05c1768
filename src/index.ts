export * as kafkaWire from './kafka-wire/index.js';

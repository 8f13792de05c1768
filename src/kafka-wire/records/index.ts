/** Record data: batches v2, legacy message sets, codecs, read_committed filtering, batch encoding. */
export { RecordBatch, decodeBatchV2, type DecodeOptions } from './batch.js';
export { KafkaRecord, type RecordHeader } from './record.js';
export { RecordCursor } from './cursor.js';
export { decodeBatches, readRecords, readBatches, hasRecordsFrom, controlType, ABORT, COMMIT, type AbortedTransaction, type BatchOptions, type ReadOptions, type ReadResult, type BatchesResult } from './read.js';
export { encodeRecordBatch, type BatchInput, type RecordInput } from './encode.js';
export { CorruptRecordsError, CrcMismatchError } from './errors.js';
export { decompress, compress, CODEC } from './codecs/index.js';
export { CompressionError } from './codecs/errors.js';

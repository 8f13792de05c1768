import { KafkaWireError } from '../errors.js';

/** A batch or record whose structure is impossible: bad magic, lengths past the batch end, bad counts. */
export class CorruptRecordsError extends KafkaWireError {
  /** Base offset of the batch (legacy: the entry's offset) where the problem is, if known. */
  readonly baseOffset: bigint | undefined;
  /** Byte position in the records buffer. */
  readonly position: number;

  constructor(message: string, position: number, baseOffset?: bigint) {
    super('KWIRE_ERR_CORRUPT_RECORDS', `${message} (batch at base offset ${baseOffset ?? '?'}, byte ${position})`);
    this.name = 'CorruptRecordsError';
    this.baseOffset = baseOffset;
    this.position = position;
  }
}

/** The CRC stored in a batch (CRC-32C) or legacy message (CRC-32) does not match its bytes. */
export class CrcMismatchError extends KafkaWireError {
  readonly baseOffset: bigint;
  readonly expected: number;
  readonly actual: number;

  constructor(baseOffset: bigint, expected: number, actual: number) {
    super('KWIRE_ERR_CRC_MISMATCH', `CRC mismatch in batch at base offset ${baseOffset}: stored 0x${expected.toString(16).padStart(8, '0')}, computed 0x${actual.toString(16).padStart(8, '0')}`);
    this.name = 'CrcMismatchError';
    this.baseOffset = baseOffset;
    this.expected = expected;
    this.actual = actual;
  }
}

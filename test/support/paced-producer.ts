import type { BrokerInfo } from '../harness/kafka.js';
import { produce } from './produce.js';

/** A write Kafka acknowledged, and when (Date.now() at the acknowledgement). */
export interface Written {
  partition: number;
  offset: bigint;
  at: number;
}

/**
 * Writes one record at a time (`p<partition>-<n>`) to the partitions in turn, waiting for each
 * acknowledgement and then `gapMs`: at most 1000 / gapMs records a second, whatever the broker's
 * speed, which is what bounds a consumer group's redelivery in the replica tests.
 */
export class PacedProducer {
  readonly written: Written[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(info: BrokerInfo, topic: string, partitions: number, gapMs: number) {
    this.loop = (async () => {
      for (let n = 0; this.running; n++) {
        const partition = n % partitions;
        const offset = await produce(info, topic, partition, [{ value: Buffer.from(`p${partition}-${n}`) }]);
        this.written.push({ partition, offset, at: Date.now() });
        await new Promise((r) => setTimeout(r, gapMs));
      }
    })();
    // Seen by stop(); until then a failed write must not end the process as unhandled.
    this.loop.catch(() => {});
  }

  /** Stops after the write in progress. @throws the error of a write that failed */
  async stop(): Promise<Written[]> {
    this.running = false;
    await this.loop;
    return this.written;
  }
}

import type { FetchBatch, PubSubBackend, SessionChannel } from '../../src/pubsub/index.js';

/*
 * A backend whose fetches complete when a test says so, and a channel that records what a session
 * sends: enough to test the session's own rules without Kafka or a socket.
 */
export class ScriptedBackend implements PubSubBackend {
  readonly calls: Array<{ resolve: (b: FetchBatch) => void; reject: (e: Error) => void }> = [];
  listOffset(): Promise<bigint> {
    return Promise.resolve(42n);
  }
  fetch(): Promise<FetchBatch> {
    return new Promise((resolve, reject) => this.calls.push({ resolve, reject }));
  }
  describeError(err: unknown): string {
    return (err as Error).message;
  }
}

export class RecordingChannel implements SessionChannel {
  readonly frames: Buffer[] = [];
  readonly pending: Array<() => void> = [];
  closed: [number, string] | undefined;
  paused = false;
  autoFlush = true;
  send(frame: Buffer, done: () => void): void {
    this.frames.push(frame);
    if (this.autoFlush) done();
    else this.pending.push(done);
  }
  push(): void {
    throw new Error('no subscriptions in these tests');
  }
  readonly unsentBytes = 0;
  readonly takenBytes = 0;
  onTaken(): void {}
  close(code: number, reason: string): void {
    this.closed = [code, reason];
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
}


/** At most `limit` holders at once; the others wait in order. */
export class Semaphore {
  readonly limit: number;
  private held = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(limit: number) {
    if (!(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`limit must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  get inUse(): number {
    return this.held;
  }

  /** Resolves when a place is free; call the returned function to give it back (once). */
  async acquire(): Promise<() => void> {
    if (this.held < this.limit) this.held++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.held--;
    };
  }
}

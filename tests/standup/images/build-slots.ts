// Build slots: how many image builds run at once, and which waiting build gets a freed slot.

/** At most `limit` builds at once; a freed slot goes to the waiting build with the lowest rank. */
export class BuildSlots {
  private active = 0;
  private readonly waiting: { readonly rank: number; readonly start: () => void }[] = [];
  constructor(private readonly limit: number) {}

  async run<T>(rank: number, work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve) => {
        // Equal ranks keep their arrival order.
        const at = this.waiting.findIndex((waiter) => waiter.rank > rank);
        this.waiting.splice(at === -1 ? this.waiting.length : at, 0, { rank, start: resolve });
      });
    }
    this.active++;
    try {
      return await work();
    } finally {
      // Hand the slot on only after the promise callbacks have run: the images waiting for this one
      // as their parent join the queue first, so its rank decides and not who arrived earlier.
      setImmediate(() => {
        this.active--;
        this.waiting.shift()?.start();
      });
    }
  }
}

/**
 * A first-in first-out queue whose slots are reused in place: with an array's push and shift,
 * a queue that alternates one push and one shift (a connection's requests and responses) got a
 * new backing store for nearly every item (allocation profiles showed it as a tenth of the
 * matcher's garbage).
 */
export class SlotQueue<T> {
  private readonly slots: (T | undefined)[] = [];
  private head = 0;
  size = 0;

  /** The oldest item (undefined when empty). */
  oldest(): T | undefined {
    return this.size === 0 ? undefined : this.slots[this.head];
  }

  /** The newest item (undefined when empty). */
  last(): T | undefined {
    return this.size === 0 ? undefined : this.slots[this.head + this.size - 1];
  }

  /** The item at `index` (0 = oldest); the index must be below `size`. */
  at(index: number): T {
    return this.slots[this.head + index]!;
  }

  push(item: T): void {
    const slots = this.slots;
    if (this.head > 0 && this.head + this.size === slots.length) {
      slots.copyWithin(0, this.head, this.head + this.size);
      slots.fill(undefined, this.size);
      this.head = 0;
    }
    slots[this.head + this.size] = item;
    this.size++;
  }

  /** Removes and returns the oldest item; the queue must not be empty. */
  shift(): T {
    const item = this.slots[this.head]!;
    this.slots[this.head] = undefined;
    this.size--;
    this.head = this.size === 0 ? 0 : this.head + 1;
    return item;
  }

  /** Position (0 = oldest) of this very item, or -1. */
  indexOf(item: T): number {
    for (let i = 0; i < this.size; i++) if (this.slots[this.head + i] === item) return i;
    return -1;
  }

  /** Removes and returns the item at `index` (0 = oldest). */
  removeAt(index: number): T {
    if (index === 0) return this.shift();
    const item = this.slots[this.head + index]!;
    this.slots.splice(this.head + index, 1);
    this.size--;
    return item;
  }

  /** Empties the queue, returning what it held, oldest first. */
  drain(): T[] {
    const items = this.slots.slice(this.head, this.head + this.size) as T[];
    this.slots.length = 0;
    this.head = 0;
    this.size = 0;
    return items;
  }
}

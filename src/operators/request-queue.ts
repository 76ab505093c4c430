import type { L7Message } from '../model/message.js';

/**
 * The requests of one conversation still waiting for a response, oldest first. Slots are
 * reused in place: with an array's push and shift, a conversation that alternates request
 * and response got a new backing store for nearly every request (allocation profiles showed
 * it as a tenth of the matcher's garbage).
 */
export class RequestQueue {
  private readonly slots: (L7Message | undefined)[] = [];
  private head = 0;
  size = 0;

  /** The oldest request (undefined when empty). */
  oldest(): L7Message | undefined {
    return this.size === 0 ? undefined : this.slots[this.head];
  }

  push(request: L7Message): void {
    const slots = this.slots;
    if (this.head > 0 && this.head + this.size === slots.length) {
      slots.copyWithin(0, this.head, this.head + this.size);
      slots.fill(undefined, this.size);
      this.head = 0;
    }
    slots[this.head + this.size] = request;
    this.size++;
  }

  /** Removes and returns the oldest request; the queue must not be empty. */
  shift(): L7Message {
    const request = this.slots[this.head]!;
    this.slots[this.head] = undefined;
    this.size--;
    this.head = this.size === 0 ? 0 : this.head + 1;
    return request;
  }

  /** Position (0 = oldest) of the first request with this id, or -1. */
  indexOfId(id: unknown): number {
    for (let i = 0; i < this.size; i++) if (this.slots[this.head + i]!.id === id) return i;
    return -1;
  }

  /** Position (0 = oldest) of this very request, or -1. */
  indexOf(request: L7Message): number {
    for (let i = 0; i < this.size; i++) if (this.slots[this.head + i] === request) return i;
    return -1;
  }

  /** Removes and returns the request at `index` (0 = oldest). */
  removeAt(index: number): L7Message {
    if (index === 0) return this.shift();
    const request = this.slots[this.head + index]!;
    this.slots.splice(this.head + index, 1);
    this.size--;
    return request;
  }

  /** Empties the queue, returning what it held, oldest first. */
  drain(): L7Message[] {
    const requests = this.slots.slice(this.head, this.head + this.size) as L7Message[];
    this.slots.length = 0;
    this.head = 0;
    this.size = 0;
    return requests;
  }
}

import type { L7Message } from '../model/message.js';
import { SlotQueue } from '../shared/slot-queue.js';

/** The requests of one conversation still waiting for a response, oldest first. */
export class RequestQueue extends SlotQueue<L7Message> {
  /** Position (0 = oldest) of the first request with this id, or -1. */
  indexOfId(id: unknown): number {
    for (let i = 0; i < this.size; i++) if (this.at(i).id === id) return i;
    return -1;
  }
}

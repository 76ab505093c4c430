import { describe, expect, it } from 'vitest';
import type { L7Message } from '../../src/model/message.js';
import { RequestQueue } from '../../src/operators/request-queue.js';

const request = (id: number): L7Message => ({ id } as unknown as L7Message);
const ids = (requests: L7Message[]): unknown[] => requests.map((r) => r.id);

describe('RequestQueue', () => {
  it('keeps requests oldest first through pipelined bursts, reusing its slots', () => {
    const queue = new RequestQueue();
    const expected: number[] = [];
    let next = 0;
    // Bursts of 1..16 requests answered in part: the head wanders and the slots get compacted.
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < (round % 16) + 1; i++) {
        queue.push(request(next));
        expected.push(next++);
      }
      for (let i = 0; i < (round % 16) + 1 && queue.size > 3; i++) expect(queue.shift().id).toBe(expected.shift());
      expect(queue.size).toBe(expected.length);
      expect(queue.oldest()?.id).toBe(expected[0]);
    }
    expect(ids(queue.drain())).toEqual(expected);
    expect(queue.size).toBe(0);
    expect(queue.oldest()).toBeUndefined();
  });

  it('finds and removes requests by id anywhere in the queue', () => {
    const queue = new RequestQueue();
    for (const id of [1, 2, 3, 4]) queue.push(request(id));
    queue.shift();
    expect(queue.indexOfId(4)).toBe(2);
    expect(queue.indexOfId(1)).toBe(-1);
    expect(queue.removeAt(1).id).toBe(3);
    expect(queue.removeAt(0).id).toBe(2);
    queue.push(request(5));
    expect(ids(queue.drain())).toEqual([4, 5]);
  });
});

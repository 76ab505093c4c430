import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Stats } from '../../src/pipeline/stats.js';
import { loadCap, type CapHandle } from '../../src/sources/live/cap-binding.js';
import { openCapSource } from '../../src/sources/live/cap-source.js';
import { liveSkipReason, skipNote, sleep } from './helpers.js';

const skip = skipNote('cap handle lifetime', liveSkipReason());

/** The collector, callable from a test (the worker was not started with --expose-gc). */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe.skipIf(skip)('cap handle lifetime', () => {
  // cap's close() stops the libuv poll handle inside its native object without closing it: if
  // the object were collected, libuv's handle list would point into freed memory and later
  // handle churn would corrupt the heap (valgrind shows the writes; a test worker crashed).
  it('never lets a handle be collected, opened or failed, after the source stops', async () => {
    const cap = loadCap();
    const Original = cap.Cap;
    const collected: string[] = [];
    const registry = new FinalizationRegistry<string>((name) => collected.push(name));
    let made = 0;
    cap.Cap = class extends (Original as unknown as new () => CapHandle) {
      constructor() {
        super();
        registry.register(this, `handle ${++made}`);
      }
    } as unknown as typeof Original;
    try {
      const source = openCapSource({ interfaces: ['lo'], filter: 'port 1', bufferSize: 1 << 20, snaplen: 65535 }, new Stats());
      await source.stop();
      expect(() => openCapSource({ interfaces: ['no-such-interface0'], filter: '', bufferSize: 1 << 20, snaplen: 65535 }, new Stats())).toThrow();
    } finally {
      cap.Cap = Original;
    }
    const gc = collector();
    for (let i = 0; i < 5; i++) {
      gc();
      await sleep(20);
    }
    expect(made).toBe(2);
    expect(collected).toEqual([]);
  });
});

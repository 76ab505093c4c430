import { map, merge, Observable, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { Broadcast } from '../../src/operators/broadcast.js';
import { Consumer } from '../../src/operators/hop.js';

function newScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('Broadcast', () => {
  it('hands every value to every subscriber, from one subscription to its source', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const source = cold('-a-b-c-|');
      const shared = new Broadcast<string>();
      // A processor that subscribes twice (two branches merged) still decodes once.
      const twice: string[] = [];
      merge(shared.observable.pipe(map((v) => v.toUpperCase())), shared.observable).subscribe((v) => twice.push(v));
      expectObservable(shared.observable).toBe('-a-b-c-|');
      source.subscribe(shared);
      expectSubscriptions(source.subscriptions).toBe('^------!');
      flush();
      expect(twice).toEqual(['A', 'a', 'B', 'b', 'C', 'c']);
    });
  });

  it('passes an error to every subscriber', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const shared = new Broadcast<string>();
      expectObservable(shared.observable).toBe('-a-#', undefined, 'boom');
      expectObservable(shared.observable.pipe(map((v) => v + v))).toBe('-x-#', { x: 'aa' }, 'boom');
      cold('-a-#', undefined, 'boom').subscribe(shared);
    });
  });

  it('lets a subscriber leave in the middle of delivery without disturbing the others', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const shared = new Broadcast<string>();
      expectObservable(shared.observable.pipe(take(1))).toBe('-(a|)');
      expectObservable(shared.observable).toBe('-a-b-|');
      cold('-a-b-|').subscribe(shared);
    });
  });

  it('ends a subscriber that comes after the end at once, as a Subject does', () => {
    const shared = new Broadcast<number>();
    new Observable<number>((s) => {
      s.next(1);
      s.complete();
    }).subscribe(shared);
    const seen: string[] = [];
    shared.observable.subscribe({ next: (v) => seen.push(`next ${v}`), complete: () => seen.push('complete') });
    expect(seen).toEqual(['complete']);

    const failed = new Broadcast<number>();
    new Observable<number>((s) => s.error(new Error('gone'))).subscribe(failed);
    failed.observable.subscribe({ error: (err: Error) => seen.push(`error ${err.message}`) });
    expect(seen).toEqual(['complete', 'error gone']);
  });
});

describe('Consumer', () => {
  it('receives values and the end, and turns an exception in next into its error', () => {
    newScheduler().run(({ cold, flush }) => {
      const seen: string[] = [];
      const handlers = (name: string) => ({
        next: (v: string) => {
          if (v === 'x') throw new Error('bad value');
          seen.push(`${name} ${v}`);
        },
        error: (err: unknown) => seen.push(`${name} error ${(err as Error).message}`),
        complete: () => seen.push(`${name} complete`),
      });
      const source = cold('-a-b-|');
      source.subscribe(new Consumer(handlers('one')));
      const failing = cold('-a-x-b-|');
      failing.subscribe(new Consumer(handlers('two')));
      flush();
      expect(seen).toEqual(['one a', 'two a', 'one b', 'two error bad value', 'one complete']);
      expect(failing.subscriptions[0]!.unsubscribedFrame).toBe(3);
    });
  });
});

import { Observable, Subscriber } from 'rxjs';

/**
 * A multicast point for the hot path, where RxJS's Subject was a measured cost: its `next`
 * wraps each value in an error-context closure and walks the observers with an iterator,
 * about 200 bytes of garbage per value (a tenth of everything a replay allocated), and an
 * observer object given to `subscribe` gets two more wrappers. A Broadcast is itself the
 * Subscriber its source is subscribed with, and hands each value to its subscribers in a
 * plain loop.
 *
 * Subscribers are kept in an array that is replaced, never changed, so one that leaves during
 * delivery does not disturb the loop. After the source completes or errors, later subscribers
 * get the same ending at once, as with a Subject.
 */
export class Broadcast<T> extends Subscriber<T> {
  private subscribers: Subscriber<T>[] = [];
  private ending: { error: unknown } | 'complete' | undefined;

  readonly observable: Observable<T> = new Observable<T>((subscriber) => {
    if (this.ending === 'complete') subscriber.complete();
    else if (this.ending !== undefined) subscriber.error(this.ending.error);
    else {
      this.subscribers = [...this.subscribers, subscriber];
      return () => {
        this.subscribers = this.subscribers.filter((s) => s !== subscriber);
      };
    }
    return undefined;
  });

  protected override _next(value: T): void {
    const subscribers = this.subscribers;
    for (let i = 0; i < subscribers.length; i++) subscribers[i]!.next(value);
  }

  protected override _error(error: unknown): void {
    this.ending = { error };
    for (const subscriber of this.takeSubscribers()) subscriber.error(error);
    this.unsubscribe();
  }

  protected override _complete(): void {
    this.ending = 'complete';
    for (const subscriber of this.takeSubscribers()) subscriber.complete();
    this.unsubscribe();
  }

  private takeSubscribers(): Subscriber<T>[] {
    const subscribers = this.subscribers;
    this.subscribers = [];
    return subscribers;
  }
}

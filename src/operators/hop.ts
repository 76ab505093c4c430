import { Subscriber } from 'rxjs';

export interface HopHandlers<T> {
  next(value: T): void;
  error(err: unknown): void;
  complete(): void;
}

/**
 * What the hot operators subscribe upstream with. A plain observer object gets wrapped by RxJS
 * in a SafeSubscriber and a ConsumerObserver, two more calls per value and hop that showed in
 * profiles; a Subscriber is used as it is. Like RxJS's own operators, an exception thrown by a
 * handler is passed downstream as an error. Unsubscribed along with `downstream`.
 */
export class Hop<T> extends Subscriber<T> {
  constructor(
    private readonly downstream: Subscriber<unknown> | undefined,
    private readonly handlers: HopHandlers<T>,
  ) {
    super(downstream);
  }

  protected override _next(value: T): void {
    try {
      this.handlers.next(value);
    } catch (err) {
      this.fail(err);
    }
  }

  protected override _error(err: unknown): void {
    try {
      this.handlers.error(err);
    } finally {
      this.unsubscribe();
    }
  }

  protected override _complete(): void {
    try {
      this.handlers.complete();
    } catch (err) {
      this.fail(err);
    } finally {
      this.unsubscribe();
    }
  }

  private fail(err: unknown): void {
    if (this.downstream !== undefined) this.downstream.error(err);
    else this.error(err);
  }
}

/**
 * The end of a chain: a Hop with nothing downstream. An exception thrown by `next` ends the
 * subscription through `error`.
 */
export class Consumer<T> extends Hop<T> {
  constructor(handlers: HopHandlers<T>) {
    super(undefined, handlers);
  }
}

import type { L7Message } from '../../model/message.js';
import { SlotQueue } from '../../shared/slot-queue.js';

/**
 * One request the client sent, from its head on, and what became of its response; or, when
 * `lost`, between `lostMin` and `lostMax` requests the capture lost in a gap (their responses
 * still come, and must not pair with the requests seen after them).
 *
 * Exchanges are reused (HttpDecoder keeps a free list): one is taken per request, so a new
 * object per request would be garbage on every transaction.
 */
export class Exchange {
  lost = false;
  lostMin = 0;
  lostMax = 0;
  method = '';
  /** Packet time of the request's first byte (lost requests: of the gap that lost them). */
  start = 0;
  /** The request as emitted, once it is complete. */
  request: L7Message | undefined = undefined;
  requestDone = false;
  /** Emitted, held for emission, or given up: nothing more will pair with this exchange. */
  responseFinished = false;
  /** A response that completed before its request did (an early 413, 401, 417): emitted right after it. */
  held: L7Message | undefined = undefined;
  /** 1xx responses seen before the final one. */
  interim = 0;
  /** An HTTP/0.9 request (no version): its answer is a bare body. */
  http09 = false;

  reset(): void {
    this.lost = false;
    this.lostMin = 0;
    this.lostMax = 0;
    this.method = '';
    this.start = 0;
    this.request = undefined;
    this.requestDone = false;
    this.responseFinished = false;
    this.held = undefined;
    this.interim = 0;
    this.http09 = false;
  }
}

/** Exchanges still waiting for their final response, oldest first. */
export class ExchangeQueue extends SlotQueue<Exchange> {
  /** How many of the waiting items are lost requests. */
  lostItems = 0;

  override push(exchange: Exchange): void {
    super.push(exchange);
    if (exchange.lost) this.lostItems++;
  }

  /** Removes and returns the oldest; the queue must not be empty. */
  override shift(): Exchange {
    const exchange = super.shift();
    if (exchange.lost) this.lostItems--;
    return exchange;
  }
}

/**
 * Which waiting item a response found after lost bytes answers. The response answers the
 * `index`-th request after the last one answered, `index` between `lossMin` and `lossMax`
 * (responses the gap may have swallowed). Requests that started after the response's first
 * byte cannot be its request. When several items remain possible and the client has never
 * been seen pipelining (a request sent before the previous response had started, or two
 * requests in one segment), the client waits for each response before its next request, so
 * the response answers the latest request that started before it.
 */
export interface LossResolution {
  /** Waiting items the answer's index rules out: their responses were lost. */
  dropped: number;
  /** The item that may be the response's request (first of them when several may). */
  candidate: number;
  /** How many items may be; more than one is ambiguous. */
  possible: number;
  /** Spread of the possible indices (for the responses that come next). */
  spread: number;
}

export function resolveAfterLoss(
  waiting: ExchangeQueue,
  lossMin: number,
  lossMax: number,
  responseStart: number,
  pipelining: boolean,
  out: LossResolution,
): LossResolution {
  let before = 0; // fewest requests before the current item
  let upTo = 0; // most requests before it
  let first = -1;
  let possible = 0;
  let lowest = Infinity;
  let highest = -1;
  let latestStarted = -1;
  let latestStartedPossible = false;
  let dropped = 0;
  for (let i = 0; i < waiting.size; i++) {
    const item = waiting.at(i);
    if (!item.lost && item.start > responseStart) break;
    const fewest = item.lost ? item.lostMin : 1;
    const most = item.lost ? item.lostMax : 1;
    // The answer indices this item may hold.
    const low = before;
    const high = item.lost ? upTo + most - 1 : upTo;
    const isPossible = most > 0 && low <= lossMax && high >= lossMin;
    if (isPossible) {
      if (first < 0) first = i;
      possible++;
      lowest = Math.min(lowest, Math.max(low, lossMin));
      highest = Math.max(highest, Math.min(high, lossMax));
    } else if (first < 0 && high < lossMin) {
      dropped = i + 1;
    }
    latestStarted = i;
    latestStartedPossible = isPossible;
    before += fewest;
    upTo += most;
  }
  if (possible > 1 && !pipelining && latestStartedPossible) {
    out.dropped = latestStarted;
    out.candidate = latestStarted;
    out.possible = 1;
    out.spread = 0;
    return out;
  }
  out.dropped = first < 0 ? dropped : first;
  out.candidate = first;
  out.possible = possible;
  out.spread = possible === 0 ? 0 : highest - lowest;
  return out;
}

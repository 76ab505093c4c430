/**
 * packetd's own counters (packets read, decode errors, limits hit, sink drops, …).
 * A counter is an object whose `value` hot paths bump directly, so counting costs a field
 * increment, not a map lookup. Later exported as self-metrics.
 */
export type Labels = Record<string, string>;

export class Counter {
  value = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labels: Labels,
  ) {}
  inc(by = 1): void {
    this.value += by;
  }
}

/** Gauges are read when reported (e.g. connections tracked). */
export interface Gauge {
  readonly name: string;
  readonly help: string;
  readonly labels: Labels;
  read(): number;
}

function seriesKey(name: string, labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0 ? name : `${name}{${keys.map((k) => `${k}=${labels[k]}`).join(',')}}`;
}

export class Stats {
  private readonly counters = new Map<string, Counter>();
  private readonly gauges = new Map<string, Gauge>();

  /** The same name and labels always return the same counter. */
  counter(name: string, help: string, labels: Labels = {}): Counter {
    const key = seriesKey(name, labels);
    let c = this.counters.get(key);
    if (!c) {
      c = new Counter(name, help, labels);
      this.counters.set(key, c);
    }
    return c;
  }

  gauge(name: string, help: string, read: () => number, labels: Labels = {}): void {
    this.gauges.set(seriesKey(name, labels), { name, help, labels, read });
  }

  allCounters(): Counter[] {
    return [...this.counters.values()];
  }

  allGauges(): Gauge[] {
    return [...this.gauges.values()];
  }

  /** Flat `name{labels}` → value view of non-zero counters, for summaries and tests. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, c] of this.counters) if (c.value !== 0) out[key] = c.value;
    for (const [key, g] of this.gauges) out[key] = g.read();
    return out;
  }
}

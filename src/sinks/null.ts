import { z } from 'zod';
import type { Sink, SinkFactory } from '../pipeline/component.js';

export const nullOptions = z.strictObject({});

/** Discards roundtrips, counting them: measures the pipeline without output cost. */
export const nullSink: SinkFactory<z.output<typeof nullOptions>> = (_options, context): Sink => {
  const discarded = context.stats.counter('packetd_sink_discarded_total', 'Roundtrips discarded by the null sink');
  return {
    write: () => discarded.inc(),
    flush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
};

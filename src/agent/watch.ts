import type { RoundTrip } from '../model/roundtrip.js';
import type { NamedPipeline } from '../pipeline/load.js';
import { ROUNDTRIP_FLOW, type Sink } from '../pipeline/component.js';

export type WatchListener = (rt: RoundTrip) => void;

/** Name of the pipeline the agent adds so watchers see every roundtrip. */
export const WATCH_PIPELINE = 'packetd-watch';

/**
 * Fans the roundtrip stream out to `/watch` clients. It is a sink of its own named pipeline
 * (added to every run's config), so it sees every roundtrip whatever the user's pipelines
 * filter, survives reloads, and costs one empty-set check per roundtrip when nobody watches.
 */
export class RoundtripWatch {
  private readonly listeners = new Set<WatchListener>();

  /** Starts calling `listener` for each roundtrip; returns the function that stops it. */
  listen(listener: WatchListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The named pipeline that feeds this watch; append it to a config's pipelines. */
  pipeline(): NamedPipeline {
    const sink: Sink = {
      write: (rt) => {
        if (this.listeners.size > 0) for (const listener of this.listeners) listener(rt);
      },
      flush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
    return { name: WATCH_PIPELINE, processors: [], sinks: [{ use: 'watch', options: {}, create: () => sink, ...ROUNDTRIP_FLOW }] };
  }
}

import { z } from 'zod';
import { durationOption, portOption } from '../../pipeline/schema.js';

export const prometheusOptions = z.strictObject({
  /** Address to listen on: loopback unless asked, since the endpoint has no authentication. */
  host: z.string().min(1).default('127.0.0.1'),
  port: portOption.default(9464),
  path: z.string().startsWith('/').default('/metrics'),
  /**
   * Keep serving this long after the end of input (a replayed capture), so a Prometheus server
   * scrapes the final values. Ctrl-C ends it early.
   */
  linger: durationOption.default(0),
  /** End the linger early once this many scrapes have been served after the end of input (0: serve all of `linger`). */
  linger_scrapes: z.number().int().nonnegative().default(0),
});
export type PrometheusOptions = z.output<typeof prometheusOptions>;

import { map } from 'rxjs';

/**
 * A custom processor: tags roundtrips slower than `threshold_ms` with `app.slow: true`
 * and counts them. Use it from a pipeline with `- use: ./slow-requests.js`.
 *
 * @param {{ threshold_ms?: number }} options
 * @param {import('packetd').ComponentContext} context
 */
export default function slowRequests(options, context) {
  const thresholdUs = (options.threshold_ms ?? 500) * 1000;
  const slow = context.stats.counter('app_slow_roundtrips_total', 'Roundtrips slower than threshold_ms');
  return map((rt) => {
    if (rt.durationUs < thresholdUs) return rt;
    slow.inc();
    return { ...rt, attributes: { ...rt.attributes, 'app.slow': true } };
  });
}

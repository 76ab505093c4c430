// ---- README ----
import { describe, expect, it } from 'vitest';
import { roundtrip, testProcessor } from 'packetd/testing';
import slowRequests from '../../examples/slow-requests.js';

describe('slow-requests', () => {
  it('tags roundtrips slower than threshold_ms and counts them', () => {
    const fast = roundtrip({ durationUs: 20_000 });
    const slow = roundtrip({ durationUs: 900_000 });
    const tagged = { ...slow, attributes: { ...slow.attributes, 'app.slow': true } };

    const harness = testProcessor(slowRequests, { threshold_ms: 500 });
    harness.expectMarbles('-f-s-|', { f: fast, s: slow }, '-f-t-|', { f: fast, t: tagged });
    expect(harness.context.stats.snapshot()).toEqual({ app_slow_roundtrips_total: 1 });
  });
});
// ---- end of the README example ----

import { readFileSync } from 'node:fs';

it('the README shows examples/slow-requests.js and the test above, verbatim', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const example = readFileSync(new URL('../../examples/slow-requests.js', import.meta.url), 'utf8');
  const test = readFileSync(new URL(import.meta.url), 'utf8').split(/\/\/ ---- .*\n/)[1];
  expect(readme).toContain('```js\n' + example + '```');
  expect(readme).toContain('```ts\n' + test + '```');
});

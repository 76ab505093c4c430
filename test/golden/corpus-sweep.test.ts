/**
 * Every pcap/pcapng file of the public corpus goes through the whole chain (every protocol,
 * detection on) within a time bound. The only acceptable failure is a CaptureFormatError from
 * the source, and only for a file capinfos cannot read either; for every other file packetd
 * must read exactly the frames capinfos counts.
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { catchError, count, EMPTY, lastValueFrom, timeout } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { decodeFrames } from '../../src/operators/decodeFrames.js';
import { decodeL7 } from '../../src/operators/decodeL7.js';
import { match } from '../../src/operators/match.js';
import { reassemble } from '../../src/operators/reassemble.js';
import { Stats } from '../../src/pipeline/stats.js';
import { protocolNames } from '../../src/protocols/registry.js';
import { CaptureFormatError, readCapture } from '../../src/sources/index.js';
import { corpusRoot } from './chain.js';
import { capinfosFrameCounts } from '../helpers/tshark.js';

/** Per file; the largest corpus file takes well under a second. */
const TIME_BOUND_MS = 5_000;

const files = readdirSync(corpusRoot, { recursive: true, encoding: 'utf8' })
  .filter((name) => /\.pcap(ng)?$/.test(name))
  .sort();
const frameCounts = capinfosFrameCounts(files.map((name) => resolve(corpusRoot, name)));
const rules = protocolNames().map((protocol) => ({ protocol }));

describe('corpus sweep', () => {
  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it.each(files)('%s', async (name) => {
    const path = resolve(corpusRoot, name);
    const stats = new Stats();
    let sourceError: unknown;
    const started = performance.now();
    await lastValueFrom(
      readCapture(path, { stats }).pipe(
        catchError((err: unknown) => {
          sourceError = err;
          return EMPTY;
        }),
        decodeFrames({ stats }),
        reassemble({ stats }),
        decodeL7({ stats, rules, detect: true }),
        match({ stats }),
        count(),
        timeout(TIME_BOUND_MS),
      ),
    );
    expect(performance.now() - started).toBeLessThan(TIME_BOUND_MS);
    const packetsRead = stats.counter('packetd_packets_read_total', '').value;
    const expectedFrames = frameCounts.get(path);
    if (expectedFrames === undefined) {
      if (sourceError !== undefined) expect(sourceError).toBeInstanceOf(CaptureFormatError);
    } else {
      expect(sourceError).toBeUndefined();
      expect(packetsRead).toBe(expectedFrames);
    }
  });
});

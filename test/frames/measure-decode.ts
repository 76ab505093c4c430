/**
 * Micro benchmark of frame decoding alone (not a vitest file). Captures are read into memory
 * first so only decoding is timed; prints ns per frame for FrameDecoder and for the operator.
 *   npx tsc --outDir OUT --rootDir . --module nodenext --moduleResolution nodenext --target es2022 \
 *     --strict --skipLibCheck --types node test/frames/measure-decode.ts
 *   node OUT/test/frames/measure-decode.js [capture]   (OUT needs node_modules and {"type":"module"})
 */
import { from, lastValueFrom, toArray } from 'rxjs';
import { FrameDecoder } from '../../src/frames/frame-decoder.js';
import type { RawPacket } from '../../src/model/packet.js';
import { decodeFrames } from '../../src/operators/decodeFrames.js';
import { Stats } from '../../src/pipeline/stats.js';
import { readCapture } from '../../src/sources/index.js';

const ROUNDS = 5;

async function main(file: string): Promise<void> {
  const frames: RawPacket[] = await lastValueFrom(readCapture(file).pipe(toArray()));
  console.log(`${frames.length} frames from ${file}`);
  for (let round = 0; round < ROUNDS; round++) {
    const stats = new Stats();
    const decoder = new FrameDecoder(stats);
    let payloadBytes = 0;
    const start = process.hrtime.bigint();
    for (const raw of frames) {
      const packet = decoder.decode(raw);
      if (packet !== undefined) payloadBytes += packet.payloadLength;
    }
    const decoderNs = Number(process.hrtime.bigint() - start) / frames.length;

    let operatorPackets = 0;
    const operatorStart = process.hrtime.bigint();
    from(frames)
      .pipe(decodeFrames({ stats: new Stats() }))
      .subscribe(() => operatorPackets++);
    const operatorNs = Number(process.hrtime.bigint() - operatorStart) / frames.length;
    console.log(
      `round ${round}: FrameDecoder ${decoderNs.toFixed(1)} ns/frame, decodeFrames operator ${operatorNs.toFixed(1)} ns/frame ` +
        `(${operatorPackets} packets, ${payloadBytes} payload bytes)`,
    );
  }
}

await main(process.argv[2] ?? '/work/bench.pcap');

import pcapParser from 'pcap-parser';
import { Observable } from 'rxjs';
import type { RawPacket } from '../model/index.js';

const FILE_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;

/**
 * The same packets read with pcap-parser (classic microsecond pcap only), for cross-checks
 * and the benchmark. No backpressure: pcap-parser reads as fast as the file allows.
 */
export function readCaptureWithPcapParser(path: string): Observable<RawPacket> {
  return new Observable<RawPacket>((subscriber) => {
    const parser = pcapParser.parse(path);
    let linkType = 0;
    let offset = FILE_HEADER_BYTES;
    parser.on('globalHeader', (header) => (linkType = header.linkLayerType & 0xffff));
    parser.on('packet', ({ header, data }) => {
      subscriber.next({
        ts: header.timestampSeconds * 1_000_000 + header.timestampMicroseconds,
        linkType,
        data,
        origLen: header.originalLength,
        iface: 0,
        offset,
      });
      offset += RECORD_HEADER_BYTES + header.capturedLength;
    });
    parser.on('error', (error) => subscriber.error(error));
    parser.on('end', () => subscriber.complete());
    return () => {
      const stream = parser.stream as NodeJS.ReadableStream & { destroy?: () => void };
      stream.destroy?.();
    };
  });
}

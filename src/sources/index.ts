export { readCapture, type ReadCaptureOptions } from './read-capture.js';
export { CaptureFormatError } from './capture-format-error.js';
export { CaptureParser } from './capture-parser.js';
export type { PacketSink } from './record-reader.js';
export { readCaptureWithPcapParser } from './pcap-parser-adapter.js';

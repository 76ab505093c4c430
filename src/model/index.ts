export * from './packet.js';
export * from './stream.js';
export * from './message.js';
export * from './roundtrip.js';

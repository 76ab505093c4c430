import type { ProcessorFactory } from 'packetd';

declare const slowRequests: ProcessorFactory<{ threshold_ms?: number }>;
export default slowRequests;

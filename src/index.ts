/** packetd's public API: model types, the operators, pipeline loading and running, components. */
export * from './model/index.js';
export { toRecord, formatTimestamp, type RoundTripRecord } from './model/record.js';

export { readCapture, CaptureFormatError, type ReadCaptureOptions } from './sources/index.js';
export { decodeFrames } from './operators/decodeFrames.js';
export { reassemble } from './operators/reassemble.js';
export { decodeL7 } from './operators/decodeL7.js';
export { match } from './operators/match.js';

export { getProtocol, protocolNames, registerProtocol } from './protocols/registry.js';
export type * from './protocols/types.js';

export { Stats, Counter, type Gauge, type Labels } from './pipeline/stats.js';
export { FlowGate } from './pipeline/flow-gate.js';
export type { ComponentContext, Logger, ProcessorFactory, Sink, SinkFactory } from './pipeline/component.js';
export {
  loadPipeline,
  parsePipeline,
  resolvePipeline,
  type PipelineConfig,
  type NamedPipeline,
  type ConfiguredComponent,
} from './pipeline/load.js';
export { PipelineConfigError, formatConfigIssue, type ConfigIssue } from './pipeline/config-error.js';
export { runPipeline, type RunOptions, type RunSummary } from './pipeline/run.js';
export { registerProcessor, registerSink, processorNames, sinkNames } from './pipeline/registry.js';
export { parseDuration, parseSize } from './pipeline/units.js';

export { filter, filterOptions, type FilterOptions } from './processors/filter.js';
export { jsonlSink } from './sinks/jsonl.js';
export { textSink, formatTextLine } from './sinks/text.js';
export { nullSink } from './sinks/null.js';
